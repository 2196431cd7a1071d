import fc from 'fast-check';
import { expect } from 'vitest';
import { classify } from '../../src/core/classify.js';
import type {
  Action,
  BranchFacts,
  Evidence,
  GitLabEvidence,
  MergeRequestFacts,
  Owner,
  StackSnapshot,
  Verdict,
} from '../../src/core/model.js';
import { DELETABLE_VERDICTS, VERDICTS } from '../../src/core/model.js';
import { type PlanInput, plan } from '../../src/core/plan.js';
import type { Limits, Policy } from '../../src/core/policy.js';
import type { ResourceUsage, UsageReading } from '../../src/core/usage.js';
import { defaultPolicy, NOW, project } from './fixtures.js';

/**
 * Generators for the core's property tests (src/core/invariants.property.test.ts): stacks, evidence,
 * policies and limits, biased towards the thresholds and the dead stacks the invariants are about, and
 * the Coverage counter that proves they reach them.
 */

// ≥ 1,000 runs per property (issue #2); FC_NUM_RUNS raises it for a deeper local search.
export const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
export const base = defaultPolicy();
export const HOUR = 3_600_000;

/**
 * Times around every threshold: grace and min-age (hours), idle (days), keep-until dates, notice windows.
 * Mostly in the past, as evidence is; a little in the future, as clocks skew.
 */
export const hoursAgo = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 72 }) },
  { weight: 3, arbitrary: fc.integer({ min: 24 * 8, max: 24 * 22 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 24 * 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: -48, max: 0 }) },
);
export const time = hoursAgo.map((h) => new Date(NOW - h * HOUR).toISOString());
export const refName = fc.constantFrom('feature/x', 'feature-x', 'main', 'release/1');
export const error: Evidence<never> = {
  ok: false,
  error: { code: 'SERVER_ERROR', status: 500, message: 'boom' },
};

export const branchArb: fc.Arbitrary<BranchFacts> = fc.record({
  name: refName,
  protected: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  default: fc.constant(false),
  committedAt: time,
});
export const mrArb: fc.Arbitrary<MergeRequestFacts> = fc
  .record({
    iid: fc.integer({ min: 1, max: 50 }),
    sourceBranch: fc.oneof(
      { weight: 3, arbitrary: fc.constant('feature/x') },
      { weight: 1, arbitrary: refName },
    ),
    state: fc.constantFrom('opened', 'closed', 'merged', 'merged', 'locked') as fc.Arbitrary<
      MergeRequestFacts['state']
    >,
    updatedAt: time,
    mergedAt: time,
    closedAt: time,
    labels: rarely(fc.constantFrom(['env-reaper::keep'], ['other']).map((l) => [...l])),
  })
  .map((m) => {
    const out: MergeRequestFacts = {
      iid: m.iid,
      sourceBranch: m.sourceBranch,
      state: m.state,
      updatedAt: m.updatedAt,
    };
    if (m.labels) out.labels = m.labels;
    if (m.state === 'merged') out.mergedAt = m.mergedAt;
    if (m.state === 'closed') out.closedAt = m.closedAt;
    return out;
  });

/** `arb` in about one case in ten, else undefined (fc.option's `freq` weighs the other way round). */
export function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

export function maybeError<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Evidence<T>> {
  return fc.oneof(
    { weight: 12, arbitrary: arb.map((value) => ({ ok: true as const, value })) },
    { weight: 1, arbitrary: fc.constant(error as Evidence<T>) },
  );
}

// Owners mostly resolved: an unresolved owner can only ever be `unowned`, which says nothing about the rest.
export const ownerArb: fc.Arbitrary<Owner | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 19,
    arbitrary: fc
      .record({
        matchedBy: fc.constantFrom('tags', 'tags', 'name-pattern') as fc.Arbitrary<'tags' | 'name-pattern'>,
        projectId: fc.constant(101),
        ref: fc.oneof(
          { weight: 4, arbitrary: fc.constant('feature/x') },
          { weight: 1, arbitrary: fc.option(refName, { nil: undefined }) },
        ),
        refSlug: fc.option(fc.constantFrom('feature-x', 'fix-y'), { nil: undefined }),
        environment: fc.option(fc.constant('review/feature-x'), { nil: undefined }),
        unresolved: rarely(fc.constant(true as const)),
      })
      .map(
        (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as unknown as Owner,
      ),
  },
);

