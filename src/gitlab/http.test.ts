import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { ApiStats } from '../util/api-stats.js';
import { createGitLabRequestHandler, retryAfterMs, routeOf } from './http.js';

describe('GitLab HTTP layer', () => {
  it('reads Retry-After as seconds or a date, else RateLimit-Reset', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sat, 28 Nov 2026 12:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'ratelimit-reset': String(now / 1000 + 3) }), now)).toBe(3000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('names routes without ids', () => {
    expect(
      routeOf('GET', new URL('http://x/api/v4/projects/acme%2Fshop/repository/branches/feature%2Fx')),
    ).toBe('GET /projects/:id/repository/branches/:id');
  });

  it('waits for Retry-After on 429 and retries; 4xx other than 429 fail at once', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      if (req.url?.includes('missing'))
        return void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"message":"404 Not found"}');
      if (calls === 1)
        return void res
          .writeHead(429, { 'retry-after': '2', 'content-type': 'text/plain' })
          .end('Retry later');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4/`;
    const waits: number[] = [];
    const handler = createGitLabRequestHandler({
      rateLimitReserve: 0.5,
      concurrency: 2,
      timeoutMs: 5_000,
      maxRetries: 3,
      logger: silentLogger(),
      stats: new ApiStats(),
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    try {
      const out = (await handler('projects/1', { method: 'GET', prefixUrl: base })) as unknown as {
        body: unknown;
      };
      expect(out.body).toEqual({ ok: true });
      expect(waits).toContain(2000);
      const before = calls;
      await expect(handler('projects/missing', { method: 'GET', prefixUrl: base })).rejects.toMatchObject({
        cause: { description: '404 Not found' },
      });
      expect(calls - before).toBe(1);
    } finally {
      server.close();
    }
  });
});
