import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { usageWorld } from '../../test/helpers/worlds.js';
import { parseConfig } from '../config/load.js';
import { reap } from './reap.js';

/** The usage step inside a whole run (in process): verdicts, calls, reuse within the interval, stop. */

async function config(over: Record<string, unknown> = {}) {
  const dir = await mkdtemp(`${tmpdir()}/env-reaper-usage-`);
  return parseConfig({
    aws: { regions: ['eu-west-1'] },
    usage: { enabled: true },
    limits: { maxDeletionPercent: 100 },
    state: { auditLog: `${dir}/audit.jsonl` },
    ...over,
  });
}

/** One reap of the in-process world. */
function reapIn(
  w: ReturnType<typeof inProcessWorld>,
  cfg: Parameters<typeof reap>[0],
  runId: string,
  apply: boolean,
) {
  return reap(cfg, { ...w.deps, executorIo: w.executorIo, store: w.store }, { runId, apply });
}

function verdicts(run: Awaited<ReturnType<typeof reap>>['run']) {
  return Object.fromEntries(
    run.environments.map((e) => [
      e.stack.name,
      `${e.classification.verdict} ${e.classification.reasons.find((r) => ['NO_TRAFFIC', 'RECENT_TRAFFIC', 'USAGE_UNKNOWN'].includes(r.code))?.detail.split(':')[0] ?? ''}`.trim(),
    ]),
  );
}

describe('usage in a run', () => {
  it('tells the unused environment from the used, the young, the unmeasured and the bare one', async () => {
    const w = inProcessWorld(usageWorld());
    const out = await reapIn(w, await config(), 'r1', false);
    expect(verdicts(out.run)).toEqual({
      'review-bare': 'active NO_MEASURED_RESOURCE',
      'review-busy': 'active 7 requests in the last 14 days',
      'review-quiet': expect.stringMatching(/^unused no requests for 14 days/),
      'review-worker': 'active UNMEASURED_RESOURCE',
      'review-young': 'active TOO_YOUNG',
    });
    const quiet = out.run.environments.find((e) => e.stack.name === 'review-quiet');
    expect(quiet?.classification.verdict).toBe('unused');
    expect(quiet?.plan).toMatchObject({ action: 'flag', status: 'flag' });
    expect(quiet?.classification.reasons[0]?.detail).toMatch(
      /^no requests for 14 days on alb app\/review-quiet-alb\/\w+, lambda review-quiet-fn; last day with traffic: \d{4}-\d\d-\d\d$/,
    );
    // One listing in the region, one for CloudFront in us-east-1, one GetMetricData for every metric.
    expect(w.calls.get('aws.getResources')).toBe(2);
    expect(w.calls.get('aws.getMetricData')).toBe(1);
    expect(out.run.usage).toMatchObject({
      windowDays: 14,
      stacks: 5,
      read: 5,
      reused: 0,
      metricsRequested: 4,
      unused: 1,
    });
    expect(out.run.errors).toEqual([]);
  });

  it('reuses a reading within usage.interval, and reads again after it', async () => {
    const w = inProcessWorld(usageWorld());
    const deps = { ...w.deps, executorIo: w.executorIo, store: w.store };
    const cfg = await config();
    await reap(cfg, deps, { runId: 'r1', apply: false });
    const second = await reap(cfg, deps, { runId: 'r2', apply: false });
    expect(w.calls.get('aws.getMetricData')).toBe(1);
    expect(second.run.usage).toMatchObject({ read: 0, reused: 5, metricsRequested: 0 });
    expect(second.run.environments.find((e) => e.stack.name === 'review-quiet')?.classification.verdict).toBe(
      'unused',
    );
    const later = await reap(
      cfg,
      { ...deps, now: () => w.deps.now() + 86_400_000 },
      { runId: 'r3', apply: false },
    );
    expect(later.run.usage).toMatchObject({ read: 5, reused: 0 });
    expect(w.calls.get('aws.getMetricData')).toBe(2);
  });

  it('a failed metric read leaves usage unknown, never unused, and is an error of the run', async () => {
    const w = inProcessWorld(usageWorld());
    w.deps.usage = {
      ...(w.deps.usage as NonNullable<typeof w.deps.usage>),
      metricData: async () => {
        throw Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      },
    };
    const out = await reapIn(w, await config(), 'r1', false);
    const quiet = out.run.environments.find((e) => e.stack.name === 'review-quiet');
    expect(quiet?.classification.verdict).toBe('active');
    expect(
      quiet?.classification.reasons.some(
        (r) => r.code === 'USAGE_UNKNOWN' && r.detail.startsWith('READ_FAILED'),
      ),
    ).toBe(true);
    expect(out.run.errors).toHaveLength(1);
    expect(out.run.errors[0]).toMatchObject({
      service: 'aws',
      operation: 'GetMetricData',
      effect: 'less-reported',
    });
    expect(out.run.errors[0]?.stacks).toEqual(
      expect.arrayContaining(['review-quiet', 'review-busy', 'review-young']),
    );
  });

  it('policy.unused stop: stops through the on_stop job, never DeleteStack, and only the unused one', async () => {
    const w = inProcessWorld(usageWorld());
    const cfg = await config({ policy: { unused: 'stop' } });
    const out = await reapIn(w, cfg, 'r1', true);
    const quiet = out.run.environments.find((e) => e.stack.name === 'review-quiet');
    expect(quiet?.plan).toMatchObject({ action: 'stop', status: 'due' });
    expect(out.outcomes.get(quiet?.stack.stackId ?? '')).toMatchObject({
      result: 'deleted',
      teardown: 'stop-job',
    });
    expect(w.calls.get('gitlab.stopEnvironment')).toBe(1);
    expect(w.calls.get('aws.deleteStack') ?? 0).toBe(0);
    expect(out.outcomes.size).toBe(1);
  });

  it('policy.unused stop without an environment to stop cancels, and writes nothing', async () => {
    const world = usageWorld();
    const project = world.gitlab.projects[0];
    if (project) project.environments = [];
    for (const s of world.aws.accounts[0]?.regions['eu-west-1'].stacks ?? [])
      delete (s.tags as Record<string, string>)['gitlab:environment'];
    const w = inProcessWorld(world);
    const cfg = await config({ policy: { unused: 'stop' } });
    const out = await reapIn(w, cfg, 'r1', true);
    const quiet = out.run.environments.find((e) => e.stack.name === 'review-quiet');
    expect(out.outcomes.get(quiet?.stack.stackId ?? '')).toMatchObject({
      result: 'cancelled',
      error: { code: 'NO_STOP_ENVIRONMENT' },
    });
    expect(w.calls.get('aws.deleteStack') ?? 0).toBe(0);
    expect(w.calls.get('gitlab.stopEnvironment') ?? 0).toBe(0);
  });
});
