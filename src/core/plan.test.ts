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

describe('plan: stopping an unused environment (policy.unused: stop)', () => {
  const stopping = { ...policy, actions: { ...policy.actions, unused: 'stop' as const } };

  it('is due at once, with no grace, when the stack is old enough and no notice window is set', () => {
    const p = plan([input(1, 'unused', ago(24))], stopping, limits, NOW);
    expect(p.items[0]).toEqual({
      stackId: p.items[0]?.stackId,
      verdict: 'unused',
      action: 'stop',
      status: 'due',
      deleteAfter: ago(72 - policy.minAgeHours),
    });
    expect(p.due).toBe(1);
  });

  it('waits for minAgeHours from the last change, and says so', () => {
    const p = plan([input(1, 'unused', ago(24), 0.25)], stopping, limits, NOW);
    expect(p.items[0]).toMatchObject({
      status: 'waiting',
      waitingFor: 'min-age',
      deleteAfter: ago(0.25 - 1),
    });
    expect(p.due).toBe(0);
  });

  it('waits for the notice window, counted from the notice (or from now when it is posted this run)', () => {
    const windowed = { ...stopping, noticeMs: 24 * 3_600_000 };
    const fresh = plan([{ ...input(1, 'unused'), notice: {} }], windowed, limits, NOW);
    expect(fresh.items[0]).toMatchObject({ status: 'waiting', waitingFor: 'notice', deleteAfter: ago(-24) });
    const posted = plan([{ ...input(1, 'unused'), notice: { postedAt: ago(25) } }], windowed, limits, NOW);
    expect(posted.items[0]).toMatchObject({ status: 'due', deleteAfter: ago(1) });
    // No notice window: the notice does not delay.
    const none = plan([{ ...input(1, 'unused'), notice: {} }], stopping, limits, NOW);
    expect(none.items[0]?.status).toBe('due');
  });

  it('counts against the brakes like a deletion', () => {
    const p = plan(
      [input(1, 'unused'), input(2, 'unused')],
      stopping,
      { maxDeletionsPerRun: 1, maxDeletionPercent: 100 },
      NOW,
    );
    expect(p.brake).toMatchObject({ kind: 'max-deletions', due: 2 });
    expect(p.items.map((i) => i.status)).toEqual(['braked', 'braked']);
  });

  it('is never given to another verdict, and unused never gets delete', () => {
    const odd = {
      ...policy,
      actions: { ...policy.actions, merged: 'stop' as const, unused: 'delete' as const },
    };
    const p = plan([input(1, 'merged', ago(5)), input(2, 'unused')], odd, limits, NOW);
    expect(p.items.map((i) => [i.verdict, i.action, i.status])).toEqual([
      ['merged', 'flag', 'flag'],
      ['unused', 'flag', 'flag'],
    ]);
  });

  it('an unreadable creation time counts the minimum age from now, never from the past (as for delete)', () => {
    // classify() makes such a stack `unknown` (STACK_INCOMPLETE) first; plan() alone still never goes back in time.
    const broken = input(1, 'unused');
    broken.stack = { ...broken.stack, createdAt: '' };
    expect(plan([broken], stopping, limits, NOW).items[0]).toMatchObject({
      status: 'due',
      deleteAfter: ago(0),
    });
  });
});
