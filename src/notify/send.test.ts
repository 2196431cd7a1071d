import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { Report } from '../report/json-report.js';
import { sendWebhooks, webhookSecrets } from './send.js';

const SECRET = 'https://hooks.slack.example/services/T000/B000/very-secret-token';

const report = {
  runId: 'run-1',
  generatedAt: '2026-12-05T10:00:00.000Z',
  mode: 'apply',
  summary: { brake: null },
  environments: [],
  errors: [],
} as unknown as Report;

function setup(answers: (number | Error | { status: number; retryAfter?: string })[], hooks?: unknown[]) {
  const posts: { url: string; init: RequestInit }[] = [];
  const sleeps: number[] = [];
  const logs: string[] = [];
  let i = 0;
  const fetch = (async (url: string, init: RequestInit) => {
    posts.push({ url, init });
    const a = answers[Math.min(i++, answers.length - 1)] ?? 200;
    if (a instanceof Error) throw a;
    const { status, retryAfter } = typeof a === 'number' ? { status: a, retryAfter: undefined } : a;
    return new Response(status === 204 ? null : `echo ${url}`, {
      status,
      headers: retryAfter ? { 'retry-after': retryAfter } : {},
    });
  }) as unknown as typeof globalThis.fetch;
  const config = parseConfig({
    notify: { webhooks: hooks ?? [{ type: 'slack', url: SECRET, on: 'always' }] },
  });
  const deps = {
    env: { CI_PIPELINE_URL: 'https://gitlab.example.com/p/1', HOOK_URL: SECRET },
    logger: pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) }),
    fetch,
    sleep: async (ms: number) => void sleeps.push(ms),
  };
  return { config, deps, posts, sleeps, logs };
}

