import type { ServerResponse } from 'node:http';
import type { World } from './world.js';

/**
 * How the sandbox's GitLab answers beyond the happy path: HTTP errors, a moved project, 200s broken the
 * ways proxies and API drift break them, and the per-token rate limit with GitLab's `RateLimit-*`
 * headers (one window per token, shared by every route).
 */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

/** A 200 answer broken the ways proxies, outages and API drift break them (fault kind `malformed`). */
export function malformed(out: unknown, variant: string): { type: string; text: string } {
  const json = JSON.stringify(out);
  const each = (f: (v: unknown) => unknown) => (o: unknown) =>
    o && typeof o === 'object' && !Array.isArray(o)
      ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]))
      : o;
  const items = (f: (o: unknown) => unknown) => (Array.isArray(out) ? out.map(f) : f(out));
  switch (variant) {
    case 'html':
      return { type: 'text/html', text: '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>' };
    case 'truncated':
      return { type: 'application/json', text: json.slice(0, Math.max(1, Math.floor(json.length / 2))) };
    case 'nulls':
      return { type: 'application/json', text: JSON.stringify(items(each(() => null))) };
    case 'missing':
      return {
        type: 'application/json',
        text: JSON.stringify(
          items((o) => (o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).slice(0, 1)) : o)),
        ),
      };
    case 'types':
      return {
        type: 'application/json',
        text: JSON.stringify(
          items(
            each((v) =>
              typeof v === 'number'
                ? String(v)
                : typeof v === 'string'
                  ? v.length
                  : typeof v === 'boolean'
                    ? 'yes'
                    : v === null
                      ? 0
                      : [],
            ),
          ),
        ),
      };
    default:
      return { type: 'application/json', text: JSON.stringify(Array.isArray(out) ? { items: out } : [out]) };
  }
}

/** GitLab's `MAX_TEXT_SIZE_LIMIT`. */
export const MAX_TEXT_BYTES = 1_048_576;

/** A project asked for by a former path: GitLab 16.7+ answers 301 to the same route by id. */
export class MovedProject extends HttpError {
  constructor(readonly projectId: number) {
    super(301, { message: '301 Moved Permanently' });
  }
}

export const notFound = (what = '404 Not found') => new HttpError(404, { message: what });

/** Counts one request against the token's window; sets GitLab's headers; 429 past the limit. */
export function rateLimit(world: World, token: string, res: ServerResponse): void {
  const limit = world.scenario.gitlab.requestsPerMinute;
  if (limit <= 0) return;
  const now = Date.now();
  const RATE_WINDOW_MS = world.scenario.gitlab.rateLimitWindowSeconds * 1000;
  let win = world.rateWindows.get(token);
  if (!win || now - win.windowStart >= RATE_WINDOW_MS) {
    // Someone else shares the token: they spent part of its first window before we came.
    const others = win ? 0 : world.scenario.gitlab.budgetUsedByOthers;
    win = { windowStart: now, count: others };
    world.rateWindows.set(token, win);
  }
  win.count++;
  const reset = Math.ceil((win.windowStart + RATE_WINDOW_MS) / 1000);
  res.setHeader('RateLimit-Name', 'throttle_authenticated_api');
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Observed', String(win.count));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, limit - win.count)));
  res.setHeader('RateLimit-Reset', String(reset));
  if (win.count > limit) {
    res.setHeader('RateLimit-ResetTime', new Date(reset * 1000).toUTCString());
    res.setHeader('Retry-After', String(Math.max(1, reset - Math.floor(now / 1000))));
    throw new HttpError(429, 'Retry later\n');
  }
}

/** One request as the routes see it. */
export interface Ctx {
  method: string;
  url: URL;
  segments: string[];
  body: Record<string, unknown>;
  token: string;
  res: ServerResponse;
}

/** One page of a listing, with GitLab's offset pagination headers (no totals past 10,000 items). */
export function paginate<T>(world: World, baseUrl: string, ctx: Ctx, items: T[]): T[] {
  const page = Math.max(1, Number(ctx.body.page ?? 1) || 1);
  const perPage = Math.min(100, Math.max(1, Number(ctx.body.per_page ?? 20) || 20));
  let total = items.length;
  const truncate = world.fault('gitlab', ctx.url.pathname.replace(/^\/api\/v4/, ''), ['truncate']);
  if (truncate) total = Math.min(total, truncate.pages * perPage);
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const slice = items.slice((page - 1) * perPage, Math.min(page * perPage, total));
  const link = (p: number) => {
    const u = new URL(ctx.url.pathname + ctx.url.search, baseUrl);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return u.toString();
  };
  const links: string[] = [];
  const big = total > 10_000;
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`);
  if (!big) links.push(`<${link(totalPages)}>; rel="last"`);
  const r = ctx.res;
  r.setHeader('Link', links.join(', '));
  r.setHeader('x-page', String(page));
  r.setHeader('x-per-page', String(perPage));
  r.setHeader('x-next-page', page < totalPages ? String(page + 1) : '');
  r.setHeader('x-prev-page', page > 1 ? String(page - 1) : '');
  if (!big) {
    r.setHeader('x-total', String(total));
    r.setHeader('x-total-pages', String(totalPages));
  }
  return slice;
}
