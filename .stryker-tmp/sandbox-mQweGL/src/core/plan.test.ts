// @ts-nocheck
import { describe, expect, it } from 'vitest';
import { ago, defaultPolicy, NOW, stack } from '../../test/helpers/fixtures.js';
import type { Verdict } from './model.js';
import { type PlanInput, plan } from './plan.js';

const policy = defaultPolicy();
const limits = { maxDeletionsPerRun: 10, maxDeletionPercent: 100 };

function input(i: number, verdict: Verdict, since?: string, createdHoursAgo = 72): PlanInput {
  const s = stack({ name: `s-${String(i).padStart(3, '0')}`, createdAt: ago(createdHoursAgo) });
  return {
    stack: s,
    classification: { stackId: s.stackId, verdict, reasons: [], ...(since ? { since } : {}) },
  };
}

describe('plan', () => {
  it('maps verdicts to the default actions', () => {
    const p = plan([input(1, 'merged', ago(5)), input(2, 'active'), input(3, 'idle')], policy, limits, NOW);
    expect(p.items.map((i) => [i.verdict, i.action, i.status])).toEqual([
      ['merged', 'delete', 'due'],
      ['active', 'keep', 'keep'],
      ['idle', 'flag', 'flag'],
    ]);
    expect(p.due).toBe(1);
  });

  it('waits for grace counted from the evidence time', () => {
    const p = plan([input(1, 'merged', ago(0.5))], policy, limits, NOW);
    expect(p.items[0]).toMatchObject({ status: 'waiting', waitingFor: 'grace', deleteAfter: ago(-0.5) });
  });

  it('branch-deleted has its own, longer grace', () => {
    expect(plan([input(1, 'branch-deleted', ago(1.5))], policy, limits, NOW).items[0]?.status).toBe(
      'waiting',
    );
    expect(plan([input(1, 'branch-deleted', ago(2.5))], policy, limits, NOW).items[0]?.status).toBe('due');
  });

  it('never deletes a stack younger than minAgeHours', () => {
    const p = plan([input(1, 'merged', ago(5), 0.5)], policy, limits, NOW);
    expect(p.items[0]).toMatchObject({ status: 'waiting', waitingFor: 'min-age' });
  });

  it('engages the count brake on the whole plan', () => {
    const inputs = Array.from({ length: 11 }, (_, i) => input(i, 'merged', ago(5)));
    const p = plan(inputs, policy, limits, NOW);
    expect(p.brake).toMatchObject({ kind: 'max-deletions', due: 11, limit: 10 });
    expect(p.due).toBe(0);
    expect(p.items.every((i) => i.status === 'braked')).toBe(true);
  });

  it('engages the percent brake on in-scope stacks', () => {
    const inputs = [
      input(1, 'merged', ago(5)),
      input(2, 'merged', ago(5)),
      input(3, 'active'),
      input(4, 'active'),
    ];
    const p = plan(inputs, policy, { maxDeletionsPerRun: 10, maxDeletionPercent: 25 }, NOW);
    expect(p.brake).toMatchObject({ kind: 'max-percent', due: 2, inScope: 4 });
    const ok = plan(
      inputs.slice(0, 1).concat(inputs.slice(2), [input(5, 'active')]),
      policy,
      { maxDeletionsPerRun: 10, maxDeletionPercent: 25 },
      NOW,
    );
    expect(ok.brake).toBeNull();
    expect(ok.due).toBe(1);
  });

  it('turns a delete configured for a non-deletable verdict into a flag', () => {
    const p = plan(
      [input(1, 'unknown')],
      { ...policy, actions: { ...policy.actions, unknown: 'delete' } },
      limits,
      NOW,
    );
    expect(p.items[0]?.action).toBe('flag');
  });
});
