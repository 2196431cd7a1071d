import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line (DESIGN §6: secrets never appear in logs). */
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
}

/**
 * The process logger: JSON lines on stderr when stderr is not a TTY (CI, containers), pretty otherwise.
 * The report owns stdout; logs never go there.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.pretty ?? process.stderr.isTTY) {
    return pino(base, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
