import type { IncomingMessage, ServerResponse } from 'node:http';
import type { World } from './world.js';

/**
 * A webhook receiver for env-reaper's `notify.webhooks`: `POST /hooks/<kind>/<name>` records what it got
 * and answers as the real service does (from their docs): Slack incoming webhooks `200 ok`, or `400
 * invalid_payload` / `no_text` for a body without `text` or `blocks`; Mattermost incoming webhooks `200
 * ok`, or `400` without `text`/`attachments`; Teams Workflows `202 Accepted`, or `400` for a body that is
 * not a `message` with an Adaptive Card attachment; the generic receiver takes any JSON (`204`). Failures
 * can be scripted per name (`status`, how many `times`, `retryAfter`).
 */

/** One POST the receiver got. */
export interface ReceivedHook {
  kind: string;
  name: string;
  contentType: string;
  body: string;
  /** Parsed JSON, when it parsed. */
  json?: unknown;
  /** The status it answered. */
  status: number;
}

/** A scripted failure of one hook name. */
export interface HookFailure {
  status: number;
  /** How many POSTs fail before it answers normally again (Infinity: always). */
  times: number;
  retryAfter?: number;
}

interface Hooks {
  received: ReceivedHook[];
  failures: Map<string, HookFailure>;
}

const byWorld = new WeakMap<World, Hooks>();

/** The receiver's record for a world (created on first use). */
export function hooksOf(world: World): Hooks {
  let h = byWorld.get(world);
  if (!h) {
    h = { received: [], failures: new Map() };
    byWorld.set(world, h);
  }
  return h;
}

function validate(kind: string, json: unknown): string | undefined {
  const o = (json ?? {}) as Record<string, unknown>;
  if (kind === 'slack') return o.text || Array.isArray(o.blocks) ? undefined : 'no_text';
  if (kind === 'mattermost') return o.text || Array.isArray(o.attachments) ? undefined : 'missing text';
  if (kind === 'teams') {
    const a = (o.attachments as { contentType?: string; content?: { type?: string } }[] | undefined)?.[0];
    return o.type === 'message' &&
      a?.contentType === 'application/vnd.microsoft.card.adaptive' &&
      a.content?.type === 'AdaptiveCard'
      ? undefined
      : 'the body is not a message with an Adaptive Card';
  }
  return undefined;
}

/** Handles `POST /hooks/<kind>/<name>`; `false` when the path is not a hook's. */
export function handleHook(world: World, req: IncomingMessage, res: ServerResponse, body: Buffer): boolean {
  const m = /^\/hooks\/(slack|mattermost|teams|json)\/([A-Za-z0-9_.-]+)$/.exec(
    new URL(req.url ?? '/', 'http://sandbox').pathname,
  );
  if (!m || req.method !== 'POST') return false;
  const [, kind = '', name = ''] = m;
  const hooks = hooksOf(world);
  const text = body.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const record = (status: number) =>
    hooks.received.push({
      kind,
      name,
      contentType: String(req.headers['content-type'] ?? ''),
      body: text,
      ...(json !== undefined ? { json } : {}),
      status,
    });
  const failure = hooks.failures.get(name);
  if (failure && failure.times > 0) {
    failure.times--;
    record(failure.status);
    res
      .writeHead(failure.status, {
        'content-type': 'text/plain',
        ...(failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {}),
      })
      // Echoes the path, as some receivers do: the client must not copy answers into its errors.
      .end(`failed ${req.url}`);
    return true;
  }
  const invalid = json === undefined ? 'invalid_payload' : validate(kind, json);
  if (invalid) {
    record(400);
    res.writeHead(400, { 'content-type': 'text/plain' }).end(invalid);
    return true;
  }
  const status = kind === 'teams' ? 202 : kind === 'json' ? 204 : 200;
  record(status);
  res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 204 ? undefined : 'ok');
  return true;
}
