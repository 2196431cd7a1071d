import { writeSync } from 'node:fs';
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
}

/**
 * stderr, with every line scrubbed of secrets: a token inside an error message or a URL is text, not a
 * field, so path-based redaction alone would let it through.
 */
function scrubbedStderr(secrets: string[]): { write(line: string): boolean } {
  return {
    write(line: string) {
      writeSync(2, redactText(line, secrets));
      return true;
    },
  };
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
  const out = scrubbedStderr(options.secrets ?? secretValues(process.env));
  if (options.pretty ?? process.stderr.isTTY) {
    return pino(
      base,
      pretty({ destination: out as never, sync: true, colorize: true, ignore: 'pid,hostname' }),
    );
  }
  return pino(base, out);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
