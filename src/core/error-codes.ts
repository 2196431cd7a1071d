/**
 * The closed vocabulary of failures: every run error, evidence error and report error carries one of
 * these codes. A failure is classified once, where it happens (the GitLab HTTP layer, the AWS client
 * middleware, the GraphQL answer reader); every other layer reads the code, never the message. The
 * service's own word for it (the HTTP status, the AWS error code) travels beside it, for people.
 * `docs/errors.md` is generated from this table (`npm run gen`); the `Record` type makes a code without
 * its meaning a compile error.
 */

/** Every failure code, in the order the docs list them. */
export const ERROR_CODE_LIST = [
  'UNAUTHENTICATED',
  'ACCESS_DENIED',
  'NOT_FOUND',
  'CONFLICT',
  'REJECTED',
  'RATE_LIMITED',
  'SERVER_ERROR',
  'TIMEOUT',
  'NETWORK',
  'MALFORMED_RESPONSE',
  'REGION_NOT_ENABLED',
  'GRAPHQL_ERROR',
  'GRAPHQL_UNSUPPORTED',
  'TRUNCATED_LISTING',
  'BRANCH_CHANGED',
  'ACCOUNT_MISMATCH',
  'ACCOUNT_NOT_REACHED',
  'EXPORT_IN_USE',
  'EVIDENCE_CHANGED',
  'OBJECT_NOT_DELETED',
  'STATE_UNAVAILABLE',
  'STATE_CONFLICT',
  'SECRET_MISSING',
  'INTERNAL',
] as const;

/** A failure code. */
export type ErrorCode = (typeof ERROR_CODE_LIST)[number];

/** What a code means: who raises it and what the run did about it. */
export interface ErrorCodeInfo {
  /** The services that raise it (`env-reaper` for the tool's own findings). */
  services: readonly ('aws' | 'gitlab' | 'state' | 'webhook' | 'env-reaper')[];
  /** What it means, for the operator. */
  meaning: string;
}

/** Each code's meaning. A failure never decides a deletion: what it touched is kept or left undone. */
export const ERROR_CODES: Record<ErrorCode, ErrorCodeInfo> = {
  UNAUTHENTICATED: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning:
      'the credentials were refused: GitLab 401 (token revoked, expired or wrong), AWS `ExpiredToken`, `InvalidClientTokenId`, no credentials',
  },
  ACCESS_DENIED: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning: 'the credentials lack a permission: GitLab 403, AWS `AccessDenied*`, `UnauthorizedOperation`',
  },
  NOT_FOUND: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning:
      'something a read needed is not there (404, `NoSuch*`, `*NotFound*`) where absence is not an answer',
  },
  CONFLICT: {
    services: ['aws', 'gitlab'],
    meaning: 'the service refused because the thing changed meanwhile (409, 412, `PreconditionFailed`)',
  },
  REJECTED: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning: 'the service refused the request (another 4xx, AWS `ValidationError`, `InvalidParameter*`)',
  },
  RATE_LIMITED: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning:
      'throttled, and still throttled after the retries: GitLab 429, AWS `Throttling*`, `TooManyRequests*`, `SlowDown`',
  },
  SERVER_ERROR: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning: 'the service failed (5xx, AWS `InternalFailure`, `ServiceUnavailable`), still after the retries',
  },
  TIMEOUT: {
    services: ['aws', 'gitlab', 'webhook'],
    meaning: 'no answer within the timeout, after the retries',
  },
  NETWORK: {
    services: ['aws', 'gitlab', 'state', 'webhook'],
    meaning: 'no connection (refused, DNS, reset): the service was not reached',
  },
  MALFORMED_RESPONSE: {
    services: ['aws', 'gitlab'],
    meaning:
      'an answer that does not parse or lacks what it must carry (a proxy page with 200, a changed API)',
  },
  REGION_NOT_ENABLED: {
    services: ['aws'],
    meaning: 'the region is not enabled for the account (`OptInRequired`)',
  },
  GRAPHQL_ERROR: { services: ['gitlab'], meaning: 'GitLab GraphQL answered with an error for the item' },
  GRAPHQL_UNSUPPORTED: {
    services: ['gitlab'],
    meaning:
      'this GitLab lacks a GraphQL field or argument the read needs (read from REST instead, or failed)',
  },
  TRUNCATED_LISTING: {
    services: ['gitlab'],
    meaning: 'a listing stopped before its end (page limit): what it would have shown is unknown',
  },
  BRANCH_CHANGED: {
    services: ['gitlab'],
    meaning: 'the branch changed between two reads of one run (no tree or last commit any more)',
  },
  ACCOUNT_MISMATCH: {
    services: ['aws'],
    meaning: 'the credentials belong to another account than configured: the account is skipped',
  },
  ACCOUNT_NOT_REACHED: {
    services: ['aws'],
    meaning: 'an account with a deletion under way could not be reached: its recovery waits for a later run',
  },
  EXPORT_IN_USE: {
    services: ['aws'],
    meaning: "another stack imports one of the stack's exports: its deletion would fail",
  },
  EVIDENCE_CHANGED: {
    services: ['env-reaper'],
    meaning: 'what a saved plan decided no longer holds when it is applied',
  },
  OBJECT_NOT_DELETED: {
    services: ['aws'],
    meaning:
      '`DeleteObjects` answered with per-object errors while a bucket was emptied (a retained one, or a leftover)',
  },
  STATE_UNAVAILABLE: {
    services: ['state'],
    meaning: 'the state could not be read, locked, saved or released',
  },
  STATE_CONFLICT: {
    services: ['state'],
    meaning:
      'the state object kept changing under this run (conditional writes refused, a bounded number of times)',
  },
  SECRET_MISSING: {
    services: ['env-reaper'],
    meaning:
      'a secret the configuration names is not set (the environment variable of `notify.webhooks[].urlEnv`): that message is not sent',
  },
  INTERNAL: {
    services: ['env-reaper'],
    meaning: 'a failure env-reaper did not classify (a bug: please report it with the message)',
  },
};

/** Whether a string is a failure code (for records read back from files). */
export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODE_LIST as readonly string[]).includes(value);
}
