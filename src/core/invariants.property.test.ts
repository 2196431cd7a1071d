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

const time = fc.integer({ min: -60 * 24, max: 2 }).map((h) => new Date(NOW - h * HOUR).toISOString());
const refName = fc.constantFrom('feature/x', 'feature-x', 'main', 'release/1');
const error: Evidence<never> = { ok: false, error: { code: 'HTTP_500', message: 'boom' } };

const branchArb: fc.Arbitrary<BranchFacts> = fc.record({
  name: refName,
  protected: fc.boolean(),
  default: fc.constant(false),
  committedAt: time,
});
const mrArb: fc.Arbitrary<MergeRequestFacts> = fc
  .record({
    iid: fc.integer({ min: 1, max: 50 }),
    sourceBranch: refName,
    state: fc.constantFrom('opened', 'closed', 'merged', 'locked') as fc.Arbitrary<
      MergeRequestFacts['state']
    >,
    updatedAt: time,
    mergedAt: time,
    closedAt: time,
  })
  .map((m) => {
    const out: MergeRequestFacts = {
      iid: m.iid,
      sourceBranch: m.sourceBranch,
      state: m.state,
      updatedAt: m.updatedAt,
    };
    if (m.state === 'merged') out.mergedAt = m.mergedAt;
    if (m.state === 'closed') out.closedAt = m.closedAt;
    return out;
  });

function maybeError<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<Evidence<T>> {
  return fc.oneof(
    { weight: 6, arbitrary: arb.map((value) => ({ ok: true as const, value })) },
    { weight: 1, arbitrary: fc.constant(error as Evidence<T>) },
  );
}

const ownerArb: fc.Arbitrary<Owner | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        matchedBy: fc.constantFrom('tags', 'name-pattern') as fc.Arbitrary<'tags' | 'name-pattern'>,
        projectId: fc.constant(101),
        ref: fc.option(refName, { nil: undefined }),
        refSlug: fc.option(fc.constantFrom('feature-x', 'fix-y'), { nil: undefined }),
        environment: fc.option(fc.constant('review/feature-x'), { nil: undefined }),
        unresolved: fc.option(fc.constant(true), { nil: undefined, freq: 4 }),
      })
      .map(
        (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as unknown as Owner,
      ),
  },
);

