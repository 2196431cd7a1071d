import { describe, expect, it } from 'vitest';
import { tagsFor } from '../../test/helpers/cli.js';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { liveAndGoneWorld } from '../../test/helpers/worlds.js';
import { parseConfig } from '../config/load.js';
import { reap } from '../run/reap.js';

/** One dead stack whose environment has an on_stop job (by default one that deletes it). */
function world(onStop: Record<string, unknown> = { outcome: 'delete-stack', afterSeconds: 0.2 }) {
  return inProcessWorld(
    liveAndGoneWorld({
      live: 1,
      gone: [],
      stacks: [
        {
          name: 'review-x',
          created: '-3d',
          updated: '-2d',
          tags: tagsFor(1, 'feature/x', { 'gitlab:environment': 'review/x' }),
        },
      ],
      environments: [{ name: 'review/x', id: 77, onStop }],
    }),
  );
}

async function config(limits: Record<string, unknown> = {}) {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/env-reaper-stop-job-`);
  return parseConfig({
    aws: { regions: ['eu-west-1'] },
    limits: { maxDeletionPercent: 100, ...limits },
    policy: { teardown: 'stop-job-then-delete' },
    state: { auditLog: `${dir}/audit.jsonl` },
  });
}

describe('stop-job teardown (in process)', () => {
  it('a run killed while the on_stop job runs is resumed by following the job: no second stop, no DeleteStack', async () => {
    const w = world();
    const cfg = await config();
    const stack = w.world.stacks.find((s) => s.name === 'review-x');
    const env = w.world.projects.get(1)?.environments[0];
    if (!stack || !env) throw new Error('world');
    // What a run killed right after the stop left: the deletion recorded, the environment stopping.
    env.state = 'stopping';
    env.stopJobStartedAt = Date.now();
    w.store.state.stacks[stack.stackId] = {
      name: 'review-x',
      firstSeen: {},
      lastSeen: new Date().toISOString(),
      deletion: {
        status: 'started',
        runId: 'killed',
        token: 't',
        attempts: 1,
        startedAt: new Date().toISOString(),
        account: stack.account,
        region: stack.region,
        name: 'review-x',
        projectId: 1,
        environmentId: env.id,
        verdict: 'branch-deleted',
        reasons: [],
        teardown: 'stop-job-then-delete',
        stopRequestedAt: new Date().toISOString(),
        environmentStopped: true,
      },
    };
    const out = await reap(
      cfg,
      { ...w.deps, executorIo: w.executorIo, store: w.store },
      { runId: 'r2', apply: true },
    );
    expect(w.calls.get('gitlab.stopEnvironment') ?? 0).toBe(0);
    expect(w.calls.get('aws.deleteStack') ?? 0).toBe(0);
    expect(stack.status).toBe('DELETE_COMPLETE');
    expect(w.store.state.stacks[stack.stackId]?.deletion?.status).toBe('deleted');
    expect(out.outcomes.get(stack.stackId)).toMatchObject({ result: 'deleted', teardown: 'stop-job' });
  });

  it('dry-run says it would stop the environment for its on_stop job, and stops nothing', async () => {
    const w = world();
    const out = await reap(
      await config(),
      { ...w.deps, executorIo: w.executorIo, store: w.store },
      { runId: 'r1', apply: false },
    );
    expect(out.run.plan.due).toBe(1);
    expect(w.calls.get('gitlab.stopEnvironment') ?? 0).toBe(0);
    expect(w.world.projects.get(1)?.environments[0]?.state).toBe('available');
  });

  it('the stack and its evidence are checked again before a fallback DeleteStack: a branch back meanwhile calls it off', async () => {
    const w = world({ outcome: 'never-start' });
    const project = w.world.projects.get(1);
    const stop = w.executorIo.gitlab.stopEnvironment;
    w.executorIo.gitlab.stopEnvironment = async (pid, eid, options) => {
      // Someone pushes to the branch again while the on_stop job (never) runs.
      project?.branches.set('feature/x', {
        name: 'feature/x',
        protected: false,
        committedAt: new Date().toISOString(),
        merged: false,
      });
      project?.branchNames.push('feature/x');
      project?.branchNames.sort();
      return stop(pid, eid, options);
    };
    const stack = w.world.stacks.find((s) => s.name === 'review-x');
    const out = await reap(
      await config({ stopJobTimeout: '1s' }),
      { ...w.deps, executorIo: w.executorIo, store: w.store },
      { runId: 'r1', apply: true },
    );
    expect(out.outcomes.get(stack?.stackId ?? '')).toMatchObject({
      result: 'cancelled',
      error: { code: 'EVIDENCE_CHANGED' },
      teardown: 'stop-job',
      fallback: 'STOP_JOB_TIMEOUT',
    });
    expect(w.calls.get('aws.deleteStack') ?? 0).toBe(0);
    expect(stack?.status).toBe('CREATE_COMPLETE');
  });
});
