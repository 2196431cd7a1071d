/**
 * What failed, in the terms a report needs: the service, the operation, the code (AWS error code or
 * HTTP status) and a message. Errors from the AWS SDK carry the operation the client's middleware
 * stamped on them (`src/aws/clients.ts`), GitLab errors the route the request handler or reader stamped
 * (`src/gitlab/http.ts`, `src/gitlab/reader.ts`). Duck-typed on purpose: this module is below both
 * layers and imports neither SDK.
 */

/** The property both API layers stamp on an error: the operation or route that failed. */
export const OPERATION = 'envReaperOperation';
/** The property both API layers stamp on an error: the service (`aws`, `gitlab`). */
export const SERVICE = 'envReaperService';

/** A failure, described. */
export interface Failure {
  service?: string;
  operation?: string;
  /** AWS error code (`AccessDenied`), `HTTP_<status>` for GitLab, `TIMEOUT`, or the error's name. */
  code: string;
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
  if (error !== null && typeof error === 'object') {
    const e = error as Stamped;
    if (e[OPERATION] === undefined) e[OPERATION] = operation;
    if (e[SERVICE] === undefined) e[SERVICE] = service;
  }
  return error;
}

/** The code of a failure: the AWS error code, `HTTP_<status>`, `TIMEOUT`, or the error's name. */
function codeOf(e: Stamped): string {
  if (e.Code) return e.Code;
  // An answer that does not parse (a proxy's HTML page with 200, a changed API), whatever the parser.
  if (e.name === 'ZodError' || (e.name === 'SyntaxError' && e[SERVICE] === 'gitlab'))
    return 'MALFORMED_RESPONSE';
  const gitlabStatus = e.cause?.response?.status;
  if (gitlabStatus !== undefined) return `HTTP_${gitlabStatus}`;
  if (e.name === 'TimeoutError' || e.name === 'GitbeakerTimeoutError' || e.code === 'ETIMEDOUT')
    return 'TIMEOUT';
  // The SDK names an error it cannot parse `Unknown` (a HEAD answer has no body): the status says more.
  const awsStatus = e.$metadata?.httpStatusCode;
  if ((e.name === 'Unknown' || e.name === undefined) && awsStatus !== undefined) return `HTTP_${awsStatus}`;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  return e.name && e.name !== 'Error' ? e.name : 'ERROR';
}

/** Describes any thrown value. */
export function describeFailure(error: unknown): Failure {
  if (error === null || typeof error !== 'object') return { code: 'ERROR', message: String(error) };
  const e = error as Stamped;
  return {
    ...(e[SERVICE] !== undefined ? { service: e[SERVICE] } : {}),
    ...(e[OPERATION] !== undefined ? { operation: e[OPERATION] } : {}),
    code: codeOf(e),
    message: e.message ?? String(error),
  };
}

/** The part of an AWS SDK client this module needs (duck-typed: no SDK import below the AWS layer). */
interface MiddlewareClient {
  middlewareStack: { add: (...a: never[]) => void };
}

/**
 * Adds the outermost middleware of an AWS SDK client: every failure, credentials and retries included,
 * leaves it stamped with the operation (`ListImports`) and the service, so a report can say which call
 * failed.
 */
export function stampOperations<T extends MiddlewareClient>(client: T, service: string): T {
  (client.middlewareStack as unknown as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        try {
          return await next(args);
        } catch (error) {
          throw stamp(error, service, (context.commandName ?? 'unknown').replace(/Command$/, ''));
        }
      },
    { step: 'initialize', name: 'envReaperOperation', priority: 'high' },
  );
  return client;
}