const snapshotArb: fc.Arbitrary<StackSnapshot> = fc
  .record({
    i: fc.integer({ min: 0, max: 1_000_000 }),
    status: fc.constantFrom(
      'CREATE_COMPLETE',
      'UPDATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'DELETE_IN_PROGRESS',
      'DELETE_FAILED',
      'ROLLBACK_COMPLETE',
      'REVIEW_IN_PROGRESS',
    ),
    createdAt: time,
    keep: fc.option(fc.constantFrom('true', 'false', '2020-01-01', '2099-01-01', 'maybe'), {
      nil: undefined,
    }),
    terminationProtection: fc.boolean(),
    owner: ownerArb,
    project: maybeError(
      fc.oneof(
        fc.constant(project),
        fc.constant(null),
        fc.constant({ ...project, archived: true }),
        fc.constant({ ...project, defaultBranch: 'feature/x' }),
      ),
    ),
    branches: maybeError(fc.array(branchArb, { maxLength: 4 })),
    mergeRequests: maybeError(fc.array(mrArb, { maxLength: 4 })),
    environment: fc.option(
      maybeError(
        fc.record({
          id: fc.constant(1),
          name: fc.constant('review/feature-x'),
          state: fc.constant('available'),
          tier: fc.constantFrom('development', 'production', 'staging', 'testing'),
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

/** Any policy the config schema accepts: delete only where allowed. */
const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    actions: fc.record(
      Object.fromEntries(
        VERDICTS.map((v) => [
          v,
          fc.constantFrom<Action>(
            ...((DELETABLE_VERDICTS as readonly Verdict[]).includes(v)
              ? (['keep', 'flag', 'delete'] as const)
              : (['keep', 'flag'] as const)),
          ),
        ]),
      ) as Record<Verdict, fc.Arbitrary<Action>>,
    ),
    graceHours: fc.integer({ min: 0, max: 48 }),
    minAgeHours: fc.integer({ min: 0, max: 24 }),
    idleAfterDays: fc.integer({ min: 1, max: 30 }),
  })
  .map((p) => ({
    ...base,
    actions: p.actions,
    graceMs: Object.fromEntries(DELETABLE_VERDICTS.map((v) => [v, p.graceHours * HOUR])),
    minAgeHours: p.minAgeHours,
    idleAfterDays: p.idleAfterDays,
  }));

const limitsArb: fc.Arbitrary<Limits> = fc.record({
  maxDeletionsPerRun: fc.integer({ min: 0, max: 20 }),
  maxDeletionPercent: fc.integer({ min: 0, max: 100 }),
});

function planOf(snapshots: StackSnapshot[], policy: Policy, limits: Limits) {
  const inputs: PlanInput[] = snapshots.map((s) => ({
    stack: s.stack,
    classification: classify(s, policy, NOW),
  }));
  return plan(inputs, policy, limits, NOW);
}

const unique = (arr: StackSnapshot[]) => [...new Map(arr.map((s) => [s.stack.stackId, s])).values()];
const snapshotsArb = fc.array(snapshotArb, { maxLength: 30 }).map(unique);
const deletes = (status: string) => status === 'due' || status === 'waiting';

describe('core invariants (fast-check)', () => {
  it('protected, active, unknown and busy never get delete', () => {
    fc.assert(
      fc.property(snapshotsArb, policyArb, limitsArb, (snaps, policy, limits) => {
        for (const item of planOf(snaps, policy, limits).items) {
          if (['protected', 'active', 'unknown', 'busy'].includes(item.verdict)) {
            expect(item.action).not.toBe('delete');
            expect(['due', 'waiting', 'braked']).not.toContain(item.status);
          }
        }
      }),
      { numRuns },
    );
  });

  it('a plan never deletes more than either brake allows', () => {
    fc.assert(
      fc.property(snapshotsArb, policyArb, limitsArb, (snaps, policy, limits) => {
        const p = planOf(snaps, policy, limits);
        const due = p.items.filter((i) => i.status === 'due').length;
        expect(due).toBe(p.due);
        expect(due).toBeLessThanOrEqual(limits.maxDeletionsPerRun);
        expect(due * 100).toBeLessThanOrEqual(limits.maxDeletionPercent * p.items.length);
      }),
      { numRuns },
    );
  });

  it('the same snapshot and now give the same plan, whatever the input order', () => {
    fc.assert(
      fc.property(snapshotsArb, policyArb, limitsArb, fc.integer(), (snaps, policy, limits, seed) => {
        const shuffled = [...snaps].sort(
          (a, b) => ((a.stack.name.length * seed) % 7) - ((b.stack.name.length * seed) % 7),
        );
        expect(JSON.stringify(planOf(shuffled, policy, limits))).toBe(
          JSON.stringify(planOf(snaps, policy, limits)),
        );
      }),
      { numRuns },
    );
  });

  it('a notice window never makes a deletion due sooner', () => {
    const postedArb = fc.option(time, { nil: undefined });
    fc.assert(
      fc.property(
        snapshotArb,
        policyArb,
        fc.integer({ min: 1, max: 72 }),
        postedArb,
        (s, p, hours, postedAt) => {
          const limits = { maxDeletionsPerRun: 100, maxDeletionPercent: 100 };
          const c = classify(s, p, NOW);
          const without = plan([{ stack: s.stack, classification: c }], p, limits, NOW).items[0];
          const windowed = { ...p, noticeMs: hours * HOUR };
          const withNotice = plan(
            [{ stack: s.stack, classification: c, notice: postedAt ? { postedAt } : {} }],
            windowed,
            limits,
            NOW,
          ).items[0];
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
  });

  it('adding evidence of life never turns keep/flag into delete', () => {
    const lifeArb = fc.constantFrom('open-mr', 'fresh-commit', 'keep-tag');
    fc.assert(
      fc.property(snapshotArb, policyArb, lifeArb, (s, policy, life) => {
        const before = planOf([s], policy, { maxDeletionsPerRun: 100, maxDeletionPercent: 100 }).items[0];
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
        const afterItem = planOf([after], policy, { maxDeletionsPerRun: 100, maxDeletionPercent: 100 })
          .items[0];
        if (before && before.action !== 'delete') expect(afterItem?.action).not.toBe('delete');
      }),
      { numRuns },
    );
  });

  it('removing GitLab evidence never turns anything into delete', () => {
    const which = fc.constantFrom('project', 'branches', 'mergeRequests', 'environment') as fc.Arbitrary<
      keyof GitLabEvidence
    >;
    fc.assert(
      fc.property(snapshotArb, policyArb, which, (s, policy, key) => {
        const limits = { maxDeletionsPerRun: 100, maxDeletionPercent: 100 };
        const before = planOf([s], policy, limits).items[0];
        const after = structuredClone(s);
        after.gitlab[key] = error;
        const afterItem = planOf([after], policy, limits).items[0];
        if (afterItem && deletes(afterItem.status)) expect(before && deletes(before.status)).toBe(true);
        if (afterItem?.action === 'delete') expect(before?.action).toBe('delete');
      }),
      { numRuns },
    );
  });
});
