import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { execute, stopGhostEnvironments, updateDashboard } from './executor.js';
import { evidenceDigest } from './plan-file.js';

/**
 * The executor's checks before a write, and its run-level GitLab writes (notices, ghosts, the
 * dashboard), asserted whole like scenarios.test.ts.
 */

const shop = shopRecord;

describe('last checks before a write', () => {
  it('a stack gone by the time of the re-read is ALREADY_GONE, and nothing is written', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const out = await execute(runWith([r]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'skipped',
      error: { code: 'ALREADY_GONE', message: 'the stack no longer exists' },
    });
    expect(w.writes()).toEqual([]);
  });

  it.each([
    ['status', { status: 'UPDATE_IN_PROGRESS' }, 'status is now UPDATE_IN_PROGRESS'],
    [
      'update time',
      { updatedAt: '2026-11-28T11:00:00.000Z' },
      'stack was updated at 2026-11-28T11:00:00.000Z',
    ],
    ['protection', { terminationProtection: true }, 'termination protection was enabled'],
    ['tags', { tags: { 'env-reaper:keep': 'true' } }, 'stack tags changed'],
  ])(
    'a stack whose %s changed since it was read is STACK_CHANGED, audit-logged',
    async (_what, change, message) => {
      const w = executorWorld();
      const r = shop('review-a');
      const s = addStack(w, r);
      s.facts = { ...s.facts, ...change };
      const out = await execute(runWith([r]), w.deps(), applyOptions());
      expect(out.get(r.stack.stackId)).toEqual({
        result: 'cancelled',
        error: { code: 'STACK_CHANGED', message },
      });
      expect(w.audit).toEqual([
        {
          runId: 'run-1',
          event: 'delete-cancelled',
          stackId: r.stack.stackId,
          code: 'STACK_CHANGED',
          detail: message,
        },
      ]);
      expect(w.messages(40)).toEqual(['deletion cancelled']);
      expect(w.writes()).toEqual([]);
    },
  );

  it('evidence that changed since the run read it is EVIDENCE_CHANGED, naming the new verdict and reasons', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.setRecheck(async () => ({
      verdict: 'active',
      status: 'keep',
      reasons: [{ code: 'MR_OPEN', detail: '!13 open' }],
    }));
    const out = await execute(runWith([r]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'cancelled',
      error: { code: 'EVIDENCE_CHANGED', message: 'now active (keep): MR_OPEN' },
    });
    expect(w.writes()).toEqual([]);
  });

  it('the same verdict no longer due (a keep label) is EVIDENCE_CHANGED too', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.setRecheck(async () => ({ verdict: 'merged', status: 'waiting', reasons: [] }));
    const out = await execute(runWith([r]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)?.error).toEqual({
      code: 'EVIDENCE_CHANGED',
      message: 'now merged (waiting): ',
    });
  });

  it('with a reviewed plan: a stack not in it is NOT_IN_PLAN, one whose evidence moved is EVIDENCE_CHANGED', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = shop('review-b');
    const c = shop('review-c');
    for (const x of [a, b, c]) addStack(w, x);
    const planned = new Map([
      [a.stack.stackId, evidenceDigest(a)],
      [b.stack.stackId, 'a-digest-of-other-evidence'],
    ]);
    const out = await execute(runWith([a, b, c]), w.deps(), applyOptions({ planned }));
    expect(out.get(a.stack.stackId)?.result).toBe('deleted');
    expect(out.get(b.stack.stackId)).toEqual({
      result: 'cancelled',
      error: { code: 'EVIDENCE_CHANGED', message: 'evidence differs from the plan: now merged (MR_MERGED)' },
    });
    expect(out.get(c.stack.stackId)).toEqual({
      result: 'skipped',
      error: { code: 'NOT_IN_PLAN', message: 'due now, but not in the applied plan' },
    });
    expect(w.calls.filter((x) => x.method === 'deleteStack').map((x) => x.args[1])).toEqual([
      a.stack.stackId,
    ]);
  });

  it('a stopping daemon starts no deletion: STOPPING, nothing read or written for it', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    const out = await execute(runWith([r]), w.deps(), applyOptions({ shouldStop: () => true }));
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'skipped',
      error: { code: 'STOPPING', message: 'shutting down: not started' },
    });
    expect(w.methods()).not.toContain('describeStack');
  });

  it('credentials of another account: every due stack of that account is ACCOUNT_MISMATCH, others go ahead', async () => {
    const w = executorWorld();
    const mine = shop('review-a');
    const theirs = shop('review-b', { account: '222222222222' });
    addStack(w, mine);
    addStack(w, theirs);
    const out = await execute(
      runWith([mine, theirs]),
      w.deps({
        targetOf: (account) => ({
          id: account === '222222222222' ? '333333333333' : account,
          regions: ['eu-west-1'],
        }),
      }),
      applyOptions(),
    );
    expect(out.get(mine.stack.stackId)?.result).toBe('deleted');
    expect(out.get(theirs.stack.stackId)).toEqual({
      result: 'cancelled',
      error: { code: 'ACCOUNT_MISMATCH', message: 'credentials no longer belong to account 222222222222' },
    });
    expect(w.calls.filter((x) => x.method === 'deleteStack').map((x) => x.args[1])).toEqual([
      mine.stack.stackId,
    ]);
  });
});

