import { describe, expect, it } from 'vitest';
import {
  awsError,
  BUCKET,
  earlierRecord,
  GROUP,
  NOW,
  options,
  REPO,
  tags,
  world,
} from '../../test/helpers/leftover-executor.js';
import { reapLeftovers } from './leftovers.js';

describe('reapLeftovers: what each outcome says, and what state held at each save', () => {
  it('pins every cancellation message', async () => {
    const cases: [Parameters<typeof world>[0], { code: string; message: string }][] = [
      [
        { seen: { tags: { 'gitlab:project-id': '1' } } },
        { code: 'TAGS_CHANGED', message: 'no longer tagged gitlab:environment like the deleted stack' },
      ],
      [
        { seen: { mfaDelete: true } },
        {
          code: 'MFA_DELETE',
          message: 'MFA delete is enabled on the bucket: its versions need an MFA token',
        },
      ],
      [
        { seen: { lastPulledAt: '2026-11-20T00:00:00.000Z' } },
        {
          code: 'RECENTLY_PULLED',
          message:
            'an image was pulled at 2026-11-20T00:00:00.000Z, after the stack was deleted: someone still uses it',
        },
      ],
      [
        { gone: 'back' },
        { code: 'ENVIRONMENT_BACK', message: 'the branch exists again, or an MR from it is open' },
      ],
      [{ gone: 'unknown' }, { code: 'EVIDENCE_UNKNOWN', message: 'GitLab could not be read' }],
      [
        { caller: '999999999999' },
        { code: 'ACCOUNT_MISMATCH', message: 'credentials no longer belong to account 111111111111' },
      ],
    ];
    for (const [over, error] of cases) {
      const w = world(over);
      expect((await reapLeftovers([BUCKET], w.deps, options)).get(BUCKET.arn), error.code).toEqual({
        result: 'cancelled',
        error,
      });
      const warn = w.lines.find((l) => l.msg === 'leftover deletion cancelled after its re-check');
      expect(warn?.fields, error.code).toMatchObject({
        arn: BUCKET.arn,
        code: error.code,
        detail: error.message,
      });
      expect(w.audit[0], error.code).toEqual({
        runId: 'run-1',
        event: 'leftover-delete-cancelled',
        arn: BUCKET.arn,
        stackId: BUCKET.stackId,
        code: error.code,
        detail: error.message,
      });
    }
    const none = world();
    none.deps.filtersOf = () => [];
    expect((await reapLeftovers([BUCKET], none.deps, options)).get(BUCKET.arn)).toEqual({
      result: 'cancelled',
      error: {
        code: 'TAGS_CHANGED',
        message: 'no longer tagged with its environment like the deleted stack',
      },
    });
  });

  it('a pull at the very moment of the deletion does not stop it', async () => {
    const w = world({ seen: { lastPulledAt: REPO.deletedAt } });
    expect((await reapLeftovers([REPO], w.deps, options)).get(REPO.arn)?.result).toBe('deleted');
  });

  it('skips say why', async () => {
    const stopping = world();
    expect(
      (await reapLeftovers([BUCKET], stopping.deps, { ...options, shouldStop: () => true })).get(BUCKET.arn),
    ).toEqual({
      result: 'skipped',
      error: { code: 'STOPPING', message: 'the daemon is stopping' },
    });
  });

  it('state holds `started` with the earlier counts at the first save, `deleted` with the sums at the second', async () => {
    const w = world();
    const saved: unknown[] = [];
    w.deps.saveState = async () => void saved.push(structuredClone(w.state.leftovers?.[BUCKET.arn]));
    w.state.leftovers = {
      [BUCKET.arn]: earlierRecord({ status: 'failed', attempts: 2, removed: 10, deleteMarkers: 4 }),
    };
    await reapLeftovers([BUCKET], w.deps, options);
    expect(saved).toEqual([
      {
        status: 'started',
        type: 's3:bucket',
        account: '111111111111',
        region: 'eu-west-1',
        stackId: BUCKET.stackId,
        stackName: 'review-x',
        runId: 'run-1',
        attempts: 3,
        startedAt: new Date(NOW).toISOString(),
        removed: 10,
        deleteMarkers: 4,
      },
      expect.objectContaining({ status: 'deleted', attempts: 3, removed: 13, deleteMarkers: 5 }),
    ]);
    const info = w.lines.find((l) => l.msg === 'leftover deleted');
    expect(info?.fields).toMatchObject({ arn: BUCKET.arn, stack: 'review-x', removed: 3 });
  });

  it('a failure says which step failed, and state keeps what was removed before it', async () => {
    const emptyFails = world();
    emptyFails.deps.aws.emptyBucket = async () => {
      throw awsError('AccessDenied', 403);
    };
    await reapLeftovers([BUCKET], emptyFails.deps, options);
    expect(emptyFails.errors[0]?.scope).toBe('aws:111111111111/eu-west-1 leftover emptying');
    expect(emptyFails.state.leftovers?.[BUCKET.arn]).toMatchObject({
      status: 'failed',
      removed: 0,
      deleteMarkers: 0,
    });
    expect(emptyFails.state.leftovers?.[BUCKET.arn]?.error).toEqual({
      code: emptyFails.errors[0]?.code,
      message: emptyFails.errors[0]?.message,
    });
    expect(emptyFails.audit.at(-1)).toMatchObject({
      event: 'leftover-delete-failed',
      removed: 0,
      error: { code: emptyFails.errors[0]?.code },
    });

    const deleteFails = world({
      deleteBucket: () => {
        throw awsError('AccessDenied', 403);
      },
    });
    await reapLeftovers([BUCKET], deleteFails.deps, options);
    expect(deleteFails.errors[0]?.scope).toBe('aws:111111111111/eu-west-1 leftover deletion');
    expect(deleteFails.state.leftovers?.[BUCKET.arn]).toMatchObject({
      status: 'failed',
      removed: 3,
      deleteMarkers: 1,
    });
    expect(deleteFails.calls.filter((c) => c.startsWith('deleteBucket'))).toHaveLength(1);

    const checkFails = world();
    checkFails.deps.aws.inspectLeftover = async () => {
      throw awsError('AccessDenied', 403);
    };
    await reapLeftovers([BUCKET], checkFails.deps, options);
    expect(checkFails.errors[0]?.scope).toBe('aws:111111111111/eu-west-1 leftover re-check');
    const failLog = checkFails.lines.find((l) => l.msg === 'a call failed: the run is degraded');
    expect(failLog?.fields).toMatchObject({ what: 'leftover re-check', stacks: ['review-x'] });
  });

  it("GitLab's re-check errors are run errors that kept the leftover", async () => {
    const w = world({ gone: 'unknown' });
    w.deps.recheckEnvironment = async () => ({
      gone: 'unknown',
      errors: [
        {
          scope: 'gitlab:project 1 branches',
          code: 'SERVER_ERROR',
          message: 'HTTP 500',
          stacks: ['review-x'],
        },
      ],
    });
    await reapLeftovers([BUCKET], w.deps, options);
    expect(w.errors).toEqual([
      {
        scope: 'gitlab:project 1 branches',
        code: 'SERVER_ERROR',
        message: 'HTTP 500',
        stacks: ['review-x'],
        effect: 'kept',
      },
    ]);
  });

  it('the refused objects name the first code as the service code, and every refused key', async () => {
    const w = world({
      empties: [
        { removed: 1, deleteMarkers: 0, bytes: 1, errors: ['AccessDenied: a.bin', 'InternalError: b.bin'] },
      ],
    });
    await reapLeftovers([BUCKET], w.deps, options);
    expect(w.errors[0]).toMatchObject({
      code: 'OBJECT_NOT_DELETED',
      service: 'aws',
      serviceCode: 'AccessDenied',
      message: 'DeleteObjects refused: AccessDenied: a.bin; InternalError: b.bin',
    });
  });

  it('another failure than BucketNotEmpty is not retried', async () => {
    const w = world({
      deleteBucket: () => {
        throw awsError('InternalError', 500);
      },
    });
    await reapLeftovers([BUCKET], w.deps, options);
    expect(w.calls.filter((c) => c.startsWith('empty'))).toHaveLength(1);
  });

  it('runs `concurrency` deletions at once', async () => {
    const w = world();
    let inFlight = 0;
    let most = 0;
    w.deps.aws.inspectLeftover = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return { exists: true, tags: { ...tags } };
    };
    await reapLeftovers([BUCKET, REPO, GROUP], w.deps, { ...options, concurrency: 3 });
    expect(most).toBe(3);
    const one = world();
    await reapLeftovers([BUCKET, REPO], one.deps, { ...options, concurrency: 0 });
    expect(one.audit.filter((a) => a.event === 'leftover-deleted')).toHaveLength(2);
  });

  it('gone without a record: nothing written, no error', async () => {
    const w = world({ seen: { exists: false } });
    expect((await reapLeftovers([BUCKET], w.deps, options)).get(BUCKET.arn)).toEqual({ result: 'gone' });
    expect(w.errors).toEqual([]);
    expect(w.state.leftovers?.[BUCKET.arn]).toBeUndefined();
  });
});
