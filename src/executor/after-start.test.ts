import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { execute } from './executor.js';

/**
 * After the deletion started: a refused DeleteStack, a failed poll resumed by the next run, follow-up
 * steps that fail alone, unreached accounts, unexpected errors. Asserted whole like scenarios.test.ts.
 */

const shop = shopRecord;

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
          "code": "ACCESS_DENIED",
          "effect": "kept",
          "message": "not authorized",
          "region": "eu-west-1",
          "scope": "aws:111111111111/eu-west-1 DeleteStack",
          "serviceCode": "AccessDenied",
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
          "message": "started, but its status could not be read (call: TimeoutError); the next run resumes it",
        },
        "result": "failed",
        "teardown": "delete-stack",
      }
    `);
    expect(w.state.stacks[r.stack.stackId]?.deletion?.status).toBe('started');
    expect(w.events()).toEqual(['delete-attempt', 'delete-poll-failed']);
    expect(w.audit[1]).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "POLL_FAILED",
          "message": "started, but its status could not be read (call: TimeoutError); the next run resumes it",
        },
        "event": "delete-poll-failed",
        "runId": "run-1",
        "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
      }
    `);
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "account": "111111111111",
          "code": "TIMEOUT",
          "effect": "not-done",
          "message": "timed out",
          "project": "101",
          "region": "eu-west-1",
          "scope": "aws:111111111111/eu-west-1 status of a started deletion",
          "serviceCode": "TimeoutError",
          "stacks": [
            "review-a",
          ],
        },
      ]
    `);
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
