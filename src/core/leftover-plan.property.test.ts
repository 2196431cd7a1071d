import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Coverage, numRuns, record } from '../../test/helpers/core-arbitraries.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { budgetArb, leftoverInputsArb, leftoverPolicyArb } from '../../test/helpers/leftover-arbitraries.js';
import { keepReason } from './classify.js';
import { arnAccount, judgeLeftover, planLeftovers } from './leftover-plan.js';

/**
 * The leftover plan's invariants (issue #36), over random leftovers and policies: nothing is due
 * without `leftovers.delete`; a due leftover meets every condition; the brakes bound the deletions with
 * the stacks'; the same input and clock give the same plan.
 */

describe('leftover plan invariants (fast-check)', () => {
  it('due only when every condition holds; never without leftovers.delete; within the brakes; deterministic', ({
    task,
  }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(leftoverInputsArb, leftoverPolicyArb, budgetArb, (inputs, policy, budget) => {
        cov.hit('cases');
        const p = planLeftovers(inputs, policy, budget, NOW);
        expect(planLeftovers(structuredClone(inputs), policy, budget, NOW)).toEqual(p);
        const due = p.decisions.filter((d) => d.status === 'due').length;
        expect(p.due).toBe(due);
        if (policy.delete.length === 0) {
          expect(due).toBe(0);
          cov.hit('nothing opted in, leftovers found', inputs.length > 0);
        }
        if (due > 0) {
          expect(budget.stacksDue + due).toBeLessThanOrEqual(budget.limits.maxDeletionsPerRun);
          expect((budget.stacksDue + due) * 100).toBeLessThanOrEqual(
            budget.limits.maxDeletionPercent * (budget.inScope + inputs.length),
          );
        }
        for (const [i, d] of p.decisions.entries()) {
          const input = inputs[i];
          if (!input) continue;
          const l = input.leftover;
          const tags = l.tags ?? {};
          cov.hit(`status:${d.status}`);
          cov.hit(`reason:${d.reason.code}`);
          // Before the brakes: every reason the judgement gives is reached, whatever the budget.
          cov.hit(`judged:${judgeLeftover(input, policy, NOW).reason.code}`);
          if (d.status !== 'due') continue;
          expect(policy.delete).toContain(l.type);
          expect(l.confirmed).toBe(true);
          expect(input.previous).not.toBe('deleted');
          expect(input.gitlab).toBe('gone');
          expect(['', l.account]).toContain(arnAccount(l.arn));
          for (const f of input.filters) expect(tags[f.key]).toBe(f.value);
          expect(keepReason(tags, policy.tags, NOW)?.code).not.toBe('KEEP_TAG');
          if (input.previous !== 'started')
            expect(Date.parse(l.deletedAt) + policy.deleteAfterMs).toBeLessThanOrEqual(NOW);
        }
      }),
      { numRuns },
    );
    record(task, cov);
    // Minimums hold at 200 runs (Stryker's dry run) with a margin (the least of 40 seeds, halved); the
    // default 1,000 runs reach five times as many.
    cov.require('status:due', 8);
    cov.require('status:braked', 3);
    cov.require('nothing opted in, leftovers found', 20);
    for (const code of [
      'ALREADY_DELETED',
      'NOT_OPTED_IN',
      'NOT_CONFIRMED',
      'OTHER_ACCOUNT',
      'TAGS_CHANGED',
      'KEEP_TAG',
      'TOO_RECENT',
      'EVIDENCE_UNKNOWN',
      'ENVIRONMENT_BACK',
      'DUE',
    ])
      cov.require(`judged:${code}`, 4);
    // A resumed deletion needs an earlier `started` record and every other condition: rarer.
    cov.require('judged:RESUME', 2);
  });
});