describe('notices, ghosts and the dashboard', () => {
  it('an advance notice goes on the MR once (its marker), and state remembers it per verdict', async () => {
    const w = executorWorld();
    const r = shop('review-a', { status: 'waiting', deleteAfter: '2026-12-01T00:00:00.000Z' });
    addStack(w, r);
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: new Date(NOW).toISOString(),
    };
    const opts = applyOptions({ mergeRequestNotices: true });
    await execute(runWith([r]), w.deps(), opts);
    expect(w.writes()).toEqual(['createMergeRequestNote']);
    expect(w.notes.get('101!12')?.[0]).toMatch(/2026-12-01/);
    expect(w.audit).toMatchInlineSnapshot(`
      [
        {
          "deleteAfter": "2026-12-01T00:00:00.000Z",
          "event": "mr-notice-posted",
          "mrIid": 12,
          "projectId": 101,
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "verdict": "merged",
        },
      ]
    `);
    expect(w.state.stacks[r.stack.stackId]?.notices).toEqual({
      merged: { at: new Date(NOW).toISOString(), mrIid: 12 },
    });
    // Noticed already: the next run posts nothing; and a lost state still finds the marker on GitLab.
    await execute(runWith([r]), w.deps(), opts);
    delete w.state.stacks[r.stack.stackId]?.notices;
    await execute(runWith([r]), w.deps(), opts);
    expect(w.writes()).toEqual(['createMergeRequestNote']);
  });

  it('ghost environments are stopped only when enabled, with apply; a refusal is an error, not a crash', async () => {
    const w = executorWorld();
    const ghost = {
      projectId: 101,
      projectPath: 'acme/shop',
      id: 9,
      name: 'review/gone',
      state: 'available',
    };
    const other = { ...ghost, id: 10, name: 'review/gone-too' };
    const run = { ...runWith([]), environmentFindings: { ghosts: [ghost, other], stuck: [], errors: [] } };
    const deps = w.deps();
    expect(await stopGhostEnvironments(run, deps, { apply: true, runId: 'run-1', enabled: false })).toBe(0);
    expect(await stopGhostEnvironments(run, deps, { apply: false, runId: 'run-1', enabled: true })).toBe(0);
    expect(w.calls).toEqual([]);
    expect(w.logs.map((l) => [l.msg, l.environment])).toEqual([
      ['DRY-RUN: would stop ghost environment', 'review/gone'],
      ['DRY-RUN: would stop ghost environment', 'review/gone-too'],
    ]);
    expect(await stopGhostEnvironments(run, deps, { apply: true, runId: 'run-1', enabled: true })).toBe(2);
    expect(w.audit).toMatchInlineSnapshot(`
      [
        {
          "environmentId": 9,
          "event": "ghost-environment-stopped",
          "name": "review/gone",
          "projectId": 101,
          "runId": "run-1",
          "state": "stopped",
        },
        {
          "environmentId": 10,
          "event": "ghost-environment-stopped",
          "name": "review/gone-too",
          "projectId": 101,
          "runId": "run-1",
          "state": "stopped",
        },
      ]
    `);
    w.failOn('stopEnvironment');
    expect(await stopGhostEnvironments(run, deps, { apply: true, runId: 'run-1', enabled: true })).toBe(0);
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "code": "INTERNAL",
          "effect": "not-done",
          "message": "stopEnvironment refused",
          "project": "acme/shop",
          "scope": "gitlab:project acme/shop ghost environment stop (review/gone)",
          "serviceCode": "Boom",
          "stacks": [],
        },
        {
          "code": "INTERNAL",
          "effect": "not-done",
          "message": "stopEnvironment refused",
          "project": "acme/shop",
          "scope": "gitlab:project acme/shop ghost environment stop (review/gone-too)",
          "serviceCode": "Boom",
          "stacks": [],
        },
      ]
    `);
  });

  it('the dashboard issue is created once, then edited in place; dry-run only says so; a failure is an error', async () => {
    const w = executorWorld();
    const deps = w.deps();
    const u = {
      runId: 'run-1',
      project: 'acme/ops',
      title: 'Review environments',
      label: 'env-reaper-dashboard',
      body: 'B',
    };
    await updateDashboard(deps, { ...u, existing: undefined, apply: false });
    expect(w.calls).toEqual([]);
    expect(w.logs.map((l) => [l.msg, l.project, l.issue])).toEqual([
      ['DRY-RUN: would update the dashboard issue', 'acme/ops', undefined],
    ]);
    await updateDashboard(deps, { ...u, existing: undefined, apply: true });
    await updateDashboard(deps, { ...u, existing: 7, apply: true });
    expect(w.calls).toEqual([
      { method: 'createIssue', args: ['acme/ops', 'Review environments', 'B', 'env-reaper-dashboard'] },
      { method: 'updateIssue', args: ['acme/ops', 7, 'B'] },
    ]);
    expect(w.audit).toEqual([
      { runId: 'run-1', event: 'dashboard-updated', project: 'acme/ops', issue: 'new' },
      { runId: 'run-1', event: 'dashboard-updated', project: 'acme/ops', issue: 7 },
    ]);
    w.failOn('updateIssue');
    await updateDashboard(deps, { ...u, existing: 7, apply: true });
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "code": "INTERNAL",
          "effect": "not-done",
          "message": "updateIssue refused",
          "project": "acme/ops",
          "scope": "gitlab:project acme/ops dashboard issue update",
          "serviceCode": "Boom",
          "stacks": [],
        },
      ]
    `);
    expect(w.messages(50)).toEqual(['dashboard issue update failed; the next run retries it']);
  });
});
