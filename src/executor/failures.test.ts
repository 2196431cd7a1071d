import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { stamp } from '../errors/failure.js';
import { execute } from './executor.js';

/**
 * Every safety check that cannot be made, asserted whole: the outcome it gives the stacks it guards
 * (and only those), and the run error it records (scope, stacks, effect, where). Stamped like the real
 * API layers stamp their failures, so the messages name the operation.
 */

const shop = shopRecord;
/** An AWS failure as the SDK middleware leaves it: named by its code, stamped with its operation. */
const failure = (operation: string, code: string) =>
  stamp(Object.assign(new Error(`${operation} failed`), { name: code }), 'aws', operation);

describe('checks that cannot be made', () => {
  it('an account guard that cannot answer keeps every stack of that account (PRECHECK_FAILED), only them', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = shop('review-b');
    const other = shop('review-c', { account: '222222222222' });
    for (const x of [a, b, other]) addStack(w, x);
    const deps = w.deps();
    const caller = deps.aws.callerAccount;
    deps.aws = {
      ...deps.aws,
      callerAccount: async (t) => {
        if (t.id === '111111111111') throw failure('GetCallerIdentity', 'ExpiredToken');
        return caller(t);
      },
    };
    const out = await execute(runWith([a, b, other]), deps, applyOptions());
    expect(out.get(a.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "PRECHECK_FAILED",
          "message": "the account guard could not confirm account 111111111111: GetCallerIdentity ExpiredToken",
        },
        "result": "cancelled",
      }
    `);
    expect(out.get(b.stack.stackId)?.error?.code).toBe('PRECHECK_FAILED');
    expect(out.get(other.stack.stackId)?.result).toBe('deleted');
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "account": "111111111111",
          "code": "UNAUTHENTICATED",
          "effect": "kept",
          "message": "GetCallerIdentity failed",
          "operation": "GetCallerIdentity",
          "scope": "aws:111111111111 account guard",
          "service": "aws",
          "serviceCode": "ExpiredToken",
          "stacks": [
            "review-a",
            "review-b",
          ],
        },
      ]
    `);
  });

  it('a failed ListExports keeps the due stacks of that region; a failed ListImports only its exporter', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = shop('review-b');
    addStack(w, a);
    addStack(w, b);
    w.exports.set('a-url', a.stack.stackId);
    w.failOn('listImports', failure('ListImports', 'Throttling'));
    const first = await execute(runWith([a, b]), w.deps(), applyOptions());
    expect(first.get(a.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "PRECHECK_FAILED",
          "message": "the importers of export a-url could not be read (ListImports: Throttling); the deletion was not started",
        },
        "result": "cancelled",
      }
    `);
    expect(first.get(b.stack.stackId)?.result).toBe('deleted');
    expect(w.errors).toMatchInlineSnapshot(`
      [
        {
          "account": "111111111111",
          "code": "RATE_LIMITED",
          "effect": "kept",
          "message": "ListImports failed",
          "operation": "ListImports",
          "region": "eu-west-1",
          "scope": "aws:111111111111/eu-west-1 importers of export a-url",
          "service": "aws",
          "serviceCode": "Throttling",
          "stacks": [
            "review-a",
          ],
        },
      ]
    `);

    const v = executorWorld();
    const c = shop('review-c');
    const d = shop('review-d', { account: '222222222222' });
    addStack(v, c);
    addStack(v, d);
    const deps = v.deps();
    const list = deps.aws.listExports;
    deps.aws = {
      ...deps.aws,
      listExports: async (t, region) => {
        if (t.id === '111111111111') throw failure('ListExports', 'AccessDenied');
        return list(t, region);
      },
    };
    const second = await execute(runWith([c, d]), deps, applyOptions());
    expect(second.get(c.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "PRECHECK_FAILED",
          "message": "the exports of the region could not be read (ListExports: AccessDenied); the deletion was not started",
        },
        "result": "cancelled",
      }
    `);
    expect(second.get(d.stack.stackId)?.result).toBe('deleted');
    expect(v.errors.map((e) => [e.scope, e.stacks, e.effect, e.account, e.region])).toMatchInlineSnapshot(`
      [
        [
          "aws:111111111111/eu-west-1 export graph",
          [
            "review-c",
          ],
          "kept",
          "111111111111",
          "eu-west-1",
        ],
      ]
    `);
  });

  it('a re-read of the stack that fails, and a re-check that throws or cannot read, are PRECHECK_FAILED', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    addStack(w, a);
    w.failOn('describeStack', failure('DescribeStacks', 'InternalFailure'));
    const reread = await execute(runWith([a]), w.deps(), applyOptions());
    expect(reread.get(a.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "PRECHECK_FAILED",
          "message": "the stack could not be re-read (DescribeStacks: InternalFailure)",
        },
        "result": "cancelled",
      }
    `);
    w.heal('describeStack');

    w.setRecheck(async () => {
      throw stamp(
        Object.assign(new Error('Bad Gateway'), { cause: { response: { status: 502 } } }),
        'gitlab',
        'GET /projects/:id',
      );
    });
    const thrown = await execute(runWith([a]), w.deps(), applyOptions());
    expect(thrown.get(a.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "PRECHECK_FAILED",
          "message": "the GitLab evidence could not be re-read (HTTP 502)",
        },
        "result": "cancelled",
      }
    `);

    w.setRecheck(async () => ({
      verdict: 'merged',
      status: 'due',
      reasons: [],
      errors: [
        {
          scope: 'gitlab:project 101 branches',
          code: 'SERVER_ERROR',
          status: 500,
          message: 'boom',
          operation: 'GET /projects/:id/repository/branches',
        },
      ],
    }));
    const partial = await execute(runWith([a]), w.deps(), applyOptions());
    expect(partial.get(a.stack.stackId)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "PRECHECK_FAILED",
          "message": "the GitLab evidence could not be re-read (GET /projects/:id/repository/branches: HTTP 500)",
        },
        "result": "cancelled",
      }
    `);
    expect(w.errors.map((e) => [e.scope, e.code, e.stacks, e.effect, e.project])).toMatchInlineSnapshot(`
      [
        [
          "aws:111111111111/eu-west-1 re-read of the stack before deletion",
          "SERVER_ERROR",
          [
            "review-a",
          ],
          "kept",
          undefined,
        ],
        [
          "gitlab:project acme/shop re-check of the GitLab evidence",
          "SERVER_ERROR",
          [
            "review-a",
          ],
          "kept",
          "acme/shop",
        ],
        [
          "gitlab:project 101 branches",
          "SERVER_ERROR",
          [
            "review-a",
          ],
          "kept",
          undefined,
        ],
      ]
    `);
    expect(w.writes()).toEqual([]);
    expect(w.messages(50)).toEqual([
      'a call failed: the run is degraded',
      'a call failed: the run is degraded',
    ]);
  });

  it('an advance notice that cannot be posted is an error of the run, and the run goes on', async () => {
    const w = executorWorld();
    const later = shop('review-later', { status: 'waiting', deleteAfter: '2026-12-01T00:00:00.000Z' });
    const now = shop('review-now');
    addStack(w, later);
    addStack(w, now);
    w.state.stacks[later.stack.stackId] = {
      name: 'review-later',
      firstSeen: {},
      lastSeen: new Date(NOW).toISOString(),
    };
    w.failOn(
      'mergeRequestNoteBodies',
      stamp(
        Object.assign(new Error('Service Unavailable'), { cause: { response: { status: 503 } } }),
        'gitlab',
        'GET /projects/:id/merge_requests/:iid/notes',
      ),
    );
    const out = await execute(runWith([later, now]), w.deps(), applyOptions({ mergeRequestNotices: true }));
    expect(out.get(now.stack.stackId)?.result).toBe('deleted');
    expect(w.state.stacks[later.stack.stackId]?.notices).toBeUndefined();
    expect(w.errors.map((e) => [e.scope, e.code, e.stacks, e.effect, e.project])).toMatchInlineSnapshot(`
      [
        [
          "gitlab:project 101 advance notice",
          "SERVER_ERROR",
          [
            "review-later",
          ],
          "not-done",
          "101",
        ],
        [
          "gitlab:project 101 MR note after deletion",
          "SERVER_ERROR",
          [
            "review-now",
          ],
          "not-done",
          "101",
        ],
      ]
    `);
  });

  it('a waiting stack without a project or an MR gets no notice and no call', async () => {
    const w = executorWorld();
    const r = shop('review-a', { status: 'waiting' });
    const noProject = {
      ...r,
      owner: { matchedBy: 'tags' as const, ref: 'feature/x' },
      evidence: { ...r.evidence, project: { ok: true as const, value: null } },
    };
    await execute(runWith([noProject]), w.deps(), applyOptions({ mergeRequestNotices: true }));
    expect(w.calls.filter((c) => c.method !== 'callerAccount')).toEqual([]);
  });
});
