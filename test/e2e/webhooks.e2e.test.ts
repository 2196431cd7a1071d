import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { hooksOf, type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Webhooks (issue #36), the built CLI against the sandbox's receiver: one message per run to Slack,
 * Mattermost, Teams and a generic CloudEvents endpoint, each in its own markup with the world's names
 * inert in it; a receiver that keeps failing is retried a bounded number of times and is an error of
 * the run (exit 1) that never shows the URL, a secret.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const gone = tagsFor(1, 'feature/gone', { 'gitlab:environment': 'review/gone' });
// Log group names may hold `#`, `_`, `*`-free markup characters: mrkdwn and Markdown would act on them.
const WORKER = '/aws/lambda/_review_gone_#12';

function scenario() {
  const world = liveAndGoneWorld({ live: 1, gone: ['review-gone'] });
  const region = world.aws.accounts[0]?.regions['eu-west-1'] as Record<string, unknown>;
  region.logGroups = [
    { name: WORKER, tags: gone },
    { name: '/aws/lambda/review-gone-stuck', tags: gone },
  ];
  (world as { faults?: unknown[] }).faults = [
    {
      service: 'aws',
      match: 'DeleteLogGroup',
      kind: 'error',
      status: 500,
      code: 'InternalFailure',
      after: 1,
    },
  ];
  return world;
}

describe('notify.webhooks (the built CLI against the sandbox receiver)', () => {
  it('each target gets one escaped, correct message; a failing receiver is a run error without its URL', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    hooksOf(sb.world).failures.set('down', { status: 503, times: Number.POSITIVE_INFINITY });
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-webhooks-'));
    const hook = (kind: string, name: string) => `${sb.gitlabUrl}/hooks/${kind}/${name}?key=SECRETKEY${name}`;
    const config = await configFile({
      aws: { regions: ['eu-west-1'], s3ForcePathStyle: true },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      limits: { maxDeletionPercent: 100 },
      leftovers: { delete: ['logs:log-group'], deleteAfter: '0s' },
      notify: {
        webhooks: [
          { type: 'slack', url: hook('slack', 'team'), on: 'always' },
          { type: 'mattermost', urlEnv: 'MM_HOOK', on: 'changes' },
          { type: 'teams', url: hook('teams', 'ops'), on: 'degraded' },
          { type: 'json', url: hook('json', 'automation'), on: 'always' },
          { type: 'json', name: 'down', url: hook('json', 'down'), on: 'always', attempts: 2 },
        ],
      },
    });
    const out = await runCli(['reap', '--apply', '--config', config, '--format', 'json'], {
      ...sb.env(),
      MM_HOOK: hook('mattermost', 'chat'),
      CI_PIPELINE_URL: 'https://gitlab.example.com/acme/ops/-/pipelines/77',
      CI_JOB_URL: 'https://gitlab.example.com/acme/ops/-/jobs/99',
      ENV_REAPER_LOG_LEVEL: 'debug',
    });
    expect(out.code, out.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(out.stdout) as Report;
    expect(report.environments.find((e) => e.stack.name === 'review-gone')?.result).toBe('deleted');

    const got = hooksOf(sb.world).received;
    const of = (name: string) => got.filter((h) => h.name === name);
    for (const name of ['team', 'chat', 'ops', 'automation']) expect(of(name), name).toHaveLength(1);
    expect(of('down')).toHaveLength(2);
    for (const name of ['team', 'chat', 'ops', 'automation'])
      expect(of(name)[0]?.status, name).toBeLessThan(300);

    // Slack: mrkdwn, the log group in a code span, `_` and `#` inert inside it.
    const slack = of('team')[0]?.json as { blocks: { text: { text: string } }[] };
    const mrkdwn = slack.blocks[1]?.text.text ?? '';
    expect(mrkdwn).toContain('Deleted: 1 stack, 1 leftover');
    expect(mrkdwn).toContain(`\`arn:aws:logs:eu-west-1:111111111111:log-group:${WORKER}\``);
    expect(mrkdwn).toContain('Failed: 0 stacks, 1 leftover');
    // The message is made before any webhook is sent: its own failures are in the report, not in it.
    expect(mrkdwn).toMatch(
      /Degraded: 1 error \(the run did less than asked\)\n• `aws DeleteLogGroup SERVER_ERROR`/,
    );
    expect(mrkdwn).toContain('<https://gitlab.example.com/acme/ops/-/pipelines/77|pipeline>');
    // Mattermost: the same in Markdown code spans.
    const mm = (of('chat')[0]?.json as { text: string } | undefined)?.text ?? '';
    expect(mm.split('\n')[0]).toBe('#### env-reaper reap (apply) · DEGRADED');
    expect(mm).toContain(`\`arn:aws:logs:eu-west-1:111111111111:log-group:${WORKER}\``);
    // Teams: an Adaptive Card; the name a monospace TextRun (no Markdown).
    const teams = of('ops')[0]?.json as {
      attachments: { content: { body: { inlines?: { text: string; fontType?: string }[] }[] } }[];
    };
    const runs = teams.attachments[0]?.content.body.flatMap((b) => b.inlines ?? []) ?? [];
    expect(runs).toContainEqual({
      type: 'TextRun',
      text: `arn:aws:logs:eu-west-1:111111111111:log-group:${WORKER}`,
      fontType: 'Monospace',
    });
    // CloudEvents: the versioned data.
    const ce = of('automation')[0];
    expect(ce?.contentType).toBe('application/cloudevents+json; charset=utf-8');
    const event = ce?.json as {
      specversion: string;
      type: string;
      source: string;
      id: string;
      data: Record<string, unknown>;
    };
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'dev.env-reaper.run.finished',
      source: 'https://gitlab.example.com/acme/ops/-/pipelines/77',
      id: report.runId,
    });
    // Valid against the committed, documented schema (config/run-event.schema.json).
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(await readFile('config/run-event.schema.json', 'utf8')) as object,
    );
    expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(event.data).toMatchObject({
      schemaVersion: 1,
      mode: 'apply',
      outcome: 'degraded',
      deleted: { stacks: [{ name: 'review-gone', verdict: expect.any(String), action: 'delete' }] },
      failed: { stacks: [], leftovers: [{ stackName: 'review-gone' }] },
      links: {
        pipeline: 'https://gitlab.example.com/acme/ops/-/pipelines/77',
        job: 'https://gitlab.example.com/acme/ops/-/jobs/99',
      },
    });

    // The failing receiver: a run error, less-reported, named, never the URL.
    expect(report.errors.find((e) => e.scope === 'webhook down')).toMatchObject({
      code: 'SERVER_ERROR',
      status: 503,
      service: 'webhook',
      effect: 'less-reported',
    });
    for (const text of [out.stdout, out.stderr]) expect(text).not.toContain('SECRETKEY');
  }, 90_000);
});
