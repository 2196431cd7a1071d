import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * One HTTP exchange with GitLab on `node:http(s)` keep-alive agents, the body read whole.
 *
 * Hand-written instead of `fetch`: on a 2-core machine `fetch` costs about 1.3 ms more CPU per request
 * than `node:http` (WHATWG `Request`/`Headers`/streams per call), which at a few hundred requests was
 * most of a small run's time; the `undici` package has the lean `request` API but takes ~150 ms to load,
 * more than it saves on a small run. Redirects are not followed here: the request handler follows
 * same-origin ones itself, so every hop is paced and counted, and a token never goes to another host.
 */

/** Reads a header by lower-case name, as `Headers#get` does (`null` when absent). */
export interface HeaderReader {
  get(name: string): string | null;
}

/** A GitLab answer, body read whole and decoded. */
export interface HttpAnswer {
  status: number;
  headers: HeaderReader;
  /** Every header, repeated ones joined with `, ` (what gitbeaker reads pagination from). */
  headerRecord: Record<string, string>;
  body: Buffer;
}

/** A request as the handler builds it. */
export interface HttpExchange {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  timeoutMs: number;
}

/** Raised when the exchange outlives `timeoutMs` (named like fetch's, so callers treat both alike). */
export class HttpTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

const decoders: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/** Joins repeated headers the way `Headers` does. */
function flatten(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Keep-alive agents sized to the handler's concurrency; one pair per GitLab client. */
export class HttpTransport {
  private readonly agents: { http: http.Agent; https: https.Agent };

  /**
   * @param idleMs how long an idle socket is kept for reuse. Shorter than the idle timeouts of GitLab's
   * web servers and proxies (60 s and more), so a request after a pause (the daemon between runs) does
   * not go out on a socket the server already closed; Node's own global agent uses 5 s too.
   */
  constructor(maxSockets: number, idleMs = 5_000) {
    // The agent applies `timeout` to every socket, but only destroys the idle ones on it: a request in
    // flight merely gets a 'timeout' event nobody listens to, and keeps its own deadline.
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets, timeout: idleMs }),
      https: new https.Agent({ keepAlive: true, maxSockets, timeout: idleMs }),
    };
  }

  /** Sends one request and reads its answer; rejects on network errors and on the deadline. */
  send(x: HttpExchange): Promise<HttpAnswer> {
    const secure = x.url.protocol === 'https:';
    const lib = secure ? https : http;
    return new Promise<HttpAnswer>((resolve, reject) => {
      // A body always says how long it is: Node sends DELETE (and GET) bodies neither chunked nor with a
      // length, and a strict server then reads the body bytes as the next request (gitbeaker sends `{}`
      // with a DELETE).
      const length = x.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(x.body)) };
      const req = lib.request(x.url, {
        method: x.method,
        headers: { 'accept-encoding': 'gzip, deflate, br', ...x.headers, ...length },
        agent: secure ? this.agents.https : this.agents.http,
      });
      // One deadline for the whole exchange, headers and body, as a fetch abort signal would give.
      const timer = setTimeout(
        () => req.destroy(new HttpTimeoutError(`no complete answer within ${x.timeoutMs} ms`)),
        x.timeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const headerRecord = flatten(res.headers);
          const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          const decode = decoders[(headerRecord['content-encoding'] ?? '').trim().toLowerCase()];
          (decode && raw.length > 0 ? decode(raw) : Promise.resolve(raw)).then(
            (body) =>
              resolve({
                status: res.statusCode ?? 0,
                headers: { get: (name) => headerRecord[name] ?? null },
                headerRecord,
                body,
              }),
            reject,
          );
        });
      });
      req.end(x.body);
    });
  }

  /** Closes idle sockets (end of run). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
