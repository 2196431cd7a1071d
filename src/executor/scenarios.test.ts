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
    expect(w.calls).toEqual([]);
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

describe('a deletion that does not end well', () => {
  it('DELETE_FAILED with report: failed, the failed resources named, no retry, no GitLab follow-up', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_IN_PROGRESS', 'DELETE_FAILED'], {
      failedResources: [{ logicalId: 'Bucket', type: 'AWS::S3::Bucket', reason: 'The bucket is not empty' }],
    });
    const out = await execute(runWith([r]), w.deps(), applyOptions());
    expect(out.get(r.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "DELETE_FAILED",
          "message": "Bucket (AWS::S3::Bucket): The bucket is not empty",
        },
        "result": "failed",
        "teardown": "delete-stack",
      }
    `);
    expect(w.writes()).toEqual(['deleteStack']);
    expect(w.events()).toEqual(['delete-attempt', 'delete-failed']);
    expect(w.messages(40)).toMatchInlineSnapshot(`
      [
        "stack deletion failed",
      ]
    `);
    expect(w.state.stacks[r.stack.stackId]?.deletion).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('DELETE_FAILED with retain: one retry retaining exactly the failed resources, under its own token', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_FAILED'], {
      afterRetry: ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'],
      failedResources: [{ logicalId: 'Bucket', type: 'AWS::S3::Bucket', reason: 'not empty' }],
    });
    const out = await execute(runWith([r]), w.deps(), applyOptions({ onDeleteFailed: 'retain' }));
    expect(out.get(r.stack.stackId)).toEqual({ result: 'deleted', teardown: 'delete-stack' });
    const deletes = w.calls.filter((c) => c.method === 'deleteStack').map((c) => c.args[2]);
    expect(deletes).toEqual([
      { token: expect.any(String) },
      { token: expect.stringMatching(/-retry$/), retainResources: ['Bucket'] },
    ]);
    expect(w.audit.filter((a) => a.event === 'delete-attempt')[1]).toMatchInlineSnapshot(`
      {
        "event": "delete-attempt",
        "failed": [
          {
            "logicalId": "Bucket",
            "reason": "not empty",
            "type": "AWS::S3::Bucket",
          },
        ],
        "mode": "retain",
        "name": "review-a",
        "runId": "run-1",
        "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        "token": "env-reaper-run-1-4b005065b23bea04-retry",
      }
    `);
    expect(w.messages(40)).toEqual(['DELETE_FAILED: retrying']);
    expect(w.state.stacks[r.stack.stackId]?.deletion?.attempts).toBe(2);
  });

  it('DELETE_FAILED with force: one retry with force, and its failure is final', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_FAILED'], {
      afterRetry: ['DELETE_FAILED'],
      failedResources: [{ logicalId: 'Role', type: 'AWS::IAM::Role', reason: 'in use' }],
    });
    const out = await execute(runWith([r]), w.deps(), applyOptions({ onDeleteFailed: 'force' }));
    expect(w.calls.filter((c) => c.method === 'deleteStack').map((c) => c.args[2])).toEqual([
      { token: expect.any(String) },
      { token: expect.stringMatching(/-retry$/), force: true },
    ]);
    expect(out.get(r.stack.stackId)).toEqual({
      result: 'failed',
      teardown: 'delete-stack',
      error: { code: 'DELETE_FAILED', message: 'Role (AWS::IAM::Role): in use' },
    });
  });

  it('empty-and-retry empties the failed bucket and repository the stack owns, then retries once', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_FAILED'], {
      afterRetry: ['DELETE_COMPLETE'],
      failedResources: [
        { logicalId: 'Bucket', type: 'AWS::S3::Bucket', reason: 'not empty', physicalId: 'review-a-bucket' },
        { logicalId: 'Repo', type: 'AWS::ECR::Repository', reason: 'not empty', physicalId: 'review-a-repo' },
      ],
    });
    const out = await execute(
      runWith([r]),
      w.deps(),
      applyOptions({ onDeleteFailed: 'empty-and-retry', maxRepairs: 5 }),
    );
    expect(out.get(r.stack.stackId)).toMatchInlineSnapshot(`
      {
        "repair": {
          "resources": [
            {
              "bytes": 300,
              "deleteMarkers": 1,
              "errors": [],
              "logicalId": "Bucket",
              "physicalId": "review-a-bucket",
              "removed": 3,
              "type": "AWS::S3::Bucket",
            },
            {
              "bytes": 200,
              "deleteMarkers": 0,
              "errors": [],
              "logicalId": "Repo",
              "physicalId": "review-a-repo",
              "removed": 2,
              "type": "AWS::ECR::Repository",
            },
          ],
          "status": "emptied",
        },
        "result": "deleted",
        "teardown": "delete-stack",
      }
    `);
    expect(w.writes()).toEqual([
      'deleteStack',
      'emptyBucket',
      'emptyRepository',
      'deleteStack',
      'stopEnvironment',
      'deleteEnvironment',
      'createMergeRequestNote',
    ]);
    expect(w.state.stacks[r.stack.stackId]?.deletion?.emptied).toEqual([
      { type: 'AWS::S3::Bucket', physicalId: 'review-a-bucket', removed: 4, bytes: 300 },
      { type: 'AWS::ECR::Repository', physicalId: 'review-a-repo', removed: 2, bytes: 200 },
    ]);
    expect(w.notes.get('101!12')?.[0]).toContain('review-a-bucket');
  });

  it('empty-and-retry past the brake empties nothing and reports the refusal with the failed resources', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_FAILED'], {
      failedResources: [
        { logicalId: 'Bucket', type: 'AWS::S3::Bucket', reason: 'not empty', physicalId: 'review-a-bucket' },
      ],
    });
    const out = await execute(
      runWith([r]),
      w.deps(),
      applyOptions({ onDeleteFailed: 'empty-and-retry', maxRepairs: 0 }),
    );
    expect(out.get(r.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "DELETE_FAILED",
          "message": "Bucket (AWS::S3::Bucket): not empty (empty-and-retry refused: 1 to empty, 0 left under limits.maxDeletionsPerRun)",
        },
        "repair": {
          "detail": "1 to empty, 0 left under limits.maxDeletionsPerRun",
          "refusal": "REPAIR_BRAKE",
          "resources": [],
          "status": "refused",
        },
        "result": "failed",
        "teardown": "delete-stack",
      }
    `);
    expect(w.writes()).toEqual(['deleteStack']);
  });

  it('rolled back: an export still imported is EXPORT_IN_USE, any other stable status DELETE_ROLLED_BACK', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = shop('review-b');
    addStack(w, a, ['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE']);
    addStack(w, b, ['CREATE_COMPLETE']);
    const sa = w.stacks.get(a.stack.stackId);
    if (sa)
      sa.facts = { ...sa.facts, statusReason: 'Export a-url cannot be deleted as it is in use by other' };
    const out = await execute(runWith([a, b]), w.deps(), applyOptions());
    expect(out.get(a.stack.stackId)?.error?.code).toBe('EXPORT_IN_USE');
    expect(out.get(b.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "DELETE_ROLLED_BACK",
          "message": "back to CREATE_COMPLETE",
        },
        "result": "failed",
        "teardown": "delete-stack",
      }
    `);
  });

  it('still deleting at deleteTimeout: DELETE_TIMEOUT after backing off to the deadline', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r, ['DELETE_IN_PROGRESS']);
    const out = await execute(
      runWith([r]),
      w.deps(),
      applyOptions({ deleteTimeoutMs: 10_000, poll: { minMs: 1000, maxMs: 4000 } }),
    );
    expect(out.get(r.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "DELETE_TIMEOUT",
          "message": "still DELETE_IN_PROGRESS after 10 s",
        },
        "result": "failed",
        "teardown": "delete-stack",
      }
    `);
    // Backoff: 1000, 1500, 2250, 3375, then capped at 4000 until the deadline.
    expect(w.methods().filter((m) => m === 'describeStack').length).toBe(6);
  });
});
