import { describe, expect, it } from 'vitest';
import { NOW } from '../../test/helpers/fixtures.js';
import { FILTERS, OWNERSHIP_TAGS } from '../../test/helpers/leftover-arbitraries.js';
import {
  arnAccount,
  judgeLeftover,
  type LeftoverInput,
  leftoverHeld,
  planLeftovers,
} from './leftover-plan.js';

const DAY = 86_400_000;
const policy = { delete: ['s3:bucket', 'logs:log-group'], deleteAfterMs: 7 * DAY, tags: OWNERSHIP_TAGS };
const envTags = { 'gitlab:project-id': '1', 'gitlab:environment': 'review/x' };

function input(
  over: Partial<LeftoverInput['leftover']> = {},
  rest: Partial<LeftoverInput> = {},
): LeftoverInput {
  return {
    leftover: {
      arn: 'arn:aws:s3:::review-x-uploads',
      type: 's3:bucket',
      account: '111111111111',
      region: 'eu-west-1',
      stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/review-x/1',
      stackName: 'review-x',
      deletedAt: new Date(NOW - 8 * DAY).toISOString(),
      confirmed: true,
      tags: envTags,
      ...over,
    },
    filters: FILTERS,
    gitlab: 'gone',
    ...rest,
  };
}

const code = (i: LeftoverInput, p = policy) => judgeLeftover(i, p, NOW).reason.code;

describe('judgeLeftover: every condition, the first that fails is the reason', () => {
  it('is due when every condition holds', () => {
    expect(judgeLeftover(input(), policy, NOW)).toEqual({
      status: 'due',
      reason: { code: 'DUE', detail: expect.stringContaining('every condition holds') },
    });
  });

  it('every held leftover is status report (only TOO_RECENT waits), with the reason code', () => {
    const held: [LeftoverInput, string][] = [
      [input({}, { previous: 'deleted' }), 'ALREADY_DELETED'],
      [input({ type: 'ecr:repository' }), 'NOT_OPTED_IN'],
      [input({ confirmed: false }), 'NOT_CONFIRMED'],
      [
        input({ arn: 'arn:aws:logs:eu-west-1:222222222222:log-group:/x', type: 'logs:log-group' }),
        'OTHER_ACCOUNT',
      ],
      [input({ tags: { 'gitlab:project-id': '1' } }), 'TAGS_CHANGED'],
      [input({ tags: { ...envTags, 'env-reaper:keep': 'true' } }), 'KEEP_TAG'],
      [input({}, { gitlab: 'back' }), 'ENVIRONMENT_BACK'],
      [input({}, { gitlab: 'unknown' }), 'EVIDENCE_UNKNOWN'],
    ];
    for (const [i, c] of held) {
      const d = judgeLeftover(i, policy, NOW);
      expect(d.status, c).toBe('report');
      expect(d.reason.code, c).toBe(c);
      expect(d.deleteAfter, c).toBeUndefined();
    }
    expect(arnAccount('not-an-arn')).toBe('');
    expect(arnAccount('arn:aws:s3:::bucket')).toBe('');
    expect(arnAccount('arn:aws:ecr:eu-west-1:111111111111:repository/x')).toBe('111111111111');
  });

  it('reports each failed condition with its code', () => {
    expect(code(input({}, { previous: 'deleted' }))).toBe('ALREADY_DELETED');
    expect(judgeLeftover(input({ type: 'ecr:repository' }), policy, NOW).reason).toEqual({
      code: 'NOT_OPTED_IN',
      detail: 'ecr:repository is not in leftovers.delete',
    });
    expect(code(input({ confirmed: false }))).toBe('NOT_CONFIRMED');
    expect(
      judgeLeftover(
        input({ arn: 'arn:aws:logs:eu-west-1:222222222222:log-group:/x', type: 'logs:log-group' }),
        policy,
        NOW,
      ).reason,
    ).toEqual({ code: 'OTHER_ACCOUNT', detail: 'the ARN names account 222222222222' });
    expect(judgeLeftover(input({ tags: { 'gitlab:project-id': '1' } }), policy, NOW).reason).toEqual({
      code: 'TAGS_CHANGED',
      detail: "tag gitlab:environment is no longer the environment's",
    });
    expect(code(input({ tags: undefined }))).toBe('TAGS_CHANGED');
    expect(code(input({}, { filters: [] }))).toBe('TAGS_CHANGED');
    expect(
      judgeLeftover(input({ tags: { ...envTags, 'env-reaper:keep': 'true' } }), policy, NOW).reason,
    ).toEqual({ code: 'KEEP_TAG', detail: 'keep tag' });
    expect(code(input({}, { gitlab: 'back' }))).toBe('ENVIRONMENT_BACK');
    expect(code(input({}, { gitlab: 'unknown' }))).toBe('EVIDENCE_UNKNOWN');
    const unread = input();
    delete unread.gitlab;
    expect(code(unread)).toBe('EVIDENCE_UNKNOWN');
  });

  it('an expired or false keep tag does not keep', () => {
    expect(code(input({ tags: { ...envTags, 'env-reaper:keep': '2001-01-01' } }))).toBe('DUE');
    expect(code(input({ tags: { ...envTags, 'env-reaper:keep': 'false' } }))).toBe('DUE');
  });

  it('waits until deleteAfter after the stack deletion, to the millisecond', () => {
    const at = NOW - 7 * DAY;
    const d = judgeLeftover(input({ deletedAt: new Date(at + 1).toISOString() }), policy, NOW);
    expect(d).toEqual({
      status: 'waiting',
      reason: { code: 'TOO_RECENT', detail: expect.any(String) },
      deleteAfter: new Date(NOW + 1).toISOString(),
    });
    expect(code(input({ deletedAt: new Date(at).toISOString() }))).toBe('DUE');
    expect(judgeLeftover(input({ deletedAt: 'not a time' }), policy, NOW)).toEqual({
      status: 'waiting',
      reason: { code: 'TOO_RECENT', detail: expect.any(String) },
    });
  });

  it('finishes a started deletion whatever the clock, but never against a keep tag or GitLab', () => {
    const recent = { deletedAt: new Date(NOW - DAY).toISOString() };
    expect(code(input(recent, { previous: 'started' }))).toBe('RESUME');
    expect(
      code(input({ ...recent, tags: { ...envTags, 'env-reaper:keep': 'true' } }, { previous: 'started' })),
    ).toBe('KEEP_TAG');
    expect(code(input(recent, { previous: 'started', gitlab: 'back' }))).toBe('ENVIRONMENT_BACK');
    expect(code(input(recent, { previous: 'failed' }))).toBe('TOO_RECENT');
  });

  it('leftoverHeld says whether GitLab needs reading at all', () => {
    expect(leftoverHeld(input(), policy, NOW)).toBeUndefined();
    expect(leftoverHeld(input({ type: 'sqs' }), policy, NOW)?.reason.code).toBe('NOT_OPTED_IN');
  });
});

