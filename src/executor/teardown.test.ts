import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  jobEndsWith,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { execute } from './executor.js';

/**
 * The executor's other paths, asserted whole like scenarios.test.ts: stop-job teardowns and their
 * fallbacks, the export graph, the GitLab follow-up when a step fails, what a killed run left in state,
 * and the failures of AWS calls after the deletion started.
 */

const shop = shopRecord;

describe('stop-job teardown', () => {
  it('stops the environment without force and follows the job until the stack is gone: no DeleteStack', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const s = addStack(w, r);
    w.environments.set('101/5', 'available');
    // The job deletes the stack: the world answers DELETE_COMPLETE once the environment is stopping.
    s.afterDelete = ['DELETE_COMPLETE'];
    const deps = w.deps();
    const describe = deps.aws.describeStack;
    deps.aws = {
      ...deps.aws,
      describeStack: async (t, region, id) => {
        const fresh = await describe(t, region, id);
        return w.environments.get('101/5') === 'stopping' ? null : fresh;
      },
    };
    const out = await execute(runWith([r]), deps, applyOptions({ teardown: 'stop-job' }));
    expect(out.get(r.stack.stackId)).toEqual({ result: 'deleted', teardown: 'stop-job' });
    expect(w.writes()).toEqual(['stopEnvironment', 'deleteEnvironment', 'createMergeRequestNote']);
    expect(w.calls.find((c) => c.method === 'stopEnvironment')?.args).toEqual([101, 5, { force: false }]);
    expect(w.events()).toEqual([
      'delete-attempt',
      'environment-stop-requested',
      'delete-complete',
      'environment-deleted',
      'mr-note-posted',
    ]);
    expect(w.audit[0]).toMatchObject({ teardown: 'stop-job' });
    expect(w.audit[1]).toEqual({
      runId: 'run-1',
      event: 'environment-stop-requested',
      stackId: r.stack.stackId,
      environmentId: 5,
      state: 'stopping',
    });
    expect(w.state.stacks[r.stack.stackId]?.deletion).toMatchObject({
      teardown: 'stop-job',
      stopRequestedAt: new Date(NOW).toISOString(),
      environmentStopped: true,
      status: 'deleted',
    });
    expect(w.notes.get('101!12')?.[0]).toContain('on_stop');
  });

  it('an environment without a stop action: stop-job fails the stack (STOP_JOB_FAILED), never calls DeleteStack', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'stopped'); // stopping it answers `stopped` at once: no job will run
    const out = await execute(runWith([r]), w.deps(), applyOptions({ teardown: 'stop-job' }));
    expect(out.get(r.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "STOP_JOB_FAILED",
          "message": "the environment has no stop action: no on_stop job tears the stack down, and stop-job never calls DeleteStack",
        },
        "result": "failed",
        "teardown": "stop-job",
      }
    `);
    expect(w.writes()).toEqual(['stopEnvironment']);
  });

  it('stop-job-then-delete: no stop action falls back to DeleteStack, re-checked first, and says why', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'stopped');
    const out = await execute(runWith([r]), w.deps(), applyOptions({ teardown: 'stop-job-then-delete' }));
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'deleted',
      teardown: 'delete-stack',
      fallback: 'NO_STOP_ACTION',
    });
    // The environment is stopped already: the follow-up only deletes it.
    expect(w.writes()).toEqual([
      'stopEnvironment',
      'deleteStack',
      'deleteEnvironment',
      'createMergeRequestNote',
    ]);
    expect(w.messages(30)).toMatchInlineSnapshot(`
      [
        "deleting stack",
        "stack deleted",
      ]
    `);
    expect(w.notes.get('101!12')?.[0]).toContain('NO_STOP_ACTION');
  });

  it('a job that leaves the stack: STOP_JOB_LEFT_STACK, then the fallback DeleteStack after a fresh re-check', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'available');
    const deps = jobEndsWith(w, 'stopped');
    const out = await execute(runWith([r]), deps, applyOptions({ teardown: 'stop-job-then-delete' }));
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'deleted',
      teardown: 'delete-stack',
      fallback: 'STOP_JOB_LEFT_STACK',
    });
    expect(w.audit.find((a) => a.event === 'stop-job-ended')).toEqual({
      runId: 'run-1',
      event: 'stop-job-ended',
      stackId: r.stack.stackId,
      fallback: 'STOP_JOB_LEFT_STACK',
    });
    expect(w.messages(40)).toEqual(['the on_stop job did not delete the stack']);
  });

  it("a job that fails (environment available again) under stop-job: STOP_JOB_FAILED with the job's words", async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'available');
    const deps = jobEndsWith(w, 'available');
    const out = await execute(runWith([r]), deps, applyOptions({ teardown: 'stop-job' }));
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'failed',
      teardown: 'stop-job',
      error: {
        code: 'STOP_JOB_FAILED',
        message: 'the on_stop job failed: the environment is available again',
      },
    });
    expect(w.writes()).toEqual(['stopEnvironment']);
  });

  it('a job still running at stopJobTimeout: STOP_JOB_TIMEOUT', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'available');
    const out = await execute(
      runWith([r]),
      w.deps(),
      applyOptions({ teardown: 'stop-job', stopJobTimeoutMs: 5_000, poll: { minMs: 1000, maxMs: 2000 } }),
    );
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'failed',
      teardown: 'stop-job',
      error: { code: 'STOP_JOB_TIMEOUT', message: 'the stack was still CREATE_COMPLETE 5 s after the stop' },
    });
  });

  it('per project: teardownProjects wins over the policy, by path or by id', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'stopped');
    await execute(
      runWith([r]),
      w.deps(),
      applyOptions({ teardown: 'delete-stack', teardownProjects: { '101': 'stop-job' } }),
    );
    expect(w.writes()).toEqual(['stopEnvironment']);
  });
});

describe('the export graph', () => {
  it('importers are deleted before their exporter; an outside importer blocks it (EXPORT_IN_USE)', async () => {
    const w = executorWorld();
    const exporter = shop('review-net');
    const importer = shop('review-app');
    const lonely = shop('review-db');
    for (const x of [exporter, importer, lonely]) addStack(w, x);
    w.exports.set('net-vpc', exporter.stack.stackId);
    w.imports.set('net-vpc', ['review-app']);
    w.exports.set('db-url', lonely.stack.stackId);
    w.imports.set('db-url', ['prod-app']);
    const out = await execute(
      runWith([exporter, importer, lonely]),
      w.deps(),
      applyOptions({ concurrency: 1 }),
    );
    expect(out.get(exporter.stack.stackId)?.result).toBe('deleted');
    expect(out.get(importer.stack.stackId)?.result).toBe('deleted');
    expect(out.get(lonely.stack.stackId)).toEqual({
      result: 'cancelled',
      error: {
        code: 'EXPORT_IN_USE',
        message: 'export db-url is imported by prod-app, which is not being deleted',
      },
    });
    const deleted = w.calls.filter((c) => c.method === 'deleteStack').map((c) => c.args[1]);
    expect(deleted).toEqual([importer.stack.stackId, exporter.stack.stackId]);
    expect(w.calls.filter((c) => c.method === 'listImports').map((c) => c.args[1])).toEqual([
      'net-vpc',
      'db-url',
    ]);
  });

  it('an importer that is not deleted keeps its exporter: EXPORT_IN_USE, not started', async () => {
    const w = executorWorld();
    const exporter = shop('review-net');
    const importer = shop('review-app');
    addStack(w, exporter);
    addStack(w, importer);
    w.stacks.get(importer.stack.stackId)?.facts &&
      Object.assign(w.stacks.get(importer.stack.stackId) as object, {
        facts: { ...importer.stack, status: 'UPDATE_IN_PROGRESS' },
      });
    w.exports.set('net-vpc', exporter.stack.stackId);
    w.imports.set('net-vpc', ['review-app']);
    const out = await execute(runWith([exporter, importer]), w.deps(), applyOptions());
    expect(out.get(importer.stack.stackId)?.error?.code).toBe('STACK_CHANGED');
    expect(out.get(exporter.stack.stackId)).toEqual({
      result: 'cancelled',
      error: { code: 'EXPORT_IN_USE', message: 'an importing stack was not deleted' },
    });
    expect(w.writes()).toEqual([]);
  });
});

describe('after the deletion started', () => {
  it('a DeleteStack AWS refuses is DELETE_REQUEST_FAILED with its error name, and an error of the run', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.failOn('deleteStack', Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    const out = await execute(runWith([r]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'failed',
      teardown: 'delete-stack',
      error: { code: 'DELETE_REQUEST_FAILED', message: 'AccessDenied: not authorized' },
    });
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "account": "111111111111",
          "code": "AccessDenied",
          "effect": "kept",
          "message": "not authorized",
          "region": "eu-west-1",
          "scope": "aws:111111111111/eu-west-1 DeleteStack",
          "stacks": [
            "review-a",
          ],
        },
      ]
    `);
    expect(w.events()).toEqual(['delete-attempt', 'delete-failed']);
  });

  it('a poll that fails leaves the deletion started and resumable: POLL_FAILED, then the next run finishes it', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    const deps = w.deps();
    const describe = deps.aws.describeStack;
    let reads = 0;
    deps.aws = {
      ...deps.aws,
      describeStack: async (t, region, id) => {
        reads++;
        if (reads === 2) throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
        return describe(t, region, id);
      },
    };
    const out = await execute(runWith([r]), deps, applyOptions());
    expect(out.get(r.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "POLL_FAILED",
          "message": "started, but its status could not be read (call: TIMEOUT); the next run resumes it",
        },
        "result": "failed",
        "teardown": "delete-stack",
      }
    `);
    expect(w.state.stacks[r.stack.stackId]?.deletion?.status).toBe('started');
    expect(w.events()).toEqual(['delete-attempt', 'delete-poll-failed']);
    // The next run: the stack is not due any more (busy or gone); the unfinished deletion is followed.
    const next = await execute(runWith([]), deps, applyOptions({ runId: 'run-2' }));
    expect(next.size).toBe(0);
    expect(w.state.stacks[r.stack.stackId]?.deletion?.status).toBe('deleted');
    expect(w.calls.filter((c) => c.method === 'deleteStack')).toHaveLength(1);
    expect(w.writes().slice(1)).toEqual(['stopEnvironment', 'deleteEnvironment', 'createMergeRequestNote']);
    expect(w.messages(30)).toContain('resuming a deletion an earlier run did not finish');
  });

  it('follow-up steps stand alone: a failed environment deletion is an error, the MR note still goes out', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'available');
    w.failOn('deleteEnvironment', Object.assign(new Error('403 Forbidden'), { name: 'HTTPError' }));
    const out = await execute(runWith([r]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)?.result).toBe('deleted');
    expect(w.writes()).toEqual([
      'deleteStack',
      'stopEnvironment',
      'deleteEnvironment',
      'createMergeRequestNote',
    ]);
    expect(w.audit.find((a) => a.event === 'gitlab-followup-failed')).toEqual({
      runId: 'run-1',
      event: 'gitlab-followup-failed',
      stackId: r.stack.stackId,
      step: 'environment deletion',
      error: '403 Forbidden',
    });
    expect(w.errors.map((e) => [e.scope, e.effect, e.project])).toMatchInlineSnapshot(`
      [
        [
          "gitlab:project 101 environment deletion",
          "not-done",
          "101",
        ],
      ]
    `);
    // The next run retries only what is missing.
    w.heal('deleteEnvironment');
    await execute(runWith([]), w.deps(), applyOptions({ runId: 'run-2' }));
    expect(w.writes().slice(4)).toEqual([]);
  });

  it('a deleted stack whose environment stop failed gets its follow-up from the next run, only that', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'available');
    w.failOn('stopEnvironment');
    await execute(runWith([r]), w.deps(), applyOptions({ deleteEnvironments: false }));
    expect(w.writes()).toEqual(['deleteStack', 'stopEnvironment', 'createMergeRequestNote']);
    w.heal('stopEnvironment');
    await execute(runWith([]), w.deps(), applyOptions({ runId: 'run-2', deleteEnvironments: false }));
    expect(w.writes()).toEqual([
      'deleteStack',
      'stopEnvironment',
      'createMergeRequestNote',
      'stopEnvironment',
    ]);
    expect(w.state.stacks[r.stack.stackId]?.deletion).toMatchObject({
      environmentStopped: true,
      notePosted: true,
    });
  });

  it('an unfinished deletion in an account no longer reached is reported, not followed', async () => {
    const w = executorWorld();
    const r = shop('review-a', { account: '222222222222' });
    addStack(w, r);
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: new Date(NOW).toISOString(),
      deletion: {
        status: 'started',
        runId: 'run-0',
        token: 't',
        attempts: 1,
        startedAt: new Date(NOW - 60_000).toISOString(),
        account: '222222222222',
        region: 'eu-west-1',
        name: 'review-a',
        verdict: 'merged',
        reasons: [],
      },
    };
    await execute(runWith([]), w.deps({ reaches: (a) => a !== '222222222222' }), applyOptions());
    expect(w.calls).toEqual([]);
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "account": "222222222222",
          "code": "ACCOUNT_NOT_REACHED",
          "effect": "not-done",
          "message": "an earlier run left this deletion unfinished; account 222222222222 is not reached by the configured credentials, so it is not followed",
          "region": "eu-west-1",
          "scope": "aws:222222222222/eu-west-1 unfinished deletion",
          "service": "aws",
          "stacks": [
            "review-a",
          ],
        },
      ]
    `);
  });

  it('an unexpected error in one deletion is EXECUTOR_ERROR for that stack only', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = shop('review-b');
    addStack(w, a);
    addStack(w, b);
    let saves = 0;
    const out = await execute(
      runWith([a, b]),
      w.deps({
        saveState: async () => {
          saves++;
          if (saves === 1) throw new Error('disk full');
        },
      }),
      applyOptions({ concurrency: 1 }),
    );
    expect(out.get(a.stack.stackId)).toEqual({
      result: 'failed',
      error: { code: 'EXECUTOR_ERROR', message: 'disk full' },
    });
    expect(out.get(b.stack.stackId)?.result).toBe('deleted');
    expect(w.errors.map((e) => [e.scope, e.effect, e.stacks])).toMatchInlineSnapshot(`
      [
        [
          "aws:111111111111/eu-west-1 deletion",
          "kept",
          [
            "review-a",
          ],
        ],
      ]
    `);
  });
});
