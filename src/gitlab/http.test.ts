import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../errors/failure.js';
import { silentLogger } from '../log/logger.js';
import { ApiStats } from '../util/api-stats.js';
import {
  createGitLabRequestHandler,
  MAX_SERVER_ERROR_WAIT_MS,
  mayFollow,
  retryAfterMs,
  retryWaitMs,
  routeOf,
} from './http.js';

/** Starts a test server on 127.0.0.1 and returns its API base URL. */
async function listening(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4/`;
}

/** A request handler whose waits are recorded instead of slept. */
function recordingHandler(maxRetries: number, concurrency = 2) {
  const waits: number[] = [];
  const handler = createGitLabRequestHandler({
    rateLimitReserve: 0.5,
    concurrency,
    timeoutMs: 5_000,
    maxRetries,
    logger: silentLogger(),
    stats: new ApiStats(),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { handler, waits };
}

describe('GitLab HTTP layer', () => {
  it('reads Retry-After as seconds or a date, else RateLimit-Reset', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sat, 28 Nov 2026 12:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'ratelimit-reset': String(now / 1000 + 3) }), now)).toBe(3000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('waits for RateLimit-Reset only when the budget is spent, never for a server error', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    // Recent GitLab sends RateLimit-* on every answer: a 502 in a window that resets in 55 s.
    const unthrottled = new Headers({
      'ratelimit-limit': '2000',
      'ratelimit-remaining': '1990',
      'ratelimit-reset': String(now / 1000 + 55),
    });
    expect(retryWaitMs(502, unthrottled, 400, now)).toBe(400);
    expect(retryWaitMs(503, new Headers({ 'retry-after': '3' }), 400, now)).toBe(3000);
    expect(retryWaitMs(503, new Headers({ 'retry-after': '600' }), 400, now)).toBe(MAX_SERVER_ERROR_WAIT_MS);
    expect(retryWaitMs(429, unthrottled, 400, now)).toBe(55_000);
    const spent = new Headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': String(now / 1000 + 20) });
    expect(retryWaitMs(500, spent, 400, now)).toBe(20_000);
  });

  it('a persistent 5xx costs backoff, not the rate window; the error names its route and status', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res
        .writeHead(calls % 2 ? 502 : 503, {
          'content-type': 'application/json',
          'ratelimit-remaining': '1999',
          'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
        })
        .end('{"message":"bad gateway"}');
    });
    const base = await listening(server);
    const { handler, waits } = recordingHandler(4);
    try {
      const error = await handler('projects/1/repository/branches', { method: 'GET', prefixUrl: base }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(calls).toBe(5);
      expect(waits).toHaveLength(4);
      // 250 ms doubling, with jitter: well under the 60 s the reset header names.
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThan(4_000);
      expect(describeFailure(error)).toMatchObject({
        service: 'gitlab',
        operation: 'GET /projects/:id/repository/branches',
        code: 'SERVER_ERROR',
        status: 502,
      });
    } finally {
      server.close();
    }
  });

  it('a DELETE with a body says its length, so a strict server does not read it as the next request', async () => {
    const seen: { method?: string; length?: string; chunked?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          ...(req.method ? { method: req.method } : {}),
          ...(req.headers['content-length'] ? { length: req.headers['content-length'] } : {}),
          ...(req.headers['transfer-encoding'] ? { chunked: req.headers['transfer-encoding'] } : {}),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(204).end();
      });
    });
    const base = await listening(server);
    const { handler } = recordingHandler(0, 1);
    try {
      // gitbeaker's Environments.remove sends `{}` with its DELETE; two in a row on one keep-alive socket.
      for (let i = 0; i < 2; i++)
        await handler('projects/1/environments/2', {
          method: 'DELETE',
          prefixUrl: base,
          body: '{}',
          headers: { 'content-type': 'application/json' },
        });
      expect(seen).toEqual([
        { method: 'DELETE', length: '2', body: '{}' },
        { method: 'DELETE', length: '2', body: '{}' },
      ]);
    } finally {
      server.close();
    }
  });

  it('names routes without ids', () => {
    expect(
      routeOf('GET', new URL('http://x/api/v4/projects/acme%2Fshop/repository/branches/feature%2Fx')),
    ).toBe('GET /projects/:id/repository/branches/:id');
  });

  it('follows a redirect with the token only to the same host, and never down to http', () => {
    const u = (s: string) => new URL(s);
    expect(
      mayFollow(u('https://gl.example/api/v4/projects/a%2Fb'), u('https://gl.example/api/v4/projects/7')),
    ).toBe(true);
    expect(mayFollow(u('http://gl.example:8080/api/v4/x'), u('https://gl.example/api/v4/projects/7'))).toBe(
      true,
    );
    expect(mayFollow(u('https://gl.example/api/v4/x'), u('http://gl.example/api/v4/projects/7'))).toBe(false);
    expect(mayFollow(u('https://gl.example/api/v4/x'), u('https://evil.example/api/v4/projects/7'))).toBe(
      false,
    );
    expect(mayFollow(u('https://gl.example/api/v4/x'), u('https://gl.example.evil/api/v4/projects/7'))).toBe(
      false,
    );
    expect(mayFollow(u('http://gl.example/api/v4/x'), u('http://gl.example:9999/api/v4/projects/7'))).toBe(
      false,
    );
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
    const base = await listening(server);
    const { handler, waits } = recordingHandler(3);
    try {
      const out = (await handler('projects/1', { method: 'GET', prefixUrl: base })) as unknown as {
        body: unknown;
      };
      expect(out.body).toEqual({ ok: true });
      expect(waits).toContain(2000);
      const before = calls;
      await expect(handler('projects/missing', { method: 'GET', prefixUrl: base })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        status: 404,
        message: '404 Not found',
      });
      expect(calls - before).toBe(1);
    } finally {
      server.close();
    }
  });

  /** A loopback server for one test; its base URL and the requests it saw. */
  async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
    const seen: { url: string; headers: IncomingMessage['headers'] }[] = [];
    const server: Server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      handle(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { origin, base: `${origin}/api/v4/`, seen, close: () => server.close() };
  }

  const handlerFor = (stats = new ApiStats(), timeoutMs = 5_000, maxRetries = 0) =>
    createGitLabRequestHandler({
      rateLimitReserve: 0.5,
      concurrency: 2,
      timeoutMs,
      maxRetries,
      logger: silentLogger(),
      stats,
      sleep: async () => {},
    });

  it("follows GitLab's redirect for a former path on the same host; each hop is a counted request", async () => {
    const gl = await serve((req, res) => {
      if (req.url?.startsWith('/api/v4/projects/acme%2Fold'))
        return void res.writeHead(301, { location: '/api/v4/projects/7' }).end();
      res.writeHead(200, { 'content-type': 'application/json', 'x-total': '1' }).end('{"id":7}');
    });
    const stats = new ApiStats();
    try {
      const out = (await handlerFor(stats)('projects/acme%2Fold', {
        method: 'GET',
        prefixUrl: gl.base,
        headers: { 'PRIVATE-TOKEN': 'glpat-secret' },
      })) as unknown as { body: unknown; headers: Record<string, string> };
      expect(out.body).toEqual({ id: 7 });
      expect(out.headers['x-total']).toBe('1');
      expect(gl.seen.map((r) => r.url)).toEqual(['/api/v4/projects/acme%2Fold', '/api/v4/projects/7']);
      expect(gl.seen[1]?.headers['private-token']).toBe('glpat-secret');
      expect(stats.snapshot().calls.gitlab).toEqual({ 'GET /projects/:id': 2 });
    } finally {
      gl.close();
    }
  });

  it('does not follow a redirect to another host: the token stays home and the answer is an error', async () => {
    const elsewhere = await serve((_req, res) => void res.writeHead(200).end('{}'));
    const gl = await serve(
      (_req, res) => void res.writeHead(302, { location: `${elsewhere.origin}/steal` }).end(),
    );
    try {
      await expect(
        handlerFor()('projects/1', {
          method: 'GET',
          prefixUrl: gl.base,
          headers: { 'PRIVATE-TOKEN': 'glpat-secret' },
        }),
      ).rejects.toMatchObject({ code: 'REJECTED', status: 302 });
      expect(elsewhere.seen).toEqual([]);
    } finally {
      gl.close();
      elsewhere.close();
    }
  });

  it('decodes compressed answers and asks for them', async () => {
    const gl = await serve(
      (_req, res) =>
        void res
          .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
          .end(gzipSync(JSON.stringify([{ name: 'main' }]))),
    );
    try {
      const out = (await handlerFor()('projects/1/repository/branches', {
        method: 'GET',
        prefixUrl: gl.base,
      })) as unknown as { body: unknown };
      expect(out.body).toEqual([{ name: 'main' }]);
      expect(gl.seen[0]?.headers['accept-encoding']).toContain('gzip');
    } finally {
      gl.close();
    }
  });

  it('gives up on an answer that never completes, as a timeout', async () => {
    const gl = await serve((_req, res) => {
      // Headers, then silence: the deadline covers the body too.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
    });
    try {
      const started = Date.now();
      await expect(
        handlerFor(new ApiStats(), 300)('projects/1', { method: 'GET', prefixUrl: gl.base }),
      ).rejects.toMatchObject({ code: 'TIMEOUT', serviceCode: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      gl.close();
    }
  });

  it('never sends a POST twice once it may have reached GitLab; a 429 (nothing done) is retried', async () => {
    let notes = 0;
    let mode: 'slow' | '502' | '429-once' = 'slow';
    const gl = await serve((req, res) => {
      if (req.method !== 'POST') return void res.writeHead(502).end();
      notes++;
      if (mode === 'slow')
        return void setTimeout(
          () => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'),
          1_000,
        );
      if (mode === '502') return void res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway');
      if (notes === 1) return void res.writeHead(429, { 'retry-after': '1' }).end();
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}');
    });
    const post = {
      method: 'POST',
      prefixUrl: gl.base,
      body: '{"body":"note"}',
      headers: { 'content-type': 'application/json' },
    };
    try {
      // Processed too late for the deadline: not posted again.
      await expect(
        handlerFor(new ApiStats(), 200, 3)('projects/1/merge_requests/2/notes', post),
      ).rejects.toMatchObject({
        code: 'TIMEOUT',
      });
      expect(notes).toBe(1);
      mode = '502';
      notes = 0;
      await expect(
        handlerFor(new ApiStats(), 5_000, 3)('projects/1/merge_requests/2/notes', post),
      ).rejects.toMatchObject({
        code: 'SERVER_ERROR',
        status: 502,
      });
      expect(notes).toBe(1);
      mode = '429-once';
      notes = 0;
      const out = (await handlerFor(
        new ApiStats(),
        5_000,
        3,
      )('projects/1/merge_requests/2/notes', post)) as unknown as {
        body: unknown;
      };
      expect(out.body).toEqual({ id: 1 });
      expect(notes).toBe(2);
      // A GET is read again after a 502.
      const before = gl.seen.length;
      await expect(
        handlerFor(new ApiStats(), 5_000, 2)('projects/1', { method: 'GET', prefixUrl: gl.base }),
      ).rejects.toBeDefined();
      expect(gl.seen.length - before).toBe(3);
    } finally {
      gl.close();
    }
  });

  it('retries a POST that could not connect at all', async () => {
    const gl = await serve(
      (_req, res) => void res.writeHead(201, { 'content-type': 'application/json' }).end('{}'),
    );
    const port = new URL(gl.base).port;
    gl.close();
    const stats = new ApiStats();
    await expect(
      handlerFor(
        stats,
        1_000,
        2,
      )('projects/1/issues', { method: 'POST', prefixUrl: `http://127.0.0.1:${port}/api/v4/`, body: '{}' }),
    ).rejects.toMatchObject({ code: 'NETWORK', serviceCode: 'ECONNREFUSED' });
    // Three attempts, none of which reached a server.
    expect(stats.snapshot().calls.gitlab).toEqual({ 'POST /projects/:id/issues': 3 });
  });
});
