import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  record,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { env } from '../../test/helpers/fixtures.js';
import { execute } from './executor.js';

/**
 * The executor end to end in process, one scenario each, asserted whole: the outcome, the calls in
 * order, the audit entries, the log lines and the state it leaves. A changed code, message, field or
 * order of writes fails here, which is what the mutation score of src/executor measures.
 */

const shop = shopRecord;

describe('one deletion, every step', () => {
  it('a stack without a GitLab project: deleted, and no GitLab call at all', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const orphan = {
      ...r,
      owner: { matchedBy: 'name-pattern' as const },
      evidence: {},
    };
    addStack(w, orphan);
    const out = await execute(runWith([orphan]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)).toEqual({ result: 'deleted', teardown: 'delete-stack' });
    expect(w.writes()).toEqual(['deleteStack']);
    const d = w.state.stacks[r.stack.stackId]?.deletion;
    expect(d && 'projectId' in d).toBe(false);
    expect(d?.mrIid).toBeUndefined();
  });

  it('an environment already stopped is not recorded nor stopped again; the MR still gets its note', async () => {
    const w = executorWorld();
    const r = shop('review-a', { environment: env({ id: 5, name: 'review/a', state: 'stopped' }) });
    addStack(w, r);
    await execute(runWith([r]), w.deps(), applyOptions({ teardown: 'stop-job' }));
    expect(w.writes()).toEqual(['deleteStack', 'createMergeRequestNote']);
    const d = w.state.stacks[r.stack.stackId]?.deletion;
    expect(d).toMatchObject({ projectId: 101, mrIid: 12 });
    expect(d && ('environmentId' in d || 'teardown' in d)).toBe(false);
  });

  it('delete-stack with an environment and an MR: delete, poll, stop, delete the environment, note the MR', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'available');
    const out = await execute(runWith([r]), w.deps(), applyOptions({ deleteEnvironments: true }));
    expect(out.get(r.stack.stackId)).toEqual({ result: 'deleted', teardown: 'delete-stack' });
    expect(w.methods()).toEqual([
      'callerAccount',
      'listExports',
      'describeStack',
      'deleteStack',
      'describeStack',
      'describeStack',
      'stopEnvironment',
      'deleteEnvironment',
      'mergeRequestNoteBodies',
      'createMergeRequestNote',
    ]);
    expect(w.calls.find((c) => c.method === 'deleteStack')?.args).toEqual([
      'eu-west-1',
      r.stack.stackId,
      { token: expect.stringMatching(/^env-reaper-/) },
    ]);
    expect(w.calls.find((c) => c.method === 'stopEnvironment')?.args).toEqual([101, 5, { force: true }]);
    expect(w.environments.has('101/5')).toBe(false);
    expect(w.notes.get('101!12')?.[0]).toContain('review-a');
    expect(w.events()).toEqual([
      'delete-attempt',
      'delete-complete',
      'environment-stopped',
      'environment-deleted',
      'mr-note-posted',
    ]);
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
          "token": "env-reaper-run-1-4b005065b23bea04",
        },
        {
          "event": "delete-complete",
          "name": "review-a",
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "environmentId": 5,
          "event": "environment-stopped",
          "projectId": 101,
          "runId": "run-1",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "state": "stopped",
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
    expect(w.messages()).toMatchInlineSnapshot(`
      [
        "deleting stack",
        "stack deleted",
      ]
    `);
    expect(w.state.stacks[r.stack.stackId]).toMatchInlineSnapshot(`
      {
        "deletion": {
          "account": "111111111111",
          "attempts": 1,
          "deleteRequested": true,
          "environmentDeleted": true,
          "environmentId": 5,
          "environmentStopped": true,
          "finishedAt": "2026-11-28T12:00:00.001Z",
          "mrIid": 12,
          "name": "review-a",
          "notePosted": true,
          "projectId": 101,
          "reasons": [
            {
              "code": "MR_MERGED",
              "detail": "!12 from feature/x merged",
            },
          ],
          "region": "eu-west-1",
          "runId": "run-1",
          "startedAt": "2026-11-28T12:00:00.000Z",
          "status": "deleted",
          "tags": {
            "gitlab:project-id": "101",
            "gitlab:ref": "feature/x",
          },
          "token": "env-reaper-run-1-4b005065b23bea04",
          "verdict": "merged",
        },
        "firstSeen": {},
        "lastSeen": "2026-11-28T12:00:00.000Z",
        "name": "review-a",
      }
    `);
    expect(w.errors).toEqual([]);
  });

  it('dry-run says every write it would make, in DRY-RUN lines, and makes none', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = record('review-b', { environment: env({ id: 6, name: 'review/b' }) });
    const c = record('review-c', { environment: env({ id: 7, name: 'review/c', state: 'stopped' }) });
    const later = shop('review-later', { status: 'waiting', deleteAfter: '2026-12-01T00:00:00.000Z' });
    for (const x of [a, b, c, later]) addStack(w, x);
    const out = await execute(
      runWith([a, b, c, later]),
      w.deps(),
      applyOptions({
        apply: false,
        mergeRequestNotices: true,
        teardownProjects: { 'acme/shop': 'stop-job' },
      }),
    );
    expect(out.size).toBe(0);
    // Only the reads apply makes first (the account guard, the export graph); no write, no audit entry.
    expect(w.methods()).toEqual(['callerAccount', 'listExports']);
    expect(w.audit).toEqual([]);
    expect(w.logs).toMatchInlineSnapshot(`
      [
        {
          "deleteAfter": "2026-12-01T00:00:00.000Z",
          "level": 30,
          "mrIid": 12,
          "msg": "DRY-RUN: would post an advance notice",
          "stack": "review-later",
        },
        {
          "level": 30,
          "msg": "DRY-RUN: would delete stack",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "verdict": "merged",
        },
        {
          "environment": "review/review-a",
          "level": 30,
          "msg": "DRY-RUN: would stop environment so its on_stop job tears the stack down",
          "teardown": "stop-job",
        },
        {
          "level": 30,
          "mrIid": 12,
          "msg": "DRY-RUN: would note the merge request",
        },
        {
          "level": 30,
          "msg": "DRY-RUN: would delete stack",
          "stack": "review-b",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-b/x",
          "verdict": "merged",
        },
        {
          "environment": "review/b",
          "level": 30,
          "msg": "DRY-RUN: would stop environment so its on_stop job tears the stack down",
          "teardown": "stop-job",
        },
        {
          "level": 30,
          "msg": "DRY-RUN: would delete stack",
          "stack": "review-c",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-c/x",
          "verdict": "merged",
        },
      ]
    `);
  });

  it('a braked plan writes nothing, even with apply, and says which brake', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    const out = await execute(runWith([r], true), w.deps(), applyOptions());
    expect(out.size).toBe(0);
    expect(w.calls).toEqual([]);
    expect(w.logs).toMatchInlineSnapshot(`
      [
        {
          "brake": {
            "due": 1,
            "inScope": 1,
            "kind": "max-deletions",
            "limit": 0,
          },
          "level": 40,
          "msg": "brake engaged: nothing is deleted",
        },
      ]
    `);
  });
});
