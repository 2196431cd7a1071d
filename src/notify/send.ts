import type { Config } from '../config/schema.js';
import type { ErrorCode } from '../core/error-codes.js';
import type { RunError } from '../core/run-result.js';
import type { Logger } from '../log/logger.js';
import type { Report } from '../report/json-report.js';
import { ciLinks, runEventData, shouldSend } from './event.js';
import { webhookBody } from './render.js';

/**
 * Sends the run's message to each configured webhook (`notify.webhooks`). The URL is a secret: it is
 * never logged, and errors name the webhook (`name`, else `type#index`), never the URL. A failed POST is
 * an error of the run (`less-reported`), after a bounded number of attempts.
 */

/** What sending needs: the environment (CI links, `urlEnv`), a logger, and swappable fetch and sleep. */
export interface WebhookDeps {
  env: Record<string, string | undefined>;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** The longest Retry-After honoured; a longer one ends the attempts. */
const MAX_RETRY_AFTER_MS = 30_000;

/** The URLs of the configured webhooks that are set: secrets the logger scrubs from every line. */
export function webhookSecrets(config: Config, env: Record<string, string | undefined>): string[] {
  return config.notify.webhooks
    .map((w) => w.url ?? (w.urlEnv ? env[w.urlEnv] : undefined))
    .filter((u): u is string => typeof u === 'string' && u.length > 0);
}

function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'ACCESS_DENIED';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER_ERROR';
  return 'REJECTED';
}

/** One POST, attempts included: `undefined` when delivered, else the run error. */
async function post(
  name: string,
  url: string,
  body: { contentType: string; body: string },
  hook: Config['notify']['webhooks'][number],
  deps: WebhookDeps,
): Promise<RunError | undefined> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fail = (code: ErrorCode, message: string, status?: number): RunError => ({
    scope: `webhook ${name}`,
    code,
    message,
    ...(status !== undefined ? { status } : {}),
    service: 'webhook',
    operation: 'POST',
    effect: 'less-reported',
  });
  let last: RunError | undefined;
  for (let attempt = 1; attempt <= hook.attempts; attempt++) {
    let wait = 1000 * 2 ** (attempt - 1);
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': body.contentType, 'user-agent': 'env-reaper' },
        body: body.body,
        signal: AbortSignal.timeout(hook.timeout),
        redirect: 'error',
      });
      // The answer's text is not kept: a receiver may echo the URL or the payload back.
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return undefined;
      last = fail(codeOfStatus(res.status), `the webhook answered HTTP ${res.status}`, res.status);
      if (res.status !== 429 && res.status < 500) return last;
      const after = Number(res.headers.get('retry-after'));
      if (Number.isFinite(after) && after > 0) {
        if (after * 1000 > MAX_RETRY_AFTER_MS) return last;
        wait = after * 1000;
      }
    } catch (error) {
      const timeout = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
      // The error's own text may carry the URL: only its kind is kept.
      last = fail(
        timeout ? 'TIMEOUT' : 'NETWORK',
        timeout ? `no answer within ${hook.timeout} ms` : 'the webhook could not be reached',
      );
    }
    if (attempt < hook.attempts) {
      deps.logger.warn({ webhook: name, attempt, code: last.code }, 'webhook POST failed: retrying');
      await sleep(wait);
    }
  }
  return last;
}

/** Sends the run's message to every webhook whose `on` rule matches; returns the failures as run errors. */
export async function sendWebhooks(
  config: Config,
  report: Report,
  deps: WebhookDeps,
  options: { reportFiles: boolean },
): Promise<RunError[]> {
  const hooks = config.notify.webhooks;
  if (hooks.length === 0) return [];
  const data = runEventData(report, ciLinks(deps.env, options.reportFiles));
  const source = data.links.pipeline ?? 'urn:env-reaper';
  const errors: RunError[] = [];
  for (const [i, hook] of hooks.entries()) {
    const name = hook.name ?? `${hook.type}#${i}`;
    if (!shouldSend(hook.on, data)) {
      deps.logger.debug({ webhook: name, on: hook.on }, 'webhook not sent: its rule does not match this run');
      continue;
    }
    const url = hook.url ?? (hook.urlEnv ? deps.env[hook.urlEnv] : undefined);
    if (!url) {
      errors.push({
        scope: `webhook ${name}`,
        code: 'SECRET_MISSING',
        message: `the environment variable ${hook.urlEnv ?? ''} is not set: the message was not sent`,
        service: 'webhook',
        effect: 'less-reported',
      });
      continue;
    }
    const error = await post(name, url, webhookBody(hook.type, data, source), hook, deps);
    if (error) {
      deps.logger.error(
        { webhook: name, code: error.code, status: error.status },
        'webhook message not delivered',
      );
      errors.push(error);
    } else deps.logger.info({ webhook: name, type: hook.type }, 'webhook message sent');
  }
  return errors;
}
