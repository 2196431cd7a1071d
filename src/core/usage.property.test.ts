import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Coverage,
  liveWithUsage,
  NO_LIMITS,
  numRuns,
  planOf,
  policyArb,
  record,
  snapshotArb,
  USAGE_DAYS,
  usageArb,
} from '../../test/helpers/core-arbitraries.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import { USAGE_SPECS } from './usage.js';

/**
 * The usage invariants (issue #35): a stack with any traffic in the window is never `unused`; a failed,
 * partial or unmeasured reading, or a stack younger than the window, is never `unused`; `stop` is given
 * to `unused` only, and `unused` is never deleted.
 */

const DAY = 86_400_000;
const ROLE = new Map(USAGE_SPECS.map((s) => [s.kind, s.role]));

describe('usage invariants (fast-check)', () => {
  it('never unused with traffic in the window, a failed or partial read, an unmeasured resource or a young stack', ({
    task,
  }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(
        snapshotArb,
        usageArb,
        fc.integer({ min: 5, max: 40 }),
        policyArb,
        fc.integer({ min: 3, max: 20 }),
        (s, usage, age, policy, windowDays) => {
          cov.hit('cases');
          const snap = liveWithUsage(s, usage, age);
          const p = { ...policy, usageWindowDays: windowDays };
          const c = classify(snap, p, NOW);
          const today = Math.floor(NOW / DAY) * DAY;
          const windowStart = today - windowDays * DAY;
          const first = USAGE_DAYS - 1 - windowDays;
          const resources = usage.ok ? usage.value.resources : [];
          const traffic = resources.some((r) => r.daily.slice(first).some((n) => n > 0));
          const measured = (r: (typeof resources)[number]) =>
            ROLE.get(r.kind) === 'entry' || ROLE.get(r.kind) === 'measured';
          const partial = resources.some((r) => measured(r) && !r.complete);
          const hasEntry = resources.some((r) => ROLE.get(r.kind) === 'entry');
          const unmeasured = resources.some(
            (r) =>
              ROLE.get(r.kind) === undefined ||
              ROLE.get(r.kind) === 'unmeasured' ||
              (ROLE.get(r.kind) === 'behind' && !hasEntry),
          );
          const young = Date.parse(snap.stack.createdAt) >= windowStart;
          const mustNot = !usage.ok || traffic || partial || unmeasured || young || resources.length === 0;
          cov.hit(`verdict:${c.verdict}`);
          cov.hit('traffic in the window', traffic);
          cov.hit('failed read', !usage.ok);
          cov.hit('young', young);
          cov.hit('unmeasured', unmeasured);
          if (mustNot) expect(c.verdict).not.toBe('unused');
          if (c.verdict === 'unused') {
            expect(c.reasons[0]?.code).toBe('NO_TRAFFIC');
            cov.hit('unused');
          }
          if (c.verdict === 'active' && snap.usage !== undefined)
            expect(c.reasons.some((r) => r.code === 'RECENT_TRAFFIC' || r.code === 'USAGE_UNKNOWN')).toBe(
              true,
            );
        },
      ),
      { numRuns },
    );
    record(task, cov);
    cov.require('unused', 0.05);
    cov.require('traffic in the window', 0.2);
    cov.require('failed read', 0.03);
    cov.require('young', 0.05);
    cov.require('unmeasured', 0.1);
  });

  it('stop is planned for unused stacks only, and unused is never deleted', ({ task }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(snapshotArb, usageArb, fc.integer({ min: 5, max: 40 })), { maxLength: 12 }),
        // Half the policies stop unused environments, so due stops are reached often.
        fc
          .tuple(policyArb, fc.boolean())
          .map(([p, stop]) => (stop ? { ...p, actions: { ...p.actions, unused: 'stop' as const } } : p)),
        (rows, policy) => {
          cov.hit('cases');
          const snaps = rows.map(([s, u, d], i) => {
            const l = liveWithUsage(s, u, d);
            l.stack.stackId = `${l.stack.stackId}-${i}`;
            return l;
          });
          for (const item of planOf(snaps, policy, NO_LIMITS).items) {
            if (item.action === 'stop') {
              expect(item.verdict).toBe('unused');
              cov.hit('stop planned', item.status === 'due');
            }
            if (item.verdict === 'unused') expect(item.action).not.toBe('delete');
            cov.hit(
              'stop configured for another verdict',
              item.verdict !== 'unused' && policy.actions[item.verdict] === 'stop',
            );
          }
        },
      ),
      { numRuns },
    );
    record(task, cov);
    cov.require('stop planned', 0.05);
    cov.require('stop configured for another verdict', 0.2);
  });
});
