import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { execute } from './executor.js';

/**
 * Deletions that do not end well (DELETE_FAILED and its retries, rolled back, timed out), asserted whole
 * like scenarios.test.ts.
 */

const shop = shopRecord;

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
    expect(w.logLines()).toMatchInlineSnapshot(`
      [
        {
          "level": 30,
          "msg": "deleting stack",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "token": "env-reaper-run-1-4b005065b23bea04",
        },
        {
          "error": {
            "code": "DELETE_FAILED",
            "message": "Bucket (AWS::S3::Bucket): The bucket is not empty",
          },
          "level": 50,
          "msg": "stack deletion failed",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
      ]
    `);
    expect(w.audit[1]).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "DELETE_FAILED",
          "message": "Bucket (AWS::S3::Bucket): The bucket is not empty",
        },
        "event": "delete-failed",
        "name": "review-a",
        "runId": "run-1",
        "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
      }
    `);
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
    expect(w.logLines()).toMatchInlineSnapshot(`
      [
        {
          "level": 30,
          "msg": "deleting stack",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
          "token": "env-reaper-run-1-4b005065b23bea04",
        },
        {
          "failed": [
            {
              "logicalId": "Bucket",
              "reason": "not empty",
              "type": "AWS::S3::Bucket",
            },
          ],
          "level": 40,
          "mode": "retain",
          "msg": "DELETE_FAILED: retrying",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
        {
          "level": 30,
          "msg": "stack deleted",
          "stack": "review-a",
          "stackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x",
        },
      ]
    `);
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
      sa.facts = {
        ...sa.facts,
        statusReason: 'Export a-url cannot be deleted as it is in use by other',
        statusCause: 'EXPORT_IN_USE',
      };
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
    // Backoff from minMs by 1.5, capped at maxMs, until the next wait would pass the deadline.
    expect(w.sleeps).toEqual([1000, 1500, 2250, 3375]);
    expect(w.methods().filter((m) => m === 'describeStack').length).toBe(6);
  });
});
