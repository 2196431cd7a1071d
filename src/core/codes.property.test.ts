import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anySnapshotArb,
  Coverage,
  liveWithUsageArb,
  numRuns,
  policyArb,
  record,
} from '../../test/helpers/core-arbitraries.js';
import { branch, defaultPolicy, NOW, snapshot } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import { REASONS } from './codes.js';
import { REASON_CODES } from './model.js';

describe('the documented reason codes (src/core/codes.ts, docs/verdicts.md)', () => {
  it('every reason classify gives comes with a verdict its entry names (or is informational)', ({ task }) => {
    const cov = new Coverage();
    // The codes the random worlds do not make (rare shapes), each from one hand-made stack.
    const policy = defaultPolicy();
    const handMade = [
      snapshot({ owner: { matchedBy: 'tags', projectId: 101 } }),
      snapshot({
        owner: { matchedBy: 'tags', projectId: 101, refSlug: 'feature-x' },
        gitlab: {
          branches: {
            ok: true,
            value: [branch('main', { default: true }), branch('feature/x'), branch('feature-x')],
          },
        },
      }),
      snapshot({ stack: { name: 'shared-db' } }),
      { ...snapshot(), keptUntil: new Date(NOW + 86_400_000).toISOString() },
    ];
    for (const s of handMade) {
      const c = classify(s, { ...policy, protect: { ...policy.protect, stackNames: ['^shared-'] } }, NOW);
      for (const r of c.reasons) {
        cov.hit(`code:${r.code}`);
        if (REASONS[r.code].verdicts.length > 0) expect(REASONS[r.code].verdicts).toContain(c.verdict);
      }
    }
    fc.assert(
      // Live stacks with a usage reading too: the usage reasons are reached only there.
      fc.property(
        fc.oneof({ weight: 3, arbitrary: anySnapshotArb }, { weight: 1, arbitrary: liveWithUsageArb }),
        policyArb,
        (snapshot, policy) => {
          cov.hit('cases');
          const c = classify(snapshot, policy, NOW);
          for (const r of c.reasons) {
            cov.hit(`code:${r.code}`);
            const { verdicts } = REASONS[r.code];
            if (verdicts.length > 0) expect(verdicts, `${r.code} with ${c.verdict}`).toContain(c.verdict);
          }
        },
      ),
      // Cheap (about 25 ms a thousand): enough cases that every code turns up, whatever FC_NUM_RUNS says.
      { numRuns: Math.max(numRuns, 2000) },
    );
    record(task, cov);
    // The check reached every code: a code no case makes would go unchecked.
    expect(REASON_CODES.filter((code) => (cov.counts[`code:${code}`] ?? 0) === 0)).toEqual([]);
  });
});
