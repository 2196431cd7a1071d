import type { ErrorCode } from '../core/error-codes.js';

/**
 * Typed errors. Each has a stable `code` and keeps its `cause`, so reports and exit codes key on data,
 * not on message text.
 */

/** Base class of every error env-reaper raises on purpose. */
export class ReaperError extends Error {
  /** Stable machine code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem in a configuration, with the path of the key. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The configuration is invalid: every problem at once. Exit 2, before any network call. */
export class ConfigError extends ReaperError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown }) {
    super(
      'CONFIG_INVALID',
      issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'),
      options,
    );
    this.issues = issues;
  }
}

/** Wrong command-line usage. Exit 2. */
export class UsageError extends ReaperError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/**
 * A call to AWS or GitLab failed after its retries: the one typed error of both API boundaries. `code` is
 * from the closed vocabulary (`core/error-codes.ts`); the status and the service's own code travel beside
 * it for people, never for decisions.
 */
export class ExternalServiceError extends ReaperError {
  declare readonly code: ErrorCode;
  /** `aws`, `gitlab` or `state`. */
  readonly service: string;
  /** HTTP status when there was one. */
  readonly status: number | undefined;
  /** The service's own name for the failure: the AWS error code, a socket error code. */
  readonly serviceCode: string | undefined;
  /** The AWS operation (`ListImports`) or the GitLab route (`GET /projects/:id`) that failed. */
  operation: string | undefined;

  constructor(
    service: string,
    code: ErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      status?: number | undefined;
      serviceCode?: string | undefined;
      operation?: string | undefined;
    },
  ) {
    super(code, message, options);
    this.service = service;
    this.status = options?.status;
    this.serviceCode = options?.serviceCode;
    this.operation = options?.operation;
  }
}

/** Exit codes (docs/design.md §6). */
export const EXIT = {
  ok: 0,
  partial: 1,
  usage: 2,
  brake: 3,
  failOn: 4,
} as const;

/**
 * A file written by a newer env-reaper (its format version is above what this one knows): refused, never
 * read in part nor overwritten. Exit 2, nothing done.
 */
export class FormatTooNewError extends ReaperError {
  constructor(
    readonly what: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      'FORMAT_TOO_NEW',
      `${what} has format version ${found}, and this env-reaper reads up to ${supported}: a newer env-reaper wrote it. Upgrade env-reaper (nothing was read, changed or deleted)`,
    );
  }
}
