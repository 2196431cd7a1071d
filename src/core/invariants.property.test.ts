import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, NOW, project } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import type {
  Action,
  BranchFacts,
  Evidence,
  GitLabEvidence,
  MergeRequestFacts,
  Owner,
  StackSnapshot,
  Verdict,
} from './model.js';
import { DELETABLE_VERDICTS, VERDICTS } from './model.js';
import { type PlanInput, plan } from './plan.js';
import type { Limits, Policy } from './policy.js';

// ≥ 1,000 runs per property (issue #2); FC_NUM_RUNS raises it for a deeper local search.
const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const base = defaultPolicy();
const HOUR = 3_600_000;

/**
 * Times around every threshold: grace and min-age (hours), idle (days), keep-until dates, notice windows.
 * Mostly in the past, as evidence is; a little in the future, as clocks skew.
 */
const hoursAgo = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 72 }) },
  { weight: 3, arbitrary: fc.integer({ min: 24 * 8, max: 24 * 22 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 24 * 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: -48, max: 0 }) },
);
const time = hoursAgo.map((h) => new Date(NOW - h * HOUR).toISOString());
const refName = fc.constantFrom('feature/x', 'feature-x', 'main', 'release/1');
const error: Evidence<never> = { ok: false, error: { code: 'HTTP_500', message: 'boom' } };

const branchArb: fc.Arbitrary<BranchFacts> = fc.record({
  name: refName,
  protected: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  default: fc.constant(false),
  committedAt: time,
});
const mrArb: fc.Arbitrary<MergeRequestFacts> = fc
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
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

function maybeError<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Evidence<T>> {
  return fc.oneof(
    { weight: 12, arbitrary: arb.map((value) => ({ ok: true as const, value })) },
    { weight: 1, arbitrary: fc.constant(error as Evidence<T>) },
  );
}