describe('planLeftovers: the brakes, with the stacks of the run', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => input({ arn: `arn:aws:s3:::review-x-${i}` }));
  const limits = { maxDeletionsPerRun: 10, maxDeletionPercent: 100 };

  it('counts leftovers after the stacks due against maxDeletionsPerRun', () => {
    expect(planLeftovers(many(3), policy, { limits, stacksDue: 7, inScope: 20 }, NOW)).toMatchObject({
      due: 3,
      brake: null,
    });
    const braked = planLeftovers(many(4), policy, { limits, stacksDue: 7, inScope: 20 }, NOW);
    expect(braked.due).toBe(0);
    expect(braked.brake).toEqual({ kind: 'max-deletions', due: 11, inScope: 24, limit: 10 });
    expect(braked.decisions.map((d) => d.status)).toEqual(['braked', 'braked', 'braked', 'braked']);
    expect(braked.decisions[0]?.reason.code).toBe('BRAKED');
  });

  it('takes the percentage of stacks in scope plus leftovers found', () => {
    const pct = { maxDeletionsPerRun: 100, maxDeletionPercent: 25 };
    // 2 of 8: 25 % exactly is allowed; 3 of 8 is not.
    expect(planLeftovers(many(2), policy, { limits: pct, stacksDue: 0, inScope: 6 }, NOW).brake).toBeNull();
    expect(planLeftovers(many(3), policy, { limits: pct, stacksDue: 0, inScope: 5 }, NOW).brake).toEqual({
      kind: 'max-percent',
      due: 3,
      inScope: 8,
      limit: 25,
    });
  });

  it("the stacks' brake holds the leftovers too", () => {
    const brake = { kind: 'max-percent' as const, due: 9, inScope: 10, limit: 25 };
    const p = planLeftovers(many(1), policy, { limits, stacksDue: 0, inScope: 10, stacksBrake: brake }, NOW);
    expect(p).toMatchObject({ due: 0, brake });
    expect(p.decisions[0]?.status).toBe('braked');
  });

  it('a brake holds the due leftovers only: the others keep their own status and reason', () => {
    const mixed = [
      ...many(3),
      input({ arn: 'arn:aws:s3:::kept', tags: { ...envTags, 'env-reaper:keep': 'true' } }),
    ];
    const p = planLeftovers(
      mixed,
      policy,
      { limits: { maxDeletionsPerRun: 2, maxDeletionPercent: 100 }, stacksDue: 0, inScope: 5 },
      NOW,
    );
    expect(p.decisions.map((d) => [d.status, d.reason.code])).toEqual([
      ['braked', 'BRAKED'],
      ['braked', 'BRAKED'],
      ['braked', 'BRAKED'],
      ['report', 'KEEP_TAG'],
    ]);
  });

  it("the stacks' brake changes nothing when no leftover is due", () => {
    const brake = { kind: 'max-percent' as const, due: 9, inScope: 10, limit: 25 };
    const p = planLeftovers(
      [input({ type: 'sqs' })],
      policy,
      { limits, stacksDue: 0, inScope: 10, stacksBrake: brake },
      NOW,
    );
    expect(p).toMatchObject({ due: 0, brake: null });
    expect(p.decisions[0]?.status).toBe('report');
  });

  it('no brake when nothing is due, however tight', () => {
    const none = { maxDeletionsPerRun: 0, maxDeletionPercent: 0 };
    const p = planLeftovers(
      [input({ type: 'sqs' })],
      policy,
      { limits: none, stacksDue: 3, inScope: 3 },
      NOW,
    );
    expect(p).toMatchObject({ due: 0, brake: null });
  });

  it('with a reviewed plan, only its ARNs', () => {
    const p = planLeftovers(
      many(2),
      policy,
      { limits, stacksDue: 0, inScope: 5, only: new Set(['arn:aws:s3:::review-x-1']) },
      NOW,
    );
    expect(p.decisions.map((d) => [d.status, d.reason.code])).toEqual([
      ['report', 'NOT_IN_PLAN'],
      ['due', 'DUE'],
    ]);
  });
});
