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
import { EMPTY_ROUNDS, leftoverName, reapLeftovers } from './leftovers.js';

describe('reapLeftovers', () => {
  it('names the resource of each ARN', () => {
    expect(leftoverName(BUCKET)).toBe('review-x-uploads');
    expect(leftoverName(REPO)).toBe('review-x-images');
    expect(leftoverName(GROUP)).toBe('/aws/lambda/review-x');
    expect(leftoverName({ ...GROUP, arn: `${GROUP.arn}:*` })).toBe('/aws/lambda/review-x');
  });

  it('dry run: one DRY-RUN line per leftover, no call at all', async () => {
    const w = world();
    const out = await reapLeftovers([BUCKET, REPO, GROUP], w.deps, { ...options, apply: false });
    expect(out.size).toBe(0);
    expect(w.calls).toEqual([]);
    expect(w.lines.map((l) => l.msg)).toEqual([
      'DRY-RUN: would delete bucket (every object version and delete marker, then the bucket)',
      'DRY-RUN: would delete repository (with its images)',
      'DRY-RUN: would delete log group',
    ]);
    expect(w.lines[0]?.fields).toMatchObject({ arn: BUCKET.arn, stack: 'review-x', reason: 'DUE' });
  });

  it('re-checks, records, empties, deletes, records, audits: in that order', async () => {
    const w = world();
    const out = await reapLeftovers([BUCKET], w.deps, options);
    expect(out.get(BUCKET.arn)).toEqual({ result: 'deleted', removed: 3, deleteMarkers: 1 });
    expect(w.calls).toEqual([
      'callerAccount',
      'inspect review-x-uploads',
      'gitlab',
      'save',
      'empty review-x-uploads',
      'deleteBucket review-x-uploads',
      'save',
    ]);
    expect(w.audit.map((a) => a.event)).toEqual(['leftover-delete-attempt', 'leftover-deleted']);
    expect(w.audit[0]).toMatchObject({ runId: 'run-1', arn: BUCKET.arn, reason: 'DUE', attempt: 1 });
    expect(w.audit[1]).toMatchObject({ removed: 3, deleteMarkers: 1, bytes: 30 });
    expect(w.state.leftovers?.[BUCKET.arn]).toMatchObject({
      status: 'deleted',
      attempts: 1,
      removed: 3,
      deleteMarkers: 1,
      stackName: 'review-x',
      finishedAt: new Date(NOW).toISOString(),
    });
    expect(w.progress).toEqual([4]);
  });

  it('repositories and log groups: one call each; gone meanwhile is as good as deleted', async () => {
    const w = world({
      deleteOther: () => {
        throw awsError('ResourceNotFoundException', 400);
      },
    });
    const out = await reapLeftovers([REPO, GROUP], w.deps, options);
    expect(out.get(REPO.arn)?.result).toBe('deleted');
    expect(out.get(GROUP.arn)?.result).toBe('deleted');
    expect(w.calls).toContain('deleteRepository review-x-images');
    expect(w.calls).toContain('deleteLogGroup /aws/lambda/review-x');
    expect(w.errors).toEqual([]);
  });

  it('cancels after the re-check, writing nothing: tags, keep tag, MFA delete, a recent pull, GitLab, account', async () => {
    const cases: [Parameters<typeof world>[0], string][] = [
      [{ seen: { tags: { 'gitlab:project-id': '1' } } }, 'TAGS_CHANGED'],
      [{ seen: { tags: { ...tags, 'env-reaper:keep': 'true' } } }, 'KEEP_TAG'],
      [{ seen: { mfaDelete: true } }, 'MFA_DELETE'],
      [{ seen: { lastPulledAt: '2026-11-20T00:00:00.000Z' } }, 'RECENTLY_PULLED'],
      [{ gone: 'back' }, 'ENVIRONMENT_BACK'],
      [{ gone: 'unknown' }, 'EVIDENCE_UNKNOWN'],
      [{ caller: '999999999999' }, 'ACCOUNT_MISMATCH'],
    ];
    for (const [over, code] of cases) {
      const w = world(over);
      const out = await reapLeftovers([BUCKET], w.deps, options);
      expect(out.get(BUCKET.arn), code).toMatchObject({ result: 'cancelled', error: { code } });
      expect(
        w.calls.filter((c) => /^(empty|delete|save)/.test(c)),
        code,
      ).toEqual([]);
      expect(
        w.audit.map((a) => [a.event, a.code]),
        code,
      ).toEqual([['leftover-delete-cancelled', code]]);
      expect(w.state.leftovers?.[BUCKET.arn], code).toBeUndefined();
    }
    // A pull before the stack's deletion does not stop it.
    const w = world({ seen: { lastPulledAt: '2026-10-01T00:00:00.000Z' } });
    expect((await reapLeftovers([REPO], w.deps, options)).get(REPO.arn)?.result).toBe('deleted');
  });

  it('gone before its deletion: nothing written; an unfinished record of it is closed', async () => {
    const w = world({ seen: { exists: false } });
    w.state.leftovers = {
      [BUCKET.arn]: earlierRecord({ status: 'started', attempts: 1, removed: 7, deleteMarkers: 0 }),
    };
    const out = await reapLeftovers([BUCKET], w.deps, options);
    expect(out.get(BUCKET.arn)).toEqual({ result: 'gone' });
    expect(w.state.leftovers[BUCKET.arn]).toMatchObject({ status: 'deleted', removed: 7 });
    expect(w.calls.filter((c) => /^(empty|delete)/.test(c))).toEqual([]);
  });

  it('never twice: a leftover state records as deleted is skipped before any call', async () => {
    // (skipped: { code: 'ALREADY_DELETED', message: 'deleted before' })
    const w = world();
    await reapLeftovers([BUCKET], w.deps, options);
    const again = world();
    again.state.leftovers = structuredClone(w.state.leftovers);
    const out = await reapLeftovers([BUCKET], again.deps, options);
    expect(out.get(BUCKET.arn)).toEqual({
      result: 'skipped',
      error: { code: 'ALREADY_DELETED', message: 'deleted before' },
    });
    expect(again.calls).toEqual([]);
  });

  it('a resumed deletion counts its attempts and adds what the cut run removed', async () => {
    const w = world();
    w.state.leftovers = {
      [BUCKET.arn]: earlierRecord({ status: 'started', attempts: 1, removed: 2000, deleteMarkers: 5 }),
    };
    await reapLeftovers([BUCKET], w.deps, options);
    expect(w.state.leftovers[BUCKET.arn]).toMatchObject({
      status: 'deleted',
      attempts: 2,
      removed: 2003,
      deleteMarkers: 6,
    });
    expect(w.audit[0]).toMatchObject({ attempt: 2 });
  });

  it(`a bucket that refills is emptied again, ${EMPTY_ROUNDS} rounds at most, then a run error`, async () => {
    const notEmpty = () => {
      throw awsError('BucketNotEmpty', 409);
    };
    const twice = world({ deleteBucket: (n) => (n < 2 ? notEmpty() : undefined) });
    expect((await reapLeftovers([BUCKET], twice.deps, options)).get(BUCKET.arn)).toMatchObject({
      result: 'deleted',
      removed: 6,
    });
    const always = world({ deleteBucket: notEmpty });
    const out = await reapLeftovers([BUCKET], always.deps, options);
    expect(out.get(BUCKET.arn)).toMatchObject({ result: 'failed', removed: 3 * EMPTY_ROUNDS });
    expect(always.calls.filter((c) => c.startsWith('deleteBucket'))).toHaveLength(EMPTY_ROUNDS);
    expect(always.errors).toHaveLength(1);
    expect(always.errors[0]).toMatchObject({ effect: 'kept', stacks: ['review-x'], account: '111111111111' });
    expect(always.state.leftovers?.[BUCKET.arn]).toMatchObject({
      status: 'failed',
      removed: 3 * EMPTY_ROUNDS,
    });
    expect(always.audit.map((a) => a.event)).toEqual(['leftover-delete-attempt', 'leftover-delete-failed']);
  });

  it('objects S3 refused to delete: no DeleteBucket, an OBJECT_NOT_DELETED error', async () => {
    const w = world({
      empties: [{ removed: 1, deleteMarkers: 0, bytes: 1, errors: ['AccessDenied: a.bin'] }],
    });
    const out = await reapLeftovers([BUCKET], w.deps, options);
    expect(out.get(BUCKET.arn)).toMatchObject({ result: 'failed', error: { code: 'OBJECT_NOT_DELETED' } });
    expect(w.calls.some((c) => c.startsWith('deleteBucket'))).toBe(false);
    expect(w.errors[0]).toMatchObject({ code: 'OBJECT_NOT_DELETED', operation: 'DeleteObjects' });
  });

  it('a failed re-check is a run error and writes no state', async () => {
    const w = world();
    w.deps.aws.inspectLeftover = async () => {
      throw awsError('ThrottlingException', 400);
    };
    const out = await reapLeftovers([BUCKET], w.deps, options);
    expect(out.get(BUCKET.arn)?.result).toBe('failed');
    expect(w.errors).toHaveLength(1);
    expect(w.state.leftovers?.[BUCKET.arn]).toBeUndefined();
    expect(w.audit).toEqual([]);
  });

  it('a stopping daemon starts no deletion', async () => {
    const w = world();
    const out = await reapLeftovers([BUCKET], w.deps, { ...options, shouldStop: () => true });
    expect(out.get(BUCKET.arn)).toMatchObject({ result: 'skipped', error: { code: 'STOPPING' } });
    expect(w.calls).toEqual([]);
  });

  it('reads the account and GitLab once per account and deleted stack', async () => {
    const w = world();
    await reapLeftovers([BUCKET, REPO, GROUP], w.deps, options);
    expect(w.calls.filter((c) => c === 'callerAccount')).toHaveLength(1);
    expect(w.calls.filter((c) => c === 'gitlab')).toHaveLength(1);
  });
});