// Owners mostly resolved: an unresolved owner can only ever be `unowned`, which says nothing about the rest.
const ownerArb: fc.Arbitrary<Owner | undefined> = fc.oneof(
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
const keepArb = rarely(
  fc.oneof(
    fc.constantFrom('true', 'false', 'maybe'),
    fc.integer({ min: -30, max: 30 }).map((d) => new Date(NOW + d * 86_400_000).toISOString().slice(0, 10)),
  ),
);

const snapshotArb: fc.Arbitrary<StackSnapshot> = fc
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
        createdAt: r.createdAt,
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
type Death = 'branch-gone' | 'merged' | 'abandoned' | 'idle';
function deadify(s: StackSnapshot, how: Death, at: string): StackSnapshot {
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

const anySnapshotArb: fc.Arbitrary<StackSnapshot> = fc.oneof(
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

/**
 * Any policy, including ones that configure `delete` for verdicts that may never be deleted: the config
 * refuses those, so here plan()'s own guard is what must hold.
 */
const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    actions: fc.record(
      Object.fromEntries(
        VERDICTS.map((v) => [
          v,
          fc.oneof(
            { weight: 3, arbitrary: fc.constant<Action>('delete') },
            { weight: 1, arbitrary: fc.constantFrom<Action>('keep', 'flag') },
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
    graceMs: Object.fromEntries(DELETABLE_VERDICTS.map((v) => [v, p.graceHours * HOUR])),
    minAgeHours: p.minAgeHours,
    idleAfterDays: p.idleAfterDays,
  }));

const limitsArb: fc.Arbitrary<Limits> = fc.record({
  maxDeletionsPerRun: fc.integer({ min: 0, max: 12 }),
  maxDeletionPercent: fc.integer({ min: 0, max: 100 }),
});

/**
 * Coverage of one property: counts of what the generated cases reached. A property whose cases never
 * reach the situation it is about proves nothing, so each one states its minimum and fails below it.
 * The counts land in the test's meta (reports/vitest.json) so CI can print them.
 */
class Coverage {
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

function planOf(snapshots: StackSnapshot[], policy: Policy, limits: Limits) {
  const inputs: PlanInput[] = snapshots.map((s) => ({
    stack: s.stack,
    classification: classify(s, policy, NOW),
  }));
  return plan(inputs, policy, limits, NOW);
}

const unique = (arr: StackSnapshot[]) => [...new Map(arr.map((s) => [s.stack.stackId, s])).values()];
const snapshotsArb = fc.array(anySnapshotArb, { maxLength: 30 }).map(unique);
const deletes = (status: string) => status === 'due' || status === 'waiting';

const FORBIDDEN: Verdict[] = ['protected', 'active', 'unknown', 'busy'];
const NO_LIMITS: Limits = { maxDeletionsPerRun: 1_000, maxDeletionPercent: 100 };
const record = (task: { meta: object }, cov: Coverage) => {
  (task.meta as Record<string, unknown>).coverage = cov.counts;
};

describe('core invariants (fast-check)', () => {
  it('protected, active, unknown and busy never get delete, even when the policy asks for it', ({ task }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(snapshotsArb, policyArb, limitsArb, (snaps, policy, limits) => {
        cov.hit('cases');
        for (const item of planOf(snaps, policy, limits).items) {
          cov.hit(`verdict:${item.verdict}`);
          cov.hit('stacks');
          if (FORBIDDEN.includes(item.verdict)) {
            cov.hit('forbidden with delete configured', policy.actions[item.verdict] === 'delete');
            expect(item.action).not.toBe('delete');
            expect(['due', 'waiting', 'braked']).not.toContain(item.status);
          }
        }
      }),
      { numRuns },
    );
    record(task, cov);
    // The guard itself was tested: forbidden verdicts met policies that configure delete for them…
    cov.require('forbidden with delete configured', 0.3);
    // …and the generators reach every verdict, the deletable ones included.
    for (const v of VERDICTS) cov.require(`verdict:${v}`, Math.max(1, Math.ceil(numRuns / 100)));
  });

  it('a plan never deletes more than either brake allows', ({ task }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(snapshotsArb, policyArb, limitsArb, (snaps, policy, limits) => {
        cov.hit('cases');
        const p = planOf(snaps, policy, limits);
        const wanted = p.items.filter((i) => i.status === 'due' || i.status === 'braked').length;
        cov.hit('due items', wanted > 0);
        cov.hit('brake engaged', p.brake !== null);
        cov.hit('deleting within the brakes', p.due > 0);
        const due = p.items.filter((i) => i.status === 'due').length;
        expect(due).toBe(p.due);
        expect(due).toBeLessThanOrEqual(limits.maxDeletionsPerRun);
        expect(due * 100).toBeLessThanOrEqual(limits.maxDeletionPercent * p.items.length);
        // A brake stops every deletion of the run, never a subset.
        if (p.brake) expect(due).toBe(0);
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('due items', 0.3);
    cov.require('brake engaged', 0.1);
    cov.require('deleting within the brakes', 0.1);
  });

  it('the same snapshot and now give the same plan, whatever the input order', ({ task }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(snapshotsArb, policyArb, limitsArb, fc.integer(), (snaps, policy, limits, seed) => {
        cov.hit('cases');
        const shuffled = [...snaps].sort(
          (a, b) => ((a.stack.name.length * seed) % 7) - ((b.stack.name.length * seed) % 7),
        );
        const p = planOf(snaps, policy, limits);
        cov.hit('plans with deletions', p.due > 0);
        expect(JSON.stringify(planOf(shuffled, policy, limits))).toBe(JSON.stringify(p));
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('plans with deletions', 0.1);
  });

  it('a notice window never makes a deletion due sooner', ({ task }) => {
    const cov = new Coverage();
    const postedArb = fc.option(time, { nil: undefined });
    fc.assert(
      fc.property(
        anySnapshotArb,
        policyArb,
        fc.integer({ min: 1, max: 72 }),
        postedArb,
        (s, p, hours, postedAt) => {
          cov.hit('cases');
          const c = classify(s, p, NOW);
          const without = plan([{ stack: s.stack, classification: c }], p, NO_LIMITS, NOW).items[0];
          const windowed = { ...p, noticeMs: hours * HOUR };
          const withNotice = plan(
            [{ stack: s.stack, classification: c, notice: postedAt ? { postedAt } : {} }],
            windowed,
            NO_LIMITS,
            NOW,
          ).items[0];
          cov.hit('due without a window', without?.status === 'due');
          cov.hit('due with a window', withNotice?.status === 'due');
          cov.hit('held back by the window', without?.status === 'due' && withNotice?.status === 'waiting');
          if (withNotice?.status === 'due') expect(without?.status).toBe('due');
          if (without?.deleteAfter && withNotice?.deleteAfter) {
            expect(Date.parse(withNotice.deleteAfter)).toBeGreaterThanOrEqual(
              Date.parse(without.deleteAfter),
            );
          }
          // Never posted: never due in this run.
          if (!postedAt) expect(withNotice?.status).not.toBe('due');
        },
      ),
      { numRuns },
    );
    record(task, cov);
    cov.require('due without a window', 0.1);
    cov.require('due with a window', 0.02);
    cov.require('held back by the window', 0.02);
  });

  it('an open MR from the stack’s branch means it is neither merged, branch-deleted nor abandoned', ({
    task,
  }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(anySnapshotArb, policyArb, (s, policy) => {
        cov.hit('cases');
        const ref = s.owner?.ref;
        if (ref === undefined || !s.gitlab.mergeRequests?.ok) return;
        const before = classify(s, policy, NOW);
        cov.hit(
          'was merged, branch-deleted or abandoned',
          ['merged', 'branch-deleted', 'abandoned'].includes(before.verdict),
        );
        const after = structuredClone(s);
        if (!after.gitlab.mergeRequests?.ok) return;
        after.gitlab.mergeRequests.value.push({
          iid: 99,
          sourceBranch: ref,
          state: 'opened',
          updatedAt: new Date(NOW).toISOString(),
        });
        expect(['merged', 'branch-deleted', 'abandoned']).not.toContain(classify(after, policy, NOW).verdict);
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('was merged, branch-deleted or abandoned', 0.15);
  });

  it('a keep tag (true, or a date still ahead) always protects', ({ task }) => {
    const cov = new Coverage();
    const keep = fc.oneof(
      fc.constantFrom('true', 'TRUE', ' true '),
      fc.integer({ min: 1, max: 400 }).map((d) => new Date(NOW + d * 86_400_000).toISOString().slice(0, 10)),
    );
    fc.assert(
      fc.property(anySnapshotArb, policyArb, keep, (s, policy, value) => {
        cov.hit('cases');
        const before = planOf([s], policy, NO_LIMITS).items[0];
        cov.hit('was due', before?.status === 'due');
        const after = structuredClone(s);
        after.stack.tags['env-reaper:keep'] = value;
        const item = planOf([after], policy, NO_LIMITS).items[0];
        expect(item?.verdict).toBe('protected');
        expect(item?.action).not.toBe('delete');
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('was due', 0.15);
  });

  it('adding evidence of life never turns keep/flag into delete', ({ task }) => {
    const cov = new Coverage();
    const lifeArb = fc.constantFrom('open-mr', 'fresh-commit', 'keep-tag');
    fc.assert(
      fc.property(anySnapshotArb, policyArb, lifeArb, (s, policy, life) => {
        cov.hit('cases');
        const before = planOf([s], policy, NO_LIMITS).items[0];
        const now = new Date(NOW).toISOString();
        const after = structuredClone(s);
        const ref = s.owner?.ref ?? 'feature/x';
        if (life === 'keep-tag') after.stack.tags['env-reaper:keep'] = 'true';
        if (life === 'open-mr' && after.gitlab.mergeRequests?.ok) {
          after.gitlab.mergeRequests.value.push({
            iid: 99,
            sourceBranch: ref,
            state: 'opened',
            updatedAt: now,
          });
        }
        if (life === 'fresh-commit' && after.gitlab.branches?.ok) {
          const found = after.gitlab.branches.value.filter((b) => b.name === ref);
          for (const b of found) b.committedAt = now;
          if (found.length === 0) {
            after.gitlab.branches.value.push({
              name: ref,
              protected: false,
              default: false,
              committedAt: now,
            });
          }
        }
        const afterItem = planOf([after], policy, NO_LIMITS).items[0];
        cov.hit('kept before', before?.action !== 'delete');
        cov.hit('deleted before, kept after', before?.action === 'delete' && afterItem?.action !== 'delete');
        if (before && before.action !== 'delete') expect(afterItem?.action).not.toBe('delete');
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('kept before', 0.2);
    cov.require('deleted before, kept after', 0.1);
  });

  it('removing GitLab evidence never turns anything into delete', ({ task }) => {
    const cov = new Coverage();
    const which = fc.constantFrom('project', 'branches', 'mergeRequests', 'environment') as fc.Arbitrary<
      keyof GitLabEvidence
    >;
    fc.assert(
      fc.property(anySnapshotArb, policyArb, which, (s, policy, key) => {
        cov.hit('cases');
        const before = planOf([s], policy, NO_LIMITS).items[0];
        const after = structuredClone(s);
        after.gitlab[key] = error;
        const afterItem = planOf([after], policy, NO_LIMITS).items[0];
        cov.hit('was being deleted', before !== undefined && deletes(before.status));
        cov.hit(
          'stopped by the missing evidence',
          before !== undefined && deletes(before.status) && !(afterItem && deletes(afterItem.status)),
        );
        if (afterItem && deletes(afterItem.status)) expect(before && deletes(before.status)).toBe(true);
        if (afterItem?.action === 'delete') expect(before?.action).toBe('delete');
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('was being deleted', 0.15);
    cov.require('stopped by the missing evidence', 0.05);
  });
});