describe('sendWebhooks', () => {
  it('posts the message once on 2xx', async () => {
    const s = setup([200]);
    expect(await sendWebhooks(s.config, report, s.deps, { reportFiles: false })).toEqual([]);
    expect(s.posts).toHaveLength(1);
    expect(s.posts[0]?.url).toBe(SECRET);
    expect(s.posts[0]?.init.method).toBe('POST');
    expect((s.posts[0]?.init.headers as Record<string, string> | undefined)?.['content-type']).toBe(
      'application/json',
    );
    expect(s.sleeps).toEqual([]);
  });

  it('retries a 5xx, a 429 and a network error with backoff, up to `attempts`', async () => {
    const s = setup([503, 429, new TypeError('fetch failed')]);
    const errors = await sendWebhooks(s.config, report, s.deps, { reportFiles: false });
    expect(s.posts).toHaveLength(3);
    expect(s.sleeps).toEqual([1000, 2000]);
    expect(errors).toEqual([
      {
        scope: 'webhook slack#0',
        code: 'NETWORK',
        message: 'the webhook could not be reached',
        service: 'webhook',
        operation: 'POST',
        effect: 'less-reported',
      },
    ]);
  });

  it('succeeds on a later attempt: no error', async () => {
    const s = setup([500, 200]);
    expect(await sendWebhooks(s.config, report, s.deps, { reportFiles: false })).toEqual([]);
    expect(s.posts).toHaveLength(2);
  });

  it('does not retry a 4xx: the answer will not change', async () => {
    for (const [status, code] of [
      [400, 'REJECTED'],
      [401, 'UNAUTHENTICATED'],
      [403, 'ACCESS_DENIED'],
      [404, 'NOT_FOUND'],
      [410, 'NOT_FOUND'],
    ] as const) {
      const s = setup([status]);
      const errors = await sendWebhooks(s.config, report, s.deps, { reportFiles: false });
      expect(s.posts, String(status)).toHaveLength(1);
      expect(errors[0], String(status)).toMatchObject({
        code,
        status,
        message: `the webhook answered HTTP ${status}`,
      });
    }
  });

  it('honours a Retry-After up to 30 s, and stops on a longer one', async () => {
    const s = setup([{ status: 429, retryAfter: '7' }, 200]);
    await sendWebhooks(s.config, report, s.deps, { reportFiles: false });
    expect(s.sleeps).toEqual([7000]);
    const long = setup([{ status: 429, retryAfter: '120' }, 200]);
    const errors = await sendWebhooks(long.config, report, long.deps, { reportFiles: false });
    expect(long.posts).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
  });

  it('a timeout is TIMEOUT', async () => {
    const s = setup(
      [Object.assign(new Error('aborted'), { name: 'TimeoutError' })],
      [{ type: 'json', url: SECRET, on: 'always', attempts: 1, timeout: '2s' }],
    );
    const errors = await sendWebhooks(s.config, report, s.deps, { reportFiles: false });
    expect(errors[0]).toMatchObject({ code: 'TIMEOUT', message: 'no answer within 2000 ms' });
  });

  it('never puts the URL in an error or a log line, even when the receiver echoes it', async () => {
    const s = setup([500, 500, new Error(`connect ECONNREFUSED ${SECRET}`)]);
    const errors = await sendWebhooks(s.config, report, s.deps, { reportFiles: false });
    expect(JSON.stringify(errors)).not.toContain('very-secret-token');
    expect(s.logs.join('\n')).not.toContain('very-secret-token');
    expect(s.logs.join('\n')).toContain('webhook POST failed: retrying');
  });

  it('urlEnv: reads the URL from the environment; unset, a SECRET_MISSING error and no POST', async () => {
    const s = setup(
      [200],
      [
        { type: 'teams', urlEnv: 'HOOK_URL', on: 'always', name: 'ops' },
        { type: 'json', urlEnv: 'NOT_SET', on: 'always' },
      ],
    );
    const errors = await sendWebhooks(s.config, report, s.deps, { reportFiles: false });
    expect(s.posts.map((p) => p.url)).toEqual([SECRET]);
    expect(errors).toEqual([
      {
        scope: 'webhook json#1',
        code: 'SECRET_MISSING',
        message: 'the environment variable NOT_SET is not set: the message was not sent',
        service: 'webhook',
        effect: 'less-reported',
      },
    ]);
    expect(webhookSecrets(s.config, s.deps.env)).toEqual([SECRET]);
  });

  it('sends only when the rule matches: a quiet run sends nothing to `changes` or `degraded`', async () => {
    const s = setup(
      [200],
      [
        { type: 'slack', url: SECRET, on: 'changes' },
        { type: 'mattermost', url: SECRET, on: 'degraded' },
      ],
    );
    expect(await sendWebhooks(s.config, report, s.deps, { reportFiles: false })).toEqual([]);
    expect(s.posts).toEqual([]);
    const degraded = {
      ...report,
      errors: [{ scope: 'x', code: 'SERVER_ERROR', message: 'm' }],
    } as unknown as Report;
    await sendWebhooks(s.config, degraded, s.deps, { reportFiles: false });
    expect(s.posts).toHaveLength(2);
  });

  it('the json target carries the CI links; the report link when report files were written', async () => {
    const s = setup([204], [{ type: 'json', url: SECRET, on: 'always' }]);
    s.deps.env = { ...s.deps.env, CI_JOB_URL: 'https://gitlab.example.com/p/-/jobs/3' } as typeof s.deps.env;
    await sendWebhooks(s.config, report, s.deps, { reportFiles: true });
    const body = JSON.parse(String(s.posts[0]?.init.body));
    expect(body.source).toBe('https://gitlab.example.com/p/1');
    expect(body.data.links).toEqual({
      pipeline: 'https://gitlab.example.com/p/1',
      job: 'https://gitlab.example.com/p/-/jobs/3',
      artifacts: 'https://gitlab.example.com/p/-/jobs/3/artifacts/browse',
    });
  });

  it('no webhooks: nothing at all', async () => {
    const s = setup([200], []);
    expect(await sendWebhooks(s.config, report, s.deps, { reportFiles: false })).toEqual([]);
    expect(s.posts).toEqual([]);
  });
});

describe('notify.webhooks config', () => {
  it('needs exactly one of url and urlEnv, an http(s) URL, a safe name', () => {
    expect(() => parseConfig({ notify: { webhooks: [{ type: 'slack' }] } })).toThrow(
      /exactly one of url and urlEnv/,
    );
    expect(() =>
      parseConfig({ notify: { webhooks: [{ type: 'slack', url: SECRET, urlEnv: 'X' }] } }),
    ).toThrow(/exactly one of url and urlEnv/);
    expect(() => parseConfig({ notify: { webhooks: [{ type: 'slack', url: 'ftp://x' }] } })).toThrow(
      /http\(s\) URL/,
    );
    expect(() =>
      parseConfig({ notify: { webhooks: [{ type: 'slack', urlEnv: 'X', name: 'a b' }] } }),
    ).toThrow();
    expect(parseConfig({ notify: { webhooks: [{ type: 'json', urlEnv: 'X' }] } }).notify.webhooks[0]).toEqual(
      {
        type: 'json',
        urlEnv: 'X',
        on: 'changes',
        timeout: 10_000,
        attempts: 3,
      },
    );
  });
});
