import { describe, expect, it } from 'vitest';
import { deps, options, recorders, runOf } from '../../test/helpers/executor-fakes.js';
import { ago, snapshot } from '../../test/helpers/fixtures.js';
import type { RunError } from '../core/run-result.js';
import { execute } from './executor.js';

/**
 * A check or a write that fails makes the run degraded, never silent and never a finding: the stacks a
 * failed check guards are cancelled with PRECHECK_FAILED (and only those), the failed call is an error
 * of the run with its operation and code, and GitLab follow-up steps stand alone.
 */

/** An AWS error as the client's middleware leaves it. */
function awsError(operation: string, name = 'AccessDenied'): Error {
  return Object.assign(new Error(`not authorized to perform cloudformation:${operation}`), {
    name,
    Code: name,
    envReaperOperation: operation,
    envReaperService: 'aws',
  });
}

/** A world where every due stack exists (until deleted) and s-0 exports `x-export`. */
function world() {
  const r = recorders();
  const deleted: string[] = [];
  r.aws.describeStack = async (_t, _r, id) =>
    deleted.includes(id) ? null : { ...snapshot().stack, stackId: id, createdAt: ago(48) };
  r.aws.deleteStack = async (_t, _r, id) => {
    deleted.push(id);
  };
  const run = runOf(['due', 'due', 'due']);
  const id = (i: number) => run.environments[i]?.stack.stackId as string;
  r.aws.listExports = async () => [{ name: 'x-export', exportingStackId: id(0) }];
  const errors: RunError[] = [];
  const d = { ...deps(r), onError: (e: RunError) => errors.push(e) };
  return { r, run, d, deleted, errors, id };
}

/** Runs the execution and asserts every due stack was called off as PRECHECK_FAILED, none deleted. */
async function expectNothingDeleted(w: ReturnType<typeof world>): Promise<void> {
  const out = await execute(w.run, w.d, { ...options, apply: true });
  expect([...out.values()].map((o) => o.error?.code)).toEqual([
    'PRECHECK_FAILED',
    'PRECHECK_FAILED',
    'PRECHECK_FAILED',
  ]);
  expect(w.deleted).toEqual([]);
}

/** What the report says of a failed environment stop. */
const STOP_FAILED = { service: 'gitlab', operation: 'POST /projects/:id/environments/:id/stop' };

/** Every environment stop answers `status`, as GitLab does when it refuses or is down. */
function stopFails(w: ReturnType<typeof world>, status: number): void {
  w.r.gitlab.stopEnvironment = async () => {
    throw Object.assign(new Error(`${status} from GitLab`), {
      cause: { response: { status } },
      envReaperOperation: STOP_FAILED.operation,
      envReaperService: 'gitlab',
    });
  };
}

/** Executes with a stop-job teardown mode (no MR notes). */
function tearDownWith(w: ReturnType<typeof world>, teardown: 'stop-job' | 'stop-job-then-delete') {
  return execute(w.run, w.d, { ...options, apply: true, teardown, mergeRequestNotes: false });
}

/** The world cut to its first stack, given an available GitLab environment (and an MR when asked). */
function withEnvironment(w: ReturnType<typeof world>, owner: { mrIid?: number } = {}) {
  w.run.environments = w.run.environments.slice(0, 1);
  const e = w.run.environments[0];
  if (!e) throw new Error('no environment');
  e.owner = { ...e.owner, projectId: 7, ...owner };
  e.evidence = {
    ...e.evidence,
    environment: {
      ok: true,
      value: { id: 70, name: 'review/x', state: 'available', tier: 'development' } as never,
    },
  };
  return w;
}

