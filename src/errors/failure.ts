import { type ErrorCode, isErrorCode } from '../core/error-codes.js';
import type { RunError } from '../core/run-result.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import { ExternalServiceError } from './errors.js';

/**
 * What failed, in the terms a report needs: the service, the operation, the closed code
 * (`core/error-codes.ts`) and the service's own word for it (HTTP status, AWS error code). The two API
 * boundaries classify here, once: the GitLab HTTP layer (`src/gitlab/http.ts`) and the AWS client
 * middleware (`src/aws/middleware.ts`) throw `ExternalServiceError`s built by `serviceError()`; every
 * other layer reads `describeFailure()`'s fields, never the message. Duck-typed on purpose: this module
 * is below both layers and imports neither SDK.
 */

/** The property a layer stamps on an error that is not ours yet: the operation or route that failed. */
export const OPERATION = 'envReaperOperation';
/** The property a layer stamps on an error that is not ours yet: the service (`aws`, `gitlab`). */
export const SERVICE = 'envReaperService';

/** A failure, described. */
export interface Failure {
  service?: string;
  operation?: string;
  code: ErrorCode;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** The service's own name for it: the AWS error code (`AccessDenied`), a socket error (`ECONNREFUSED`). */
  serviceCode?: string;
  message: string;
}

interface Stamped {
  [OPERATION]?: string;
  [SERVICE]?: string;
  name?: string;
  Code?: string;
  code?: unknown;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: { response?: { status?: number } };
}

/** Stamps the operation and service on an error, unless a lower layer already did (it knows better). */
export function stamp<E>(error: E, service: string, operation: string): E {
  if (error instanceof ExternalServiceError) {
    error.operation ??= operation;
    return error;
  }
  if (error !== null && typeof error === 'object') {
    const e = error as Stamped;
    if (e[OPERATION] === undefined) e[OPERATION] = operation;
    if (e[SERVICE] === undefined) e[SERVICE] = service;
  }
  return error;
}

/** Socket errors: the request never got an answer. */
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|EPIPE|ECONNABORTED)$/;
const TIMEOUTS = new Set([
  'TimeoutError',
  'GitbeakerTimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * AWS error codes by what they mean, tried in order. The SDK names an error by the service's code;
 * where a service has no code of its own the HTTP status decides (`codeOfStatus`).
 */
const AWS_CODES: readonly [RegExp, ErrorCode][] = [
  [
    /^(ExpiredToken|ExpiredTokenException|InvalidClientTokenId|UnrecognizedClientException|InvalidAccessKeyId|SignatureDoesNotMatch|CredentialsProviderError|TokenRefreshRequired|InvalidToken)$/,
    'UNAUTHENTICATED',
  ],
  [/AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError|Forbidden/i, 'ACCESS_DENIED'],
  [/^OptInRequired$/, 'REGION_NOT_ENABLED'],
  [/Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|RateExceeded/, 'RATE_LIMITED'],
  [/NotFound|^NoSuch/, 'NOT_FOUND'],
  [/^(PreconditionFailed|ConditionalRequestConflict|ConcurrentModification.*|OperationAborted)$/, 'CONFLICT'],
  [
    /^(InternalFailure|InternalError|InternalServerError|ServiceUnavailable.*|ServiceException)$/,
    'SERVER_ERROR',
  ],
  [
    /^(ValidationError|ValidationException|InvalidParameter.*|InvalidRequest.*|MalformedXML|InvalidArgument)$/,
    'REJECTED',
  ],
];

/** The code an HTTP status means, for a final answer (after the retries). */
export function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'ACCESS_DENIED';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 409 || status === 412) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER_ERROR';
  return 'REJECTED';
}

/**
 * The closed code of a service's word for a failure (an AWS error code), or `undefined` when the word
 * means nothing known. Also reads the codes of reports from before the closed vocabulary (`HTTP_503`).
 */
export function codeOfWord(word: string): ErrorCode | undefined {
  if (isErrorCode(word)) return word;
  const http = /^HTTP_(\d{3})$/.exec(word);
  if (http) return codeOfStatus(Number(http[1]));
  if (word === 'RETRIES_EXHAUSTED') return 'SERVER_ERROR';
  if (NETWORK.test(word)) return 'NETWORK';
  if (TIMEOUTS.has(word) || word === 'ETIMEDOUT') return 'TIMEOUT';
  for (const [pattern, code] of AWS_CODES) if (pattern.test(word)) return code;
  return undefined;
}

