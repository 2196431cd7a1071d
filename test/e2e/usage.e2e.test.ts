import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli } from '../helpers/cli.js';
import { usageWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Idle by usage (issue #35), end to end: the built CLI reads the sandbox's tagging API, API Gateway and
 * CloudWatch through the real AWS SDK, judges five live review apps by their traffic, flags the unused
 * one with an MR notice, and with `policy.unused: stop` stops it through its own on_stop job — never
 * DeleteStack — saying how to bring it back.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function world(options: Parameters<typeof usageWorld>[0] = {}) {
  const sb = await startSandbox({ scenario: usageWorld(options) });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-usage-'));
  const run = async (args: string[], extra: Record<string, unknown> = {}) => {
    const file = await configFile({
      aws: { regions: ['eu-west-1'] },
      usage: { enabled: true },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      limits: { maxDeletionPercent: 100 },
      ...extra,
    });
    const out = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
    const r = await runCli([...args, '--config', file, '--format', 'json', '--output', `json=${out}`], {
      ...sb.env(),
      ENV_REAPER_LOG_LEVEL: 'info',
    });
    const report = JSON.parse(await readFile(out, 'utf8')) as Report;
    return { ...r, report, byName: Object.fromEntries(report.environments.map((e) => [e.stack.name, e])) };
  };
  const notes = (iid: number) =>
    sb.world.projects
      .get(1)
      ?.mergeRequests.find((m) => m.iid === iid)
      ?.notes.map((n) => n.body) ?? [];
  return { sb, dir, run, notes };
}

describe('usage (the built CLI against the sandbox)', () => {
  it('audit: the quiet app is unused, the busy one used, the young, unmeasured and bare ones unknown; the calls are few', async () => {
    const { sb, run } = await world();
    const r = await run(['audit']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const usage = Object.fromEntries(
      Object.entries(r.byName).map(([name, e]) => [
        name,
        `${e.verdict} ${e.usage?.state}${e.usage?.why ? ` ${e.usage.why}` : ''}`,
      ]),
    );
    expect(usage).toEqual({
      'review-quiet': 'unused unused',
      'review-busy': 'active used',
      'review-young': 'active unknown TOO_YOUNG',
      'review-worker': 'active unknown UNMEASURED_RESOURCE',
      'review-bare': 'active unknown NO_MEASURED_RESOURCE',
    });
    const quiet = r.byName['review-quiet'];
    expect(quiet?.reasons[0]?.code).toBe('NO_TRAFFIC');
    expect(quiet?.usage?.lastUsed).toBe(new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10));
    expect(r.byName['review-busy']?.usage?.daily.at(-2)).toBe(7);
    // One GetResources in the region, one in us-east-1 (CloudFront), one GetMetricData for 4 metrics.
    const ops = sb.world.requests.filter((q) => q.service === 'aws').map((q) => q.operation);
    expect(ops.filter((o) => o === 'tagging:GetResources')).toHaveLength(2);
    expect(ops.filter((o) => o === 'cloudwatch:GetMetricData')).toHaveLength(1);
    expect(r.report.summary.usage).toMatchObject({ stacks: 5, read: 5, metricsRequested: 4, unused: 1 });
    expect(r.report.summary.usage?.calls).toEqual({ getMetricData: 1, getResources: 2, getRestApis: 0 });
  }, 60_000);

  it('reap --apply with the default flag: one notice on the MR, "no one has opened this environment for 14 days", nothing stopped', async () => {
    const { sb, run, notes } = await world();
    const dry = await run(['reap']);
    expect(dry.stderr, `${dry.code} ${dry.stdout.slice(0, 300)}`).toMatch(
      /DRY-RUN: would post an unused-environment notice/,
    );
    const r = await run(['reap', '--apply']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const quiet = notes(1);
    expect(quiet).toHaveLength(1);
    expect(quiet[0]).toMatch(/no one has opened this environment for 14 days/);
    expect(quiet[0]).toMatch(/env-reaper::keep/);
    expect(quiet[0]).toMatch(/Nothing will be deleted/);
    for (const iid of [2, 3, 4, 5]) expect(notes(iid)).toEqual([]);
    expect(
      sb.world.writes.filter((w) => w.operation === 'StopEnvironment' || w.operation === 'DeleteStack'),
    ).toEqual([]);
    // Once: the next run posts nothing again.
    await run(['reap', '--apply']);
    expect(notes(1)).toHaveLength(1);
  }, 60_000);

  it('policy.unused stop: the on_stop job tears it down, never DeleteStack; the notes say how to bring it back', async () => {
    const { sb, run, notes } = await world();
    const dry = await run(['reap'], { policy: { unused: 'stop' } });
    expect(dry.stderr).toMatch(
      /DRY-RUN: would stop the unused environment so its on_stop job tears the stack down \(never DeleteStack\)/,
    );
    expect(dry.byName['review-quiet']).toMatchObject({
      action: 'stop',
      plan: { status: 'due' },
      result: 'planned',
    });
    const r = await run(['reap', '--apply'], { policy: { unused: 'stop', deleteEnvironments: true } });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.byName['review-quiet']).toMatchObject({ result: 'deleted', teardown: { method: 'stop-job' } });
    const stops = sb.world.writes.filter((w) => w.operation === 'StopEnvironment');
    expect(stops).toHaveLength(1);
    expect(stops[0]?.params).toMatchObject({ force: false });
    const deletes = sb.world.writes.filter((w) => w.operation === 'DeleteStack');
    expect(deletes.map((d) => d.params?.by)).toEqual(['on_stop job']);
    // The environment stays (stopped), so GitLab keeps offering Re-deploy.
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteEnvironment')).toEqual([]);
    const [note] = notes(1);
    expect(note).toMatch(/stopped the unused review environment stack/);
    expect(note).toMatch(/re-run this merge request's deploy job.*Re-deploy/);
    expect(r.byName['review-busy']?.result).toBe('skipped');
  }, 60_000);

  it('policy.unused stop waits for its notice window, and the notice says when and how to bring it back', async () => {
    const { sb, run, notes } = await world();
    const r = await run(['reap', '--apply'], {
      policy: { unused: 'stop' },
      notify: { beforeDeleteHours: 24 },
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.byName['review-quiet']).toMatchObject({
      action: 'stop',
      plan: { status: 'waiting', waitingFor: 'notice' },
    });
    expect(sb.world.writes.filter((w) => w.operation === 'StopEnvironment')).toEqual([]);
    const [notice] = notes(1);
    expect(notice).toMatch(/no one has opened this environment for 14 days/);
    expect(notice).toMatch(/will be \*\*stopped\*\* after/);
    expect(notice).toMatch(/Re-deploy/);
  }, 60_000);

  it('a stop counts against the brakes like a deletion', async () => {
    const { sb, run } = await world();
    const r = await run(['reap', '--apply'], {
      policy: { unused: 'stop' },
      limits: { maxDeletionsPerRun: 0 },
    });
    expect(r.code).toBe(3);
    expect(r.report.summary.brake).toMatchObject({ kind: 'max-deletions', due: 1 });
    expect(sb.world.writes.filter((w) => w.operation === 'StopEnvironment')).toEqual([]);
  }, 60_000);

  it('a metric read that fails: exit 1, GetMetricData named, usage unknown, nothing unused or stopped', async () => {
    const { sb, run } = await world({
      faults: [{ service: 'aws', match: 'GetMetricData', kind: 'error', status: 400, code: 'AccessDenied' }],
    });
    const r = await run(['reap', '--apply'], { policy: { unused: 'stop' } });
    expect(r.code).toBe(1);
    expect(r.report.errors).toEqual([
      expect.objectContaining({
        operation: 'GetMetricData',
        code: 'ACCESS_DENIED',
        effect: 'less-reported',
        account: '111111111111',
      }),
    ]);
    expect(r.byName['review-quiet']).toMatchObject({
      verdict: 'active',
      usage: { state: 'unknown', why: 'READ_FAILED' },
    });
    expect(sb.world.writes.filter((w) => w.service === 'aws' || w.operation === 'StopEnvironment')).toEqual(
      [],
    );
  }, 60_000);

  it('a metric CloudWatch answers only partly is unknown, never unused', async () => {
    const { run } = await world({
      extraStacks: [
        {
          name: 'review-partial',
          created: '-40d',
          tags: { 'gitlab:project-id': '1', 'gitlab:ref': 'feature/quiet' },
          resources: [
            {
              logicalId: 'Alb',
              type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
              metricStatus: 'InternalError',
            },
          ],
        },
      ],
    });
    const r = await run(['audit']);
    expect(r.byName['review-partial']).toMatchObject({
      verdict: 'active',
      usage: { state: 'unknown', why: 'METRIC_INCOMPLETE' },
    });
  }, 60_000);
});
