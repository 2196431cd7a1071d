import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anySnapshotArb,
  Coverage,
  deletes,
  error,
  FORBIDDEN,
  HOUR,
  limitsArb,
  NO_LIMITS,
  numRuns,
  planOf,
  policyArb,
  record,
  snapshotsArb,
  time,
} from '../../test/helpers/core-arbitraries.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import type { GitLabEvidence } from './model.js';
import { VERDICTS } from './model.js';
import { plan } from './plan.js';

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
        // Life is activity after everything GitLab knows: a generated MR may have closed "after" NOW (a
        // skewed clock), and a commit before that close is no sign of life (it is what abandoned means).
        const known = (s.gitlab.mergeRequests?.ok ? s.gitlab.mergeRequests.value : []).flatMap((m) =>
          [m.updatedAt, m.closedAt, m.mergedAt].filter((t): t is string => t !== undefined).map(Date.parse),
        );
        const now = new Date(Math.max(NOW, ...known) + 60_000).toISOString();
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
