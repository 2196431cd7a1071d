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
    expect(w.logLines()).toMatchInlineSnapshot(`
      [
        {
          "environmentId": 5,
          "level": 30,
          "msg": "following the on_stop job",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "fallback": "STOP_JOB_LEFT_STACK",
          "level": 40,
          "msg": "the on_stop job did not delete the stack",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "fallback": "STOP_JOB_LEFT_STACK",
          "level": 30,
          "msg": "deleting stack",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "token": "env-reaper-run-1-4b005065b23bea04",
        },
        {
          "level": 30,
          "msg": "stack deleted",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
      ]
    `);
    expect(w.audit).toMatchInlineSnapshot(`
      [
        {
          "event": "delete-attempt",
          "evidence": {
            "reasons": [
              {
                "code": "MR_MERGED",
                "detail": "!12 from feature/x merged",
              },
            ],
            "verdict": "merged",
          },
          "name": "review-a",
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "teardown": "stop-job-then-delete",
          "token": "env-reaper-run-1-4b005065b23bea04",
        },
        {
          "environmentId": 5,
          "event": "environment-stop-requested",
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "state": "stopping",
        },
        {
          "event": "stop-job-ended",
          "fallback": "STOP_JOB_LEFT_STACK",
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "event": "delete-complete",
          "name": "review-a",
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "environmentId": 5,
          "event": "environment-deleted",
          "projectId": 101,
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "event": "mr-note-posted",
          "mrIid": 12,
          "projectId": 101,
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
      ]
    `);
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
    // Backoff from minMs by 1.5, capped at maxMs, until the next wait would pass the deadline.
    expect(w.sleeps).toEqual([1000, 1500, 2000]);
    expect(w.methods().filter((m) => m === 'environmentState')).toHaveLength(4);
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

  it('a dry run shows what apply would refuse, naming the importer, and writes nothing (issue #33)', async () => {
    const w = executorWorld();
    const exporter = shop('review-net');
    const importer = shop('review-app');
    const lonely = shop('review-db');
    const chained = shop('review-cache');
    for (const x of [exporter, importer, lonely, chained]) addStack(w, x);
    // review-net is imported by review-app (also due: fine); review-db by prod-app (not due: refused);
    // review-cache by review-db, which is refused, so review-cache is refused too.
    w.exports.set('net-vpc', exporter.stack.stackId);
    w.imports.set('net-vpc', ['review-app']);
    w.exports.set('db-url', lonely.stack.stackId);
    w.imports.set('db-url', ['prod-app']);
    w.exports.set('cache-url', chained.stack.stackId);
    w.imports.set('cache-url', ['review-db']);
    const out = await execute(
      runWith([exporter, importer, lonely, chained]),
      w.deps(),
      applyOptions({ apply: false }),
    );
    expect(Object.fromEntries([...out].map(([id, o]) => [id.split('/')[1], o]))).toEqual({
      'review-db': {
        result: 'cancelled',
        error: {
          code: 'EXPORT_IN_USE',
          message: 'export db-url is imported by prod-app, which is not being deleted',
        },
      },
      'review-cache': {
        result: 'cancelled',
        error: { code: 'EXPORT_IN_USE', message: 'an importing stack, review-db, would not be deleted' },
      },
    });
    expect(w.writes()).toEqual([]);
    // The DRY-RUN lines say only what apply would do.
    const would = w.logs.filter((l) => l.msg === 'DRY-RUN: would delete stack').map((l) => l.stack);
    expect(would).toEqual(['review-net', 'review-app']);
  });
});