describe('degraded executions', () => {
  it('a failed ListImports cancels only the stack that exports, as PRECHECK_FAILED, and is an error', async () => {
    const w = world();
    w.r.aws.listImports = async () => {
      throw awsError('ListImports');
    };
    const out = await execute(w.run, w.d, { ...options, apply: true });
    expect(out.get(w.id(0))).toEqual({
      result: 'cancelled',
      error: {
        code: 'PRECHECK_FAILED',
        message:
          'the importers of export x-export could not be read (ListImports: AccessDenied); the deletion was not started',
      },
    });
    // Stacks that export nothing never needed ListImports: they are deleted.
    expect(out.get(w.id(1))?.result).toBe('deleted');
    expect(out.get(w.id(2))?.result).toBe('deleted');
    expect(w.deleted).toEqual([w.id(1), w.id(2)].sort());
    expect(w.errors).toEqual([
      expect.objectContaining({
        operation: 'ListImports',
        code: 'ACCESS_DENIED',
        service: 'aws',
        stacks: ['s-0'],
        effect: 'kept',
        account: '111111111111',
      }),
    ]);
  });

  it('a failed ListExports cancels every due stack of the region, none as EXPORT_IN_USE', async () => {
    const w = world();
    w.r.aws.listExports = async () => {
      throw awsError('ListExports', 'InternalFailure');
    };
    await expectNothingDeleted(w);
    expect(w.errors).toHaveLength(1);
    expect(w.errors[0]).toMatchObject({ operation: 'ListExports', stacks: ['s-0', 's-1', 's-2'] });
  });

  it('an account guard that cannot answer cancels that account as PRECHECK_FAILED, not ACCOUNT_MISMATCH', async () => {
    const w = world();
    w.r.aws.callerAccount = async () => {
      throw awsError('GetCallerIdentity', 'ExpiredToken');
    };
    const out = await execute(w.run, w.d, { ...options, apply: true });
    expect(new Set([...out.values()].map((o) => o.error?.code))).toEqual(new Set(['PRECHECK_FAILED']));
    expect(w.r.calls).not.toContain('deleteStack');
    expect(w.errors[0]).toMatchObject({ operation: 'GetCallerIdentity', code: 'UNAUTHENTICATED' });
  });

  it('a re-check whose lookups fail is PRECHECK_FAILED, never EVIDENCE_CHANGED', async () => {
    const w = world();
    w.d.recheck = async () => ({
      verdict: 'unknown',
      status: 'keep',
      reasons: [],
      errors: [
        {
          scope: 'gitlab:project 1 branch',
          code: 'SERVER_ERROR',
          status: 503,
          message: 'Service Unavailable',
          operation: 'GET /projects/:id/repository/branches/:id',
        },
      ],
    });
    await expectNothingDeleted(w);
    expect(w.errors.map((e) => [e.operation, e.stacks])).toEqual([
      ['GET /projects/:id/repository/branches/:id', ['s-0']],
      ['GET /projects/:id/repository/branches/:id', ['s-1']],
      ['GET /projects/:id/repository/branches/:id', ['s-2']],
    ]);
  });

  it('a re-read of the stack that fails is PRECHECK_FAILED; a poll that fails is POLL_FAILED, resumable', async () => {
    const w = world();
    let reads = 0;
    w.r.aws.describeStack = async (_t, _r, id) => {
      reads++;
      if (id === w.id(0)) throw awsError('DescribeStacks', 'InternalFailure');
      // s-1 and s-2: the re-read works, every poll after DeleteStack fails.
      if (w.deleted.includes(id)) throw awsError('DescribeStacks', 'ServiceUnavailable');
      return { ...snapshot().stack, stackId: id, createdAt: ago(48) };
    };
    const out = await execute(w.run, w.d, { ...options, apply: true });
    expect(reads).toBeGreaterThan(0);
    expect(out.get(w.id(0))?.error?.code).toBe('PRECHECK_FAILED');
    expect(out.get(w.id(1))).toMatchObject({ result: 'failed', error: { code: 'POLL_FAILED' } });
    // Left `started` in state: the next run polls it, it never sends DeleteStack twice.
    expect(w.d.state.stacks[w.id(1)]?.deletion?.status).toBe('started');
    expect(w.errors.map((e) => e.effect).sort()).toEqual(['kept', 'not-done', 'not-done']);
  });

  it('follow-up steps stand alone: a failed environment stop is an error, and the MR note still goes out', async () => {
    const w = withEnvironment(world(), { mrIid: 3 });
    stopFails(w, 403);
    const out = await execute(w.run, w.d, { ...options, apply: true });
    expect(out.get(w.id(0))?.result).toBe('deleted');
    expect(w.r.calls).toContain('createMergeRequestNote');
    // GitLab deletes only stopped environments: no DELETE after a failed stop.
    expect(w.r.calls).not.toContain('deleteEnvironment');
    expect(w.errors).toEqual([
      expect.objectContaining({
        ...STOP_FAILED,
        code: 'ACCESS_DENIED',
        status: 403,
        project: '101',
        stacks: ['s-0'],
        effect: 'not-done',
      }),
    ]);
    const d = w.d.state.stacks[w.id(0)]?.deletion;
    // Not stopped: the next run tries the stop again.
    expect(d?.environmentStopped).not.toBe(true);
    expect(d?.notePosted).toBe(true);
  });

  it('after an on_stop job fails and DeleteStack falls back, the environment is stopped (with force)', async () => {
    const w = withEnvironment(world());
    const stops: unknown[] = [];
    w.r.gitlab.stopEnvironment = async (_p, _e, o) => {
      stops.push(o ?? 'default (force)');
      return 'stopping';
    };
    // The job fails: the environment is available again, the stack still there.
    w.r.gitlab.environmentState = async () => 'available';
    const out = await tearDownWith(w, 'stop-job-then-delete');
    expect(out.get(w.id(0))).toMatchObject({
      result: 'deleted',
      teardown: 'delete-stack',
      fallback: 'STOP_JOB_FAILED',
    });
    expect(stops).toEqual([{ force: false }, 'default (force)']);
    expect(w.d.state.stacks[w.id(0)]?.deletion?.environmentStopped).toBe(true);
  });

  it('teardown stop-job never calls DeleteStack, even when the stop itself fails', async () => {
    const w = withEnvironment(world());
    stopFails(w, 502);
    const out = await tearDownWith(w, 'stop-job');
    expect(out.get(w.id(0))).toMatchObject({
      result: 'failed',
      teardown: 'stop-job',
      error: { code: 'STOP_JOB_FAILED' },
    });
    expect(w.r.calls).not.toContain('deleteStack');
    expect(w.errors).toEqual([
      expect.objectContaining({
        ...STOP_FAILED,
        code: 'SERVER_ERROR',
        status: 502,
        effect: 'kept',
      }),
    ]);
  });
});
