import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Teardown the GitLab way, end to end: the built CLI stops a due stack's environment without `force`,
 * the sandbox runs its `on_stop` job (which deletes the stack, fails, or never starts), and env-reaper
 * follows the stack to DELETE_COMPLETE, or falls back to DeleteStack when the mode allows it.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

type OnStop = { outcome: 'delete-stack' | 'fail' | 'never-start'; afterSeconds?: number };

/** Three dead stacks (branch gone, MR merged), each with its review environment and on_stop job. */
function scenario(jobs: Record<string, OnStop>) {
  const names = Object.keys(jobs);
  return liveAndGoneWorld({
    live: 1,
    gone: [],
    stacks: names.map((name, i) => ({
      name: `review-${name}`,
      created: '-3d',
      updated: '-2d',
      tags: tagsFor(1, `feature/${name}`, {
        'gitlab:environment': `review/${name}`,
        'gitlab:mr-iid': String(20 + i),
      }),
    })),
    mergeRequests: names.map((name, i) => ({
      iid: 20 + i,
      sourceBranch: `feature/${name}`,
      state: 'merged',
      mergedAt: '-2d',
    })),
    environments: names.map((name) => ({
      name: `review/${name}`,
      lastDeployment: { ref: `feature/${name}` },
      onStop: { afterSeconds: 0.3, ...jobs[name] },
    })),
  });
}

async function reap(sb: Sandbox, policy: Record<string, unknown>, limits: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-teardown-'));
  const file = await configFile({
    aws: { regions: ['eu-west-1'] },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    limits: { maxDeletionPercent: 100, ...limits },
    policy: { grace: { merged: '0s' }, ...policy },
  });
  const out = await runCli(
    ['reap', '--apply', '--config', file, '--format', 'json', '--output', `json=${join(dir, 'r.json')}`],
    sb.env(),
  );
  const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
  const byName = Object.fromEntries(report.environments.map((e) => [e.stack.name, e]));
  const deletes = sb.world.writes.filter((w) => w.operation === 'DeleteStack');
  const clientDeletes = deletes.filter((w) => w.params?.by === undefined).map((w) => String(w.params?.name));
  const jobDeletes = deletes.filter((w) => w.params?.by === 'on_stop job').map((w) => String(w.params?.name));
  const stops = sb.world.writes.filter((w) => w.operation === 'StopEnvironment').map((w) => w.params);
  const notes = [...(sb.world.projects.get(1)?.mergeRequests ?? [])].flatMap((m) =>
    m.notes.map((n) => n.body),
  );
  return { out, byName, clientDeletes, jobDeletes, stops, notes, dir };
}

describe('teardown strategies (the built CLI against the sandbox)', () => {
  it('stop-job-then-delete: the on_stop job tears its stack down; a failing or silent job falls back to DeleteStack', async () => {
    const sb = await startSandbox({
      scenario: scenario({
        good: { outcome: 'delete-stack' },
        broken: { outcome: 'fail' },
        silent: { outcome: 'never-start' },
      }),
    });
    running.push(sb);
    const r = await reap(sb, { teardown: 'stop-job-then-delete' }, { stopJobTimeout: '3s' });
    expect(r.out.code, r.out.stderr.slice(-2000)).toBe(0);
    // Each environment was stopped once without force (GitLab runs its on_stop job); the two whose job
    // did not delete the stack were stopped again, with force, after the fallback DeleteStack: none is
    // left `available` with no stack behind it.
    expect(r.stops).toEqual([
      { force: false },
      { force: false },
      { force: false },
      { force: true },
      { force: true },
    ]);
    expect(
      (sb.world.projects.get(1)?.environments ?? [])
        .filter((e) => ['review/good', 'review/broken', 'review/silent'].includes(e.name))
        .map((e) => e.state),
    ).toEqual(['stopped', 'stopped', 'stopped']);
    expect(r.jobDeletes).toEqual(['review-good']);
    expect(r.clientDeletes.sort()).toEqual(['review-broken', 'review-silent']);
    expect(r.byName['review-good']).toMatchObject({ result: 'deleted', teardown: { method: 'stop-job' } });
    expect(r.byName['review-broken']).toMatchObject({
      result: 'deleted',
      teardown: { method: 'delete-stack', fallback: 'STOP_JOB_FAILED' },
    });
    expect(r.byName['review-silent']).toMatchObject({
      result: 'deleted',
      teardown: { method: 'delete-stack', fallback: 'STOP_JOB_TIMEOUT' },
    });
    // The MR notes say how each stack went.
    expect(r.notes.find((n) => n.includes('review-good'))).toMatch(
      /torn down by this project's `on_stop` job/,
    );
    expect(r.notes.find((n) => n.includes('review-broken'))).toMatch(/`STOP_JOB_FAILED`.*DeleteStack/);
    for (const s of sb.world.stacks.filter((x) => x.name !== 'review-live-0'))
      expect(s.status).toBe('DELETE_COMPLETE');
  });

  it('stop-job alone never calls DeleteStack: a job that fails leaves the stack, reported STOP_JOB_FAILED', async () => {
    const sb = await startSandbox({
      scenario: scenario({ good: { outcome: 'delete-stack' }, broken: { outcome: 'fail' } }),
    });
    running.push(sb);
    const r = await reap(sb, { teardown: 'stop-job' });
    expect(r.out.code).toBe(1);
    expect(r.clientDeletes).toEqual([]);
    expect(r.jobDeletes).toEqual(['review-good']);
    expect(r.byName['review-broken']).toMatchObject({
      result: 'failed',
      error: { code: 'STOP_JOB_FAILED' },
      teardown: { method: 'stop-job' },
    });
    expect(sb.world.stacks.find((s) => s.name === 'review-broken')?.status).toBe('CREATE_COMPLETE');
  });

  it('a per-project override wins over the policy, and delete-stack stays the default', async () => {
    const sb = await startSandbox({ scenario: scenario({ good: { outcome: 'delete-stack' } }) });
    running.push(sb);
    const r = await reap(sb, { teardownProjects: { 'acme/shop': 'delete-stack' }, teardown: 'stop-job' });
    expect(r.out.code).toBe(0);
    expect(r.clientDeletes).toEqual(['review-good']);
    expect(r.jobDeletes).toEqual([]);
    // Today's behaviour: DeleteStack, then a forced stop (no on_stop job runs against a gone stack).
    expect(r.stops).toEqual([{ force: true }]);
  });
});
