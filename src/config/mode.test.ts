import { describe, expect, it } from 'vitest';
import { writesAllowed } from './mode.js';

describe('writesAllowed', () => {
  it('--apply, an approved plan or mode apply allow writes; --plan-out never does', () => {
    const dry = { mode: 'dry-run' as const };
    const apply = { mode: 'apply' as const };
    expect(writesAllowed(dry, {})).toBe(false);
    expect(writesAllowed(dry, { apply: true })).toBe(true);
    expect(writesAllowed(dry, { applyPlan: true })).toBe(true);
    expect(writesAllowed(apply, {})).toBe(true);
    expect(writesAllowed(apply, { planOut: true })).toBe(false);
    expect(writesAllowed(dry, { apply: true, planOut: true })).toBe(false);
  });
});
