import fc from 'fast-check';
import type {
  EnvironmentGone,
  LeftoverInput,
  LeftoverPolicy,
  PreviousDeletion,
} from '../../src/core/leftover-plan.js';
import { LEFTOVER_DELETABLE_TYPES } from '../../src/core/leftover-plan.js';
import type { Limits } from '../../src/core/policy.js';
import { defaultPolicy, NOW } from './fixtures.js';

/**
 * Generators for the leftover plan's properties (issue #36): leftovers of deleted environments with
 * messy tags (the environment's, another one's, none, a keep tag in every spelling), types env-reaper
 * can and cannot delete, ARNs of other accounts, deletions around `deleteAfter`, earlier deletions of the
 * same ARN, and every GitLab answer; policies with and without `leftovers.delete`.
 */

const DAY = 86_400_000;
const ACCOUNT = '111111111111';
const FILTERS = [
  { key: 'gitlab:project-id', value: '1' },
  { key: 'gitlab:environment', value: 'review/x' },
];
const keys = defaultPolicy().ownership.tags;

const typeArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...LEFTOVER_DELETABLE_TYPES) },
  { weight: 1, arbitrary: fc.constantFrom('sqs', 'dynamodb:table', 'lambda:function') },
);
const keepArb = fc.constantFrom(
  undefined,
  'true',
  'TRUE',
  'false',
  'yes',
  '2099-01-01',
  '2001-01-01',
  'not a date',
);

function arnOf(type: string, name: string, account: string): string {
  if (type === 's3:bucket') return `arn:aws:s3:::${name}`;
  if (type === 'ecr:repository') return `arn:aws:ecr:eu-west-1:${account}:repository/${name}`;
  if (type === 'logs:log-group') return `arn:aws:logs:eu-west-1:${account}:log-group:/aws/${name}`;
  return `arn:aws:${type.split(':')[0]}:eu-west-1:${account}:${name}`;
}

/** One leftover input. */
export const leftoverInputArb: fc.Arbitrary<LeftoverInput> = fc
  .record({
    type: typeArb,
    name: fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/),
    otherAccount: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    confirmed: fc.integer({ min: 0, max: 9 }).map((n) => n !== 0),
    tags: fc.constantFrom('environment', 'environment', 'environment', 'other', 'none', 'project only'),
    keep: keepArb,
    keepOften: fc.boolean(),
    // Days since the stack's deletion, around 7 (the default deleteAfter).
    deletedDaysAgo: fc.oneof(fc.integer({ min: 0, max: 14 }), fc.double({ min: 6.9, max: 7.1, noNaN: true })),
    previous: fc.constantFrom<PreviousDeletion | undefined>(
      undefined,
      undefined,
      undefined,
      'started',
      'deleted',
      'failed',
    ),
    gitlab: fc.constantFrom<EnvironmentGone | undefined>(
      'gone',
      'gone',
      'gone',
      'back',
      'unknown',
      undefined,
    ),
  })
  .map((g): LeftoverInput => {
    const account = g.otherAccount ? '222222222222' : ACCOUNT;
    const tags: Record<string, string> =
      g.tags === 'environment'
        ? { 'gitlab:project-id': '1', 'gitlab:environment': 'review/x' }
        : g.tags === 'other'
          ? { 'gitlab:project-id': '1', 'gitlab:environment': 'review/y' }
          : g.tags === 'project only'
            ? { 'gitlab:project-id': '1' }
            : {};
    if (g.keep !== undefined && g.keepOften) tags[keys.keep] = g.keep;
    return {
      leftover: {
        arn: arnOf(g.type, g.name, account),
        type: g.type,
        account: ACCOUNT,
        region: 'eu-west-1',
        stackId: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/review-x/${g.name}`,
        stackName: 'review-x',
        deletedAt: new Date(NOW - g.deletedDaysAgo * DAY).toISOString(),
        confirmed: g.confirmed,
        tags,
      },
      filters: FILTERS,
      ...(g.previous ? { previous: g.previous } : {}),
      ...(g.gitlab ? { gitlab: g.gitlab } : {}),
    };
  });

/** Leftovers of one run, ARNs unique. */
export const leftoverInputsArb = fc
  .array(leftoverInputArb, { maxLength: 10 })
  .map((list) => [...new Map(list.map((i) => [i.leftover.arn, i])).values()]);

/** A leftover policy: nothing opted in a quarter of the time, else a subset of the deletable types. */
export const leftoverPolicyArb: fc.Arbitrary<LeftoverPolicy> = fc.record({
  delete: fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as string[]) },
    { weight: 2, arbitrary: fc.constant([...LEFTOVER_DELETABLE_TYPES] as string[]) },
    { weight: 1, arbitrary: fc.subarray([...LEFTOVER_DELETABLE_TYPES], { minLength: 1 }) },
  ),
  deleteAfterMs: fc.constantFrom(0, 7 * DAY, 3 * DAY),
  tags: fc.constant(keys),
});

/** Brakes and the stacks of the run. */
export const budgetArb = fc.record({
  limits: fc.record<Limits>({
    maxDeletionsPerRun: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(1000)),
    maxDeletionPercent: fc.constantFrom(0, 25, 50, 100, 100),
  }),
  stacksDue: fc.integer({ min: 0, max: 10 }),
  inScope: fc.integer({ min: 10, max: 60 }),
});

export { ACCOUNT, FILTERS, keys as OWNERSHIP_TAGS };
