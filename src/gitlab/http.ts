import type { FormattedResponse, ResponseBodyTypes } from '@gitbeaker/requester-utils';
import pLimit, { type LimitFunction } from 'p-limit';
import { z } from 'zod';
import { ExternalServiceError } from '../errors/errors.js';
import { codeOfStatus, serviceError } from '../errors/failure.js';
import type { Logger } from '../log/logger.js';
import type { ApiStats } from '../util/api-stats.js';
import { RequestPacer } from '../util/pacer.js';
import { USER_AGENT } from '../util/version.js';
import { type HeaderReader, type HttpAnswer, HttpTransport } from './transport.js';

/**
 * The HTTP layer under @gitbeaker/rest. Gitbeaker 43.8 retries 429/502 ten times within ~0.25 s and never
 * reads `Retry-After` (GitLab's API documentation), so we hand it this request handler instead:
 * one budget for the whole process (concurrency, and the server's `RateLimit-*` budget spent down to a
 * reserve), and retries on 429/5xx/timeouts that wait for `Retry-After`. Gitbeaker keeps its resources and pagination.
 */

/** Options for the GitLab request handler. */
export interface GitLabHttpOptions {
  /** Share of the server's budget (`RateLimit-Limit`) left for the token's other users. */
  rateLimitReserve: number;
  /** Optional client-side ceiling (requests per minute), whatever the server says. */
  requestsPerMinute?: number | undefined;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
  stats: ApiStats;
  /** Injected for tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Level of the per-attempt retry lines: `warn` (JSON logs), or `debug` on a terminal, which shows one
   * summary per host at the end instead (ApiStats.retries()).
   */
  retryLogLevel?: 'warn' | 'debug';
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
/** The longest wait for a spent rate budget (429, or `RateLimit-Remaining: 0`). */
const MAX_WAIT_MS = 120_000;
/**
 * The longest wait before retrying a server error. A failing server's recovery is unknown, so its
 * retries back off exponentially from 250 ms and stop here: `gitlab.maxRetries` 4 costs at most about
 * 4 s per request, not a wait per retry until the rate window resets.
 */
export const MAX_SERVER_ERROR_WAIT_MS = 8_000;

/** Path segments after which GitLab puts an id or a name (what `routeOf` replaces by `:id`). */
const COLLECTIONS = new Set([
  'projects',
  'branches',
  'merge_requests',
  'environments',
  'issues',
  'notes',
  'labels',
  'groups',
]);

/** Route template for stats: ids and names become `:id`. */
export function routeOf(method: string, url: URL): string {
  if (/\/api\/graphql$/.test(url.pathname)) return `${method} /api/graphql`;
  const parts = url.pathname.replace(/^.*\/api\/v4\//, '').split('/');
  return `${method} /${parts.map((p, i) => (i > 0 && COLLECTIONS.has(parts[i - 1] as string) ? ':id' : p)).join('/')}`;
}

/** The body as gitbeaker expects it: JSON parsed, text as a string, anything else a Blob. */
function processBody(answer: HttpAnswer, asStream: boolean | undefined): ResponseBodyTypes {
  if (answer.status === 204) return null;
  if (asStream) return new Blob([answer.body]).stream();
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (type === 'application/json')
    return answer.body.length ? (JSON.parse(answer.body.toString('utf8')) ?? {}) : {};
  if (type.startsWith('text/')) return answer.body.toString('utf8');
  return new Blob([answer.body]);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * Whether a redirect may be followed with the token: GitLab sends a renamed or transferred project's old
 * path to `/projects/:id` on its own host. Same origin, or the same host over https (a proxy that
 * upgrades); never another host, and never from https down to http.
 */
export function mayFollow(from: URL, to: URL): boolean {
  if (to.origin === from.origin) return true;
  return to.hostname === from.hostname && to.protocol === 'https:';
}

/** Errors raised before a connection was made: the request cannot have reached GitLab. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function neverSent(error: Error | undefined): boolean {
  return NOT_SENT.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Milliseconds from `Retry-After` (delta seconds or HTTP date), else undefined. */
function retryAfterHeaderMs(headers: HeaderReader, now: number): number | undefined {
  const ra = headers.get('retry-after');
  if (ra !== null) {
    if (/^\d+$/.test(ra.trim())) return Number(ra) * 1000;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** Seconds from `Retry-After` (delta or HTTP date), else until `RateLimit-Reset`, else undefined. */
export function retryAfterMs(headers: HeaderReader, now = Date.now()): number | undefined {
  const ra = retryAfterHeaderMs(headers, now);
  if (ra !== undefined) return ra;
  const reset = Number(headers.get('ratelimit-reset'));
  if (reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}

/**
 * How long to wait before retrying a failed answer. `RateLimit-Reset` says when the rate budget refills,
 * not when a failing server recovers: it is waited for only when the budget is spent (429, or
 * `RateLimit-Remaining: 0`), as recent GitLab sends the `RateLimit-*` headers on every answer. A server
 * error backs off (`backoffMs`), or waits for its own `Retry-After`, at most MAX_SERVER_ERROR_WAIT_MS.
 */
export function retryWaitMs(
  status: number,
  headers: HeaderReader,
  backoffMs: number,
  now = Date.now(),
): number {
  const spent = status === 429 || headers.get('ratelimit-remaining')?.trim() === '0';
  if (spent) return Math.min(MAX_WAIT_MS, retryAfterMs(headers, now) ?? backoffMs);
  return Math.min(MAX_SERVER_ERROR_WAIT_MS, retryAfterHeaderMs(headers, now) ?? backoffMs);
}

/** Creates the request handler gitbeaker calls for every HTTP request. */
export function createGitLabRequestHandler(options: GitLabHttpOptions) {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pacer = new RequestPacer({
    reserve: options.rateLimitReserve,
    ceiling: options.requestsPerMinute,
    windowMs: 60_000,
    sleep,
  });
  const limit: LimitFunction = pLimit(options.concurrency);
  const transport = new HttpTransport(options.concurrency);

  /** One request and its same-origin redirects, each hop paced and counted like any request. */
  const exchange = async (
    url: URL,
    route: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
  ) => {
    let target = url;
    let verb = method;
    let payload = body;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const hopRoute = hop === 0 ? route : routeOf(verb, target);
      await pacer.acquire();
      let answer: HttpAnswer;
      try {
        answer = await transport.send({
          url: target,
          method: verb,
          headers: sent,
          body: payload,
          timeoutMs: options.timeoutMs,
        });
      } catch (error) {
        pacer.settled();
        options.stats.call('gitlab', hopRoute, true);
        throw error;
      }
      pacer.observe(answer.headers);
      const ok = answer.status >= 200 && answer.status < 300;
      options.stats.call('gitlab', hopRoute, !ok && !REDIRECTS.has(answer.status));
      const location = answer.headers.get('location');
      if (!REDIRECTS.has(answer.status) || location === null || hop === MAX_REDIRECTS)
        return { answer, url: target, method: verb };
      const next = new URL(location, target);
      if (!mayFollow(target, next)) return { answer, url: target, method: verb };
      if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && verb === 'POST')) {
        verb = 'GET';
        payload = undefined;
        const { 'content-type': _dropped, ...rest } = sent;
        sent = rest;
      }
      target = next;
    }
  };

  return async (endpoint: string, raw?: Record<string, unknown>): Promise<FormattedResponse> => {
    const {
      asStream,
      prefixUrl,
      searchParams,
      method,
      headers: given,
      body,
      idempotent,
    } = requestOptions.parse(raw ?? {});
    const base = prefixUrl ? (prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`) : undefined;
    const url = new URL(endpoint, base);
    url.search = searchParams ?? '';
    const route = routeOf(method, url);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(given ?? {})) headers[k.toLowerCase()] = String(v);
    headers['user-agent'] = USER_AGENT;
    // A POST (a note, an issue, a stop) that may have reached GitLab is not sent again: a timeout or a
    // 5xx does not say it was not done, and a second one would post twice. The next run's marker check
    // finds what was done. Only answers that say nothing was done (429), or errors before any
    // connection, are retried (got does not retry POST at all by default).
    // Every failure names its route, so a report can say which call failed (errors/failure.ts).
    const attempts = async (): Promise<FormattedResponse> => {
      // A GraphQL query is a POST that changes nothing: it is retried like a GET.
      const replayable = (method !== 'POST' && method !== 'PATCH') || idempotent === true;
      let lastStatus = 0;
      for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
        const outcome = await limit(() =>
          exchange(url, route, method, headers, body).catch((error: unknown) => ({ error: error as Error })),
        );
        const backoff = Math.min(MAX_SERVER_ERROR_WAIT_MS, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
        if ('error' in outcome) {
          const last = attempt === options.maxRetries || (!replayable && !neverSent(outcome.error));
          if (last) throw serviceError(outcome.error, 'gitlab', route);
          options.stats.retry('gitlab', outcome.error?.name ?? 'error', backoff);
          options.logger[options.retryLogLevel ?? 'warn'](
            { route, attempt, err: outcome.error?.message },
            'gitlab request failed, retrying',
          );
          await sleep(backoff);
          continue;
        }
        const { answer } = outcome;
        if (answer.status >= 200 && answer.status < 300) {
          return { body: processBody(answer, asStream), headers: answer.headerRecord, status: answer.status };
        }
        lastStatus = answer.status;
        if (answer.status === 429 && attempt === options.maxRetries) break;
        const retryable = replayable ? RETRY_STATUS.has(answer.status) : answer.status === 429;
        if (!retryable || attempt === options.maxRetries) failWith(answer, route);
        const wait = retryWaitMs(answer.status, answer.headers, backoff);
        if (answer.status === 429) pacer.pause(wait);
        options.stats.retry('gitlab', answer.status, wait);
        options.logger[options.retryLogLevel ?? 'warn'](
          { route, status: answer.status, attempt, waitMs: wait },
          'gitlab throttled or failing, retrying',
        );
        await sleep(wait);
      }
      throw new ExternalServiceError(
        'gitlab',
        codeOfStatus(lastStatus),
        `Could not complete the request after ${options.maxRetries} retries, last status code: ${lastStatus}`,
        { status: lastStatus, operation: route },
      );
    };
    try {
      return await attempts();
    } catch (error) {
      throw serviceError(error, 'gitlab', route);
    }
  };
}

/**
 * The request options the requester hands the handler (gitbeaker's `RequestOptions`, plus ours:
 * `idempotent` for a POST that changes nothing), checked rather than cast.
 */
const requestOptions = z.object({
  method: z.string().default('GET'),
  prefixUrl: z.string().optional(),
  searchParams: z.string().optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
  body: z.string().optional(),
  asStream: z.boolean().optional(),
  idempotent: z.boolean().optional(),
});

/**
 * Throws the boundary's typed error for a final non-2xx answer, with GitLab's own message. The request's
 * headers (the token) are never part of it.
 */
function failWith(answer: HttpAnswer, route: string): never {
  const text = answer.body.toString('utf8');
  let description = text;
  if ((answer.headers.get('content-type') ?? '').includes('application/json')) {
    try {
      const parsed = gitlabMessage.safeParse(JSON.parse(text));
      if (parsed.success) {
        const d = parsed.data.error ?? parsed.data.message ?? '';
        description = typeof d === 'string' ? d : JSON.stringify(d);
      }
    } catch {
      // keep the raw text
    }
  }
  throw new ExternalServiceError(
    'gitlab',
    codeOfStatus(answer.status),
    description || `HTTP ${answer.status}`,
    {
      status: answer.status,
      operation: route,
    },
  );
}

/** GitLab's error bodies: `{"message": …}` (a string or an object of field errors) or `{"error": …}`. */
const gitlabMessage = z.object({ error: z.unknown().optional(), message: z.unknown().optional() });
