import {
  GitbeakerRequestError,
  GitbeakerRetryError,
  GitbeakerTimeoutError,
} from '@gitbeaker/requester-utils';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../log/logger.js';
import type { ApiStats } from '../util/api-stats.js';
import { RequestPacer } from '../util/pacer.js';
import { USER_AGENT } from '../util/version.js';

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
const MAX_WAIT_MS = 120_000;

/** Route template for stats: ids and names become `:id`. */
export function routeOf(method: string, url: URL): string {
  const parts = url.pathname.replace(/^.*\/api\/v4\//, '').split('/');
  const collections = new Set([
    'projects',
    'branches',
    'merge_requests',
    'environments',
    'issues',
    'notes',
    'labels',
    'groups',
  ]);
  return `${method} /${parts.map((p, i) => (i > 0 && collections.has(parts[i - 1] as string) ? ':id' : p)).join('/')}`;
}

async function processBody(response: Response): Promise<unknown> {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (type === 'application/json') return response.json().then((v: unknown) => v ?? {});
  if (type.startsWith('text/')) return response.text().then((t) => t || '');
  return response.blob();
}

/** Seconds from `Retry-After` (delta or HTTP date), else until `RateLimit-Reset`, else undefined. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get('retry-after');
  if (ra !== null) {
    if (/^\d+$/.test(ra.trim())) return Number(ra) * 1000;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = Number(headers.get('ratelimit-reset'));
  if (reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
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

  return async (endpoint: string, raw?: Record<string, unknown>) => {
    const {
      rateLimiters: _r,
      agent: _a,
      asStream,
      prefixUrl,
      searchParams,
      method,
      signal: _s,
      ...init
    } = (raw ?? {}) as unknown as {
      rateLimiters?: unknown;
      agent?: unknown;
      asStream?: boolean;
      prefixUrl?: string;
      searchParams?: string;
      method: string;
      signal?: AbortSignal;
    } & RequestInit;
    const base = prefixUrl ? (prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`) : undefined;
    const url = new URL(endpoint, base);
    url.search = searchParams ?? '';
    const route = routeOf(method, url);
    let lastStatus = 0;
    for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
      const outcome = await limit(async () => {
        await pacer.acquire();
        const headers = new Headers(init.headers);
        headers.set('user-agent', USER_AGENT);
        // A timer cleared once the answer is read, not AbortSignal.timeout: fetch keeps a request
        // reachable from that signal until it fires, so at hundreds of requests a second the last
        // `timeout` worth of requests would stay on the heap.
        const controller = new AbortController();
        const timer = setTimeout(
          () => controller.abort(new DOMException('The operation timed out', 'TimeoutError')),
          options.timeoutMs,
        );
        const request = new Request(url, { ...init, headers, method, signal: controller.signal });
        try {
          const response = await fetch(request);
          pacer.observe(response.headers);
          options.stats.call('gitlab', route, !response.ok);
          return { request, response, timer };
        } catch (error) {
          clearTimeout(timer);
          pacer.settled();
          options.stats.call('gitlab', route, true);
          return { request, error: error as Error };
        }
      });
      const backoff = Math.min(MAX_WAIT_MS, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      if ('error' in outcome) {
        if (attempt === options.maxRetries) {
          const name = outcome.error?.name;
          if (name === 'TimeoutError' || name === 'AbortError')
            throw new GitbeakerTimeoutError('Query timeout was reached');
          throw outcome.error;
        }
        options.stats.retry('gitlab', outcome.error?.name ?? 'error', backoff);
        options.logger[options.retryLogLevel ?? 'warn'](
          { route, attempt, err: outcome.error?.message },
          'gitlab request failed, retrying',
        );
        await sleep(backoff);
        continue;
      }
      const { request, response, timer } = outcome;
      try {
        if (response.ok) {
          const body =
            response.status === 204 ? null : asStream ? response.body : await processBody(response);
          return {
            body,
            headers: Object.fromEntries(response.headers.entries()),
            status: response.status,
          } as never;
        }
        lastStatus = response.status;
        if (response.status === 429 && attempt === options.maxRetries) {
          await response.body?.cancel();
          break;
        }
        if (RETRY_STATUS.has(response.status) && attempt < options.maxRetries) {
          await response.body?.cancel();
        } else {
          await failWith(response, request);
        }
      } finally {
        clearTimeout(timer);
      }
      const wait = Math.min(MAX_WAIT_MS, retryAfterMs(response.headers) ?? backoff);
      if (response.status === 429) pacer.pause(wait);
      options.stats.retry('gitlab', response.status, wait);
      options.logger[options.retryLogLevel ?? 'warn'](
        { route, status: response.status, attempt, waitMs: wait },
        'gitlab throttled or failing, retrying',
      );
      await sleep(wait);
    }
    throw new GitbeakerRetryError(
      `Could not complete the request after ${options.maxRetries} retries, last status code: ${lastStatus}`,
    );
  };
}

/** Throws the gitbeaker error for a final non-2xx answer, with GitLab's own message as description. */
async function failWith(response: Response, request: Request): Promise<never> {
  const text = await response.text();
  let description = text;
  if ((response.headers.get('content-type') ?? '').includes('application/json')) {
    try {
      const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
      const d = parsed?.error ?? parsed?.message ?? '';
      description = typeof d === 'string' ? d : JSON.stringify(d);
    } catch {
      // keep the raw text
    }
  }
  throw new GitbeakerRequestError(description, { cause: { description, request, response } });
}
