import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpTransport } from './transport.js';

describe('HttpTransport', () => {
  it('reuses a socket while it is fresh and closes it once idle, before a server would', async () => {
    let open = 0;
    let opened = 0;
    const server = createServer(
      (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    );
    server.on('connection', (socket) => {
      open++;
      opened++;
      socket.on('close', () => open--);
    });
    // Like GitLab's web servers: idle connections are kept for a minute.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4/projects/1`);
    const transport = new HttpTransport(2, 300);
    try {
      const get = () => transport.send({ url, method: 'GET', headers: {}, timeoutMs: 5_000 });
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      expect(opened).toBe(1);
      // Polled with a deadline: the idle socket goes away on its own after ~300 ms.
      const deadline = Date.now() + 2_000;
      while (open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(open).toBe(0);
      expect((await get()).status).toBe(200);
      expect(opened).toBe(2);
    } finally {
      transport.close();
      server.close();
    }
  });

  it('keeps a slow answer alive past the idle time: only its own deadline ends it', async () => {
    const server = createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"late":true}'), 400);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    const transport = new HttpTransport(1, 100);
    try {
      const answer = await transport.send({ url, method: 'GET', headers: {}, timeoutMs: 5_000 });
      expect(JSON.parse(answer.body.toString())).toEqual({ late: true });
    } finally {
      transport.close();
      server.close();
    }
  });
});
