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

const debugLevels = new Set(['debug', 'trace']);

/** The SDK's advice for an answer it could not parse: meant for its own users, not for env-reaper's. */
const SDK_ADVICE =
  /\s*Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response on this object\.?/;

/**
 * An error as a log line needs it: type, code, HTTP status, request id, message, and the cause's
 * message. No stack trace through node_modules, no `$metadata`, no raw response: `--verbose` (level
 * debug) logs the whole error instead.
 */
export function compactError(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const e = error as Record<string, unknown> & {
    name?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
    cause?: { message?: unknown; response?: { status?: unknown } };
  };
  const text = typeof e.message === 'string' ? e.message.replace(SDK_ADVICE, '').trim() : '';
  const out: Record<string, unknown> = {
    type: typeof e.name === 'string' ? e.name : 'Error',
    message: text || (SDK_ADVICE.test(String(e.message)) ? 'the answer could not be parsed' : ''),
  };
  for (const k of ['code', 'operation', 'service']) if (typeof e[k] === 'string') out[k] = e[k];
  const status = e.$metadata?.httpStatusCode ?? e.cause?.response?.status ?? e.status;
  if (typeof status === 'number') out.status = status;
  if (typeof e.$metadata?.requestId === 'string') out.requestId = e.$metadata.requestId;
  if (typeof e.cause?.message === 'string' && e.cause.message !== text) out.cause = e.cause.message;
  return out;
}

/**
 * The process logger: JSON lines on stderr when stderr is not a TTY (CI, containers), pretty otherwise.
 * The report owns stdout; logs never go there.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // An error logs what an operator acts on; its stack and the SDK's internals only with --verbose.
    serializers: { err: debugLevels.has(options.level) ? pino.stdSerializers.err : compactError },
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
