import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/errors.js';
import { checkReapFlags, writesAllowed } from './mode.js';

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

describe('checkReapFlags', () => {
  it('refuses a plan with --apply or --apply-plan, and a --plan-ttl that is not a duration', () => {
    expect(() => checkReapFlags({ planOut: 'p.json', apply: true })).toThrow(UsageError);
    expect(() => checkReapFlags({ planOut: 'p.json', applyPlan: 'q.json' })).toThrow(
      /does not go with --apply/,
    );
    expect(() => checkReapFlags({ planTtl: 'soon' })).toThrow(
      '--plan-ttl: "soon" is not a duration (e.g. 24h)',
    );
  });

  it('gives the plan TTL in ms, 24h by default', () => {
    expect(checkReapFlags({})).toEqual({ ttlMs: 86_400_000 });
    expect(checkReapFlags({ planOut: 'p.json', planTtl: '2h' })).toEqual({ ttlMs: 7_200_000 });
  });
});