/** Keep tags: mostly absent; `true`, a date around now (past or future), `false`, or junk. */
export const keepArb = rarely(
  fc.oneof(
    fc.constantFrom('true', 'false', 'maybe'),
    fc.integer({ min: -30, max: 30 }).map((d) => new Date(NOW + d * 86_400_000).toISOString().slice(0, 10)),
  ),
);

export const snapshotArb: fc.Arbitrary<StackSnapshot> = fc
  .record({
    i: fc.integer({ min: 0, max: 1_000_000 }),
    status: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('CREATE_COMPLETE', 'UPDATE_COMPLETE', 'ROLLBACK_COMPLETE') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'UPDATE_IN_PROGRESS',
          'DELETE_IN_PROGRESS',
          'DELETE_FAILED',
          'REVIEW_IN_PROGRESS',
        ),
      },
    ),
    createdAt: time,
    // Rarely, AWS's answer lacks the creation time (the stack is then unknown, never ancient).
    incomplete: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
    keep: keepArb,
    // Protection is rare, so the rest of the rules are reached.
    terminationProtection: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    owner: ownerArb,
    project: maybeError(
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(project) },
        { weight: 1, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constant({ ...project, archived: true }) },
        { weight: 1, arbitrary: fc.constant({ ...project, defaultBranch: 'feature/x' }) },
      ),
    ),
    branches: maybeError(fc.array(branchArb, { maxLength: 3 })),
    mergeRequests: maybeError(fc.array(mrArb, { maxLength: 3 })),
    environment: fc.option(
      maybeError(
        fc.record({
          id: fc.constant(1),
          name: fc.constant('review/feature-x'),
          state: fc.constant('available'),
          tier: fc.constantFrom(
            'development',
            'development',
            'development',
            'production',
            'staging',
            'testing',
          ),
          lastDeployedAt: time,
          lastDeploymentRef: refName,
        }),
      ),
      { nil: undefined },
    ),
  })
  .map((r) => {
    const tags: Record<string, string> = {};
    if (r.keep !== undefined) tags['env-reaper:keep'] = r.keep;
    const gitlab: GitLabEvidence = {
      project: r.project,
      branches: r.branches,
      mergeRequests: r.mergeRequests,
    };
    if (r.environment) gitlab.environment = r.environment;
    const s: StackSnapshot = {
      stack: {
        account: '111111111111',
        region: 'eu-west-1',
        stackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/s-${r.i}/x`,
        name: `s-${r.i}`,
        status: r.status,
        createdAt: r.incomplete ? '' : r.createdAt,
        ...(r.incomplete ? { missing: ['CreationTime'] } : {}),
        tags,
        terminationProtection: r.terminationProtection,
      },
      gitlab,
    };
    if (r.owner) s.owner = r.owner;
    return s;
  });

/**
 * The same stack, made to look dead one of three ways (its branch gone, its MR merged, its MR closed
 * unmerged), with nothing protecting it. Half of the generated stacks go through this, so deletions,
 * brakes, grace and every deletable verdict are reached often.
 */
export type Death = 'branch-gone' | 'merged' | 'abandoned' | 'idle';
export function deadify(s: StackSnapshot, how: Death, at: string): StackSnapshot {
  const d = structuredClone(s);
  delete d.stack.tags['env-reaper:keep'];
  d.stack.terminationProtection = false;
  d.stack.status = 'CREATE_COMPLETE';
  d.owner = { matchedBy: 'tags', projectId: 101, ref: 'feature/x' };
  d.gitlab.project = { ok: true, value: project };
  const others = d.gitlab.mergeRequests?.ok
    ? d.gitlab.mergeRequests.value.filter((m) => m.sourceBranch !== 'feature/x')
    : [];
  const mr: MergeRequestFacts = {
    iid: 77,
    sourceBranch: 'feature/x',
    state: 'merged',
    updatedAt: at,
    mergedAt: at,
  };
  if (how === 'abandoned') Object.assign(mr, { state: 'closed', mergedAt: undefined, closedAt: at });
  const noMr = how === 'branch-gone' || how === 'idle';
  if (d.gitlab.mergeRequests?.ok)
    d.gitlab.mergeRequests.value = noMr ? (how === 'idle' ? [] : others) : [...others, mr];
  if (how === 'idle') {
    // Nothing happened for weeks: the stack, the branch and the environment are all old.
    d.stack.createdAt = at;
    delete d.stack.updatedAt;
    if (d.gitlab.environment?.ok && d.gitlab.environment.value)
      d.gitlab.environment.value = { ...d.gitlab.environment.value, lastDeployedAt: at };
  }
  if (d.gitlab.branches?.ok) {
    const rest = d.gitlab.branches.value.filter((b) => b.name !== 'feature/x');
    d.gitlab.branches.value =
      how === 'branch-gone'
        ? rest
        : [
            ...rest,
            // Abandoned: the last commit came before the MR was closed.
            {
              name: 'feature/x',
              protected: false,
              default: false,
              committedAt: how === 'abandoned' ? new Date(Date.parse(at) - 86_400_000).toISOString() : at,
            },
          ];
  }
  if (d.gitlab.environment?.ok && d.gitlab.environment.value)
    d.gitlab.environment.value = { ...d.gitlab.environment.value, tier: 'development' };
  return d;
}

const DAY = 86_400_000;
/** Days read by the usage arbitraries: 28 days up to today (twice the default window). */
export const USAGE_DAYS = 28;

/** One resource's daily requests: mostly silent, sometimes a day or a few with traffic, anywhere. */
const dailyArb: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(Array.from({ length: USAGE_DAYS }, () => 0)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: USAGE_DAYS - 1 }), fc.integer({ min: 1, max: 5000 }))
      .map(([day, n]) => Array.from({ length: USAGE_DAYS }, (_, i) => (i === day ? n : 0))),
  },
  { weight: 1, arbitrary: fc.array(fc.nat({ max: 3 }), { minLength: USAGE_DAYS, maxLength: USAGE_DAYS }) },
);

export const resourceUsageArb: fc.Arbitrary<ResourceUsage> = fc
  .record({
    kind: fc.constantFrom<ResourceUsage['kind']>(
      'alb',
      'alb',
      'lambda',
      'cloudfront',
      'http-api',
      'ecs-service',
      'ec2-instance',
      'gwlb',
      'other',
    ),
    n: fc.integer({ min: 0, max: 99 }),
    daily: dailyArb,
    complete: fc.integer({ min: 0, max: 14 }).map((n) => n !== 0),
  })
  .map(({ kind, n, daily, complete }) => ({
    arn: `arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/r${n}/${kind}`,
    kind,
    daily:
      kind === 'ecs-service' || kind === 'ec2-instance' || kind === 'gwlb' || kind === 'other' ? [] : daily,
    complete,
  }));

/** A usage reading as the AWS side gives it (read today), or a failed read. */
export const usageArb: fc.Arbitrary<Evidence<UsageReading>> = maybeError(
  fc.array(resourceUsageArb, { minLength: 0, maxLength: 4 }).map((resources) => {
    const today = Math.floor(NOW / DAY) * DAY;
    return {
      readAt: new Date(NOW).toISOString(),
      from: new Date(today - (USAGE_DAYS - 1) * DAY).toISOString(),
      days: USAGE_DAYS,
      resources,
      metrics: resources.length,
    };
  }),
);

/** A live stack (branch and open MR, recent activity) older than the window, with a usage reading. */
export function liveWithUsage(
  s: StackSnapshot,
  usage: Evidence<UsageReading>,
  createdDaysAgo: number,
): StackSnapshot {
  const d = deadify(s, 'merged', new Date(NOW - 3_600_000).toISOString());
  if (d.gitlab.mergeRequests?.ok)
    d.gitlab.mergeRequests.value = d.gitlab.mergeRequests.value.map((m) =>
      m.iid === 77 ? { ...m, state: 'opened', mergedAt: undefined } : m,
    ) as MergeRequestFacts[];
  d.stack.createdAt = new Date(NOW - createdDaysAgo * DAY).toISOString();
  delete d.stack.updatedAt;
  d.usage = usage;
  return d;
}

export const anySnapshotArb: fc.Arbitrary<StackSnapshot> = fc.oneof(
  snapshotArb,
  fc
    .tuple(
      snapshotArb,
      fc.constantFrom<Death>('branch-gone', 'merged', 'abandoned', 'idle'),
      time,
      fc.integer({ min: 21, max: 60 }).map((d) => new Date(NOW - d * 86_400_000).toISOString()),
    )
    .map(([s, how, at, longAgo]) => deadify(s, how, how === 'idle' ? longAgo : at)),
);

/** A live stack with a usage reading (issue #35): `unused`, `active` with traffic, or usage unknown. */
export const liveWithUsageArb: fc.Arbitrary<StackSnapshot> = fc
  .tuple(snapshotArb, usageArb, fc.integer({ min: 5, max: 40 }))
  .map(([s, usage, days]) => liveWithUsage(s, usage, days));

/**
 * Any policy, including ones that configure `delete` for verdicts that may never be deleted: the config
 * refuses those, so here plan()'s own guard is what must hold.
 */
export const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    actions: fc.record(
      Object.fromEntries(
        VERDICTS.map((v) => [
          v,
          fc.oneof(
            { weight: 3, arbitrary: fc.constant<Action>('delete') },
            { weight: 1, arbitrary: fc.constantFrom<Action>('keep', 'flag') },
            { weight: 1, arbitrary: fc.constant<Action>('stop') },
          ),
        ]),
      ) as Record<Verdict, fc.Arbitrary<Action>>,
    ),
    graceHours: fc.integer({ min: 0, max: 8 }),
    minAgeHours: fc.integer({ min: 0, max: 4 }),
    idleAfterDays: fc.integer({ min: 1, max: 20 }),
  })
  .map((p) => ({
    ...base,
    actions: p.actions,
    graceMs: Object.fromEntries(DELETABLE_VERDICTS.map((v) => [v, p.graceHours * HOUR])) as Policy['graceMs'],
    minAgeHours: p.minAgeHours,
    idleAfterDays: p.idleAfterDays,
  }));

export const limitsArb: fc.Arbitrary<Limits> = fc.record({
  maxDeletionsPerRun: fc.integer({ min: 0, max: 12 }),
  maxDeletionPercent: fc.integer({ min: 0, max: 100 }),
});

/**
 * Coverage of one property: counts of what the generated cases reached. A property whose cases never
 * reach the situation it is about proves nothing, so each one states its minimum and fails below it.
 * The counts land in the test's meta (reports/vitest.json) so CI can print them.
 */
export class Coverage {
  readonly counts: Record<string, number> = { cases: 0 };
  hit(what: string, yes = true): void {
    if (yes) this.counts[what] = (this.counts[what] ?? 0) + 1;
  }
  share(what: string): number {
    return (this.counts[what] ?? 0) / Math.max(1, this.counts.cases ?? 0);
  }
  /** Fails unless `what` happened in at least `min` of the cases (a share) or `min` times (a count ≥ 1). */
  require(what: string, min: number): void {
    const got = min < 1 ? this.share(what) : (this.counts[what] ?? 0);
    expect(
      got,
      `coverage: ${what} reached ${got} (need ${min}); counts ${JSON.stringify(this.counts)}`,
    ).toBeGreaterThanOrEqual(min);
  }
}

export function planOf(snapshots: StackSnapshot[], policy: Policy, limits: Limits) {
  const inputs: PlanInput[] = snapshots.map((s) => ({
    stack: s.stack,
    classification: classify(s, policy, NOW),
  }));
  return plan(inputs, policy, limits, NOW);
}

export const unique = (arr: StackSnapshot[]) => [...new Map(arr.map((s) => [s.stack.stackId, s])).values()];
// One stack in six of a run is live with a usage reading, so runs reach `unused` and `stop` too.
export const snapshotsArb = fc
  .array(fc.oneof({ weight: 5, arbitrary: anySnapshotArb }, { weight: 1, arbitrary: liveWithUsageArb }), {
    maxLength: 30,
  })
  .map(unique);
export const deletes = (status: string) => status === 'due' || status === 'waiting';

export const FORBIDDEN: Verdict[] = ['protected', 'active', 'unknown', 'busy'];
export const NO_LIMITS: Limits = { maxDeletionsPerRun: 1_000, maxDeletionPercent: 100 };
export const record = (task: { meta: object }, cov: Coverage) => {
  (task.meta as Record<string, unknown>).coverage = cov.counts;
};