/** The closed code of any thrown value, with the service's own word for it. */
function classify(e: Stamped): Pick<Failure, 'code' | 'status' | 'serviceCode'> {
  if (e instanceof ExternalServiceError)
    return {
      code: e.code,
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.serviceCode !== undefined ? { serviceCode: e.serviceCode } : {}),
    };
  // An answer that does not parse (a proxy's HTML page with 200, a changed API), whatever the parser.
  if (e.name === 'ZodError' || (e.name === 'SyntaxError' && e[SERVICE] !== undefined))
    return { code: 'MALFORMED_RESPONSE' };
  const gitlabStatus = e.cause?.response?.status;
  if (gitlabStatus !== undefined) return { code: codeOfStatus(gitlabStatus), status: gitlabStatus };
  const sys = typeof e.code === 'string' ? e.code : undefined;
  if (TIMEOUTS.has(e.name ?? '') || sys === 'ETIMEDOUT')
    return { code: 'TIMEOUT', ...(e.name ? { serviceCode: sys ?? e.name } : {}) };
  if (sys !== undefined && NETWORK.test(sys)) return { code: 'NETWORK', serviceCode: sys };
  const awsStatus = e.$metadata?.httpStatusCode;
  const status = awsStatus !== undefined ? { status: awsStatus } : {};
  const name = e.Code ?? e.name;
  if (name && name !== 'Error' && name !== 'Unknown') {
    const known = AWS_CODES.find(([pattern]) => pattern.test(name))?.[1];
    if (known) return { code: known, serviceCode: name, ...status };
    // A code we have no meaning for: the status says what kind it is.
    if (awsStatus !== undefined) return { code: codeOfStatus(awsStatus), serviceCode: name, ...status };
    if (e[SERVICE] !== undefined) return { code: 'REJECTED', serviceCode: name };
  }
  // The SDK names an error it cannot parse `Unknown` (a HEAD answer has no body): the status says more.
  if (awsStatus !== undefined) return { code: codeOfStatus(awsStatus), ...status };
  if (typeof e.code === 'string' && isErrorCode(e.code)) return { code: e.code };
  return { code: 'INTERNAL', ...(name && name !== 'Error' ? { serviceCode: name } : {}) };
}

/** Describes any thrown value. */
export function describeFailure(error: unknown): Failure {
  if (error === null || typeof error !== 'object') return { code: 'INTERNAL', message: String(error) };
  const e = error as Stamped;
  const service = error instanceof ExternalServiceError ? error.service : e[SERVICE];
  const operation = error instanceof ExternalServiceError ? error.operation : e[OPERATION];
  return {
    ...(service !== undefined ? { service } : {}),
    ...(operation !== undefined ? { operation } : {}),
    ...classify(e),
    message: e.message ?? String(error),
  };
}

/** The service's own word for a failure when it has one (`AccessDenied`, `HTTP 404`), else the code. */
export function failureWord(f: Pick<Failure, 'code' | 'status' | 'serviceCode'>): string {
  return f.serviceCode ?? (f.status !== undefined ? `HTTP ${f.status}` : f.code);
}

/** A failure in one line for people: the service's word and the message (`AccessDenied: not authorized`). */
export function failureLine(error: unknown): string {
  const f = describeFailure(error);
  // A plain error nobody classified has no word of its own: it is just an error.
  const word = f.code === 'INTERNAL' && f.serviceCode === undefined ? 'Error' : failureWord(f);
  return `${word}: ${f.message}`;
}

/** The code with the service's word, for people: `ACCESS_DENIED (AccessDenied)`, `SERVER_ERROR (HTTP 503)`. */
export function codeAndWord(f: Pick<Failure, 'code' | 'status' | 'serviceCode'>): string {
  const word = failureWord(f);
  return word === f.code ? f.code : `${f.code} (${word})`;
}

/**
 * The one typed error of an API boundary: the failure classified, the original kept as the cause.
 * An error that is already one is returned as it is (a lower layer knew better).
 */
export function serviceError(error: unknown, service: string, operation: string): ExternalServiceError {
  if (error instanceof ExternalServiceError) {
    error.operation ??= operation;
    return error;
  }
  // Stamped first: what it means can depend on where it happened (a `SyntaxError` from a service's
  // answer is a malformed answer, not a bug of ours).
  const f = describeFailure(stamp(error, service, operation));
  return new ExternalServiceError(service, f.code, f.message, {
    cause: error,
    status: f.status,
    serviceCode: f.serviceCode,
    operation,
  });
}

/** Where a failed call happened, and what it cost: what the caller knows and the error does not. */
export interface FailureSite {
  /** What was being done, in words (`export graph`, `re-check before deletion`, `MR note`). */
  what: string;
  /** The stacks it concerned (absent: the report finds them). */
  stacks?: string[];
  effect?: RunError['effect'];
  account?: string | undefined;
  region?: string | undefined;
  project?: string | number | undefined;
  /** The scope in words, when the site names it whole (`aws:account 1234`); else built from the rest. */
  scope?: string;
}

/**
 * Any failure as a run error: what failed from the error (code, status, service's word, operation),
 * where and what it cost from the caller. The one sink of the collector, the executor and the run;
 * the message is scrubbed of secrets here.
 */
export function runErrorOf(error: unknown, where: FailureSite): RunError {
  const f = describeFailure(error);
  // Where the failed service says: the project for GitLab, the account and region for AWS.
  const gitlab = where.project !== undefined && (f.service === 'gitlab' || where.account === undefined);
  const place = gitlab
    ? `gitlab:project ${where.project}`
    : where.account !== undefined
      ? `aws:${where.account}${where.region ? `/${where.region}` : ''}`
      : (f.service ?? 'env-reaper');
  return {
    scope: where.scope ?? `${place} ${where.what}`,
    code: f.code,
    message: scrub(f.message),
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(f.serviceCode !== undefined ? { serviceCode: f.serviceCode } : {}),
    ...(f.service !== undefined ? { service: f.service } : {}),
    ...(f.operation !== undefined ? { operation: f.operation } : {}),
    ...(where.account !== undefined ? { account: where.account } : {}),
    ...(where.region !== undefined ? { region: where.region } : {}),
    ...(where.project !== undefined ? { project: String(where.project) } : {}),
    ...(where.stacks !== undefined ? { stacks: where.stacks } : {}),
    ...(where.effect !== undefined ? { effect: where.effect } : {}),
  };
}
