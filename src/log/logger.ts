import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { redactText, secretValues } from '../util/redact.js';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line (docs/design.md §6: secrets never appear in logs). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'gitlabToken',
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'headers.authorization',
  'headers["private-token"]',
  'headers["job-token"]',
  '*.headers.authorization',
  '*.headers["private-token"]',
  '*.headers["job-token"]',
];

/** Options for the process logger. */
export interface LoggerOptions {
  level: string;
  /** Human-readable output (a terminal); JSON lines otherwise. */
  pretty?: boolean;
  /** Secret values scrubbed from every line, besides the credential patterns; default: from the environment. */
  secrets?: string[];
  /** Where lines go instead of stderr (a terminal's progress bar writes them above itself). */
  write?: (text: string) => void;
}

/**
 * stderr, with every line scrubbed of secrets: a token inside an error message or a URL is text, not a
 * field, so path-based redaction alone would let it through.
 */
function scrubbedStderr(
  secrets: string[],
  write: (text: string) => void = (text) => writeSync(2, text),
): Writable {
  // A real stream: pino-pretty pipes into its destination. Each chunk is written synchronously, so no
  // line is lost when the process exits right after logging it.
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(redactText(chunk.toString(), secrets));
      done();
    },
  });
}

/**
 * The process logger: JSON lines on stderr when stderr is not a TTY (CI, containers), pretty otherwise.
 * The report owns stdout; logs never go there.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Errors keep their type, code and stack (pino's serializer), not only the message.
    serializers: { err: pino.stdSerializers.err },
  };
  const out = scrubbedStderr(options.secrets ?? secretValues(process.env), options.write);
  if (options.pretty ?? process.stderr.isTTY) {
    return pino(base, pretty({ destination: out, sync: true, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino(base, out);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
