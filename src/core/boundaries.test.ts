import { describe, expect, it } from 'vitest';
import { ago, defaultPolicy, NOW, stack } from '../../test/helpers/fixtures.js';
import { parseDuration } from './duration.js';
import { projectKey, type Verdict } from './model.js';
import { type PlanInput, plan } from './plan.js';
import { globToRegExp } from './policy.js';
import { environmentSlug, refSlug } from './slug.js';

/** The edges of the core's arithmetic: where `<` against `<=` decides whether a stack is deleted. */

const policy = defaultPolicy();

function input(
  name: string,
  verdict: Verdict,
  since: string,
  over: { createdAt?: string; updatedAt?: string } = {},
): PlanInput {
  const s = stack({
    name,
    createdAt: over.createdAt ?? ago(72),
    ...(over.updatedAt ? { updatedAt: over.updatedAt } : {}),
  });
  return { stack: s, classification: { stackId: s.stackId, verdict, reasons: [], since } };
}
const dueOnes = (n: number) => Array.from({ length: n }, (_, i) => input(`d-${i}`, 'merged', ago(5)));
const kept = (n: number) => Array.from({ length: n }, (_, i) => input(`k-${i}`, 'active', ago(5)));

describe('plan boundaries', () => {
  it('the count brake engages above the limit, not at it', () => {
    expect(plan(dueOnes(3), policy, { maxDeletionsPerRun: 3, maxDeletionPercent: 100 }, NOW)).toMatchObject({
      due: 3,
      brake: null,
    });
    expect(plan(dueOnes(4), policy, { maxDeletionsPerRun: 3, maxDeletionPercent: 100 }, NOW)).toMatchObject({
      due: 0,
      brake: { kind: 'max-deletions', due: 4, inScope: 4, limit: 3 },
    });
  });

  it('the percent brake engages above the share, not at it; nothing due never brakes', () => {
    const limits = { maxDeletionsPerRun: 100, maxDeletionPercent: 25 };
    expect(plan([...dueOnes(1), ...kept(3)], policy, limits, NOW)).toMatchObject({ due: 1, brake: null });
    expect(plan([...dueOnes(2), ...kept(3)], policy, limits, NOW)).toMatchObject({
      due: 0,
      brake: { kind: 'max-percent' },
    });
    expect(plan(kept(3), policy, { maxDeletionsPerRun: 0, maxDeletionPercent: 0 }, NOW)).toMatchObject({
      due: 0,
      brake: null,
    });
  });

  it('due exactly when grace ends; waiting one millisecond before', () => {
    const grace = policy.graceMs.merged;
    const at = (sinceMs: number) =>
      plan(
        [input('s', 'merged', new Date(sinceMs).toISOString())],
        policy,
        { maxDeletionsPerRun: 10, maxDeletionPercent: 100 },
        NOW,
      ).items[0];
    expect(at(NOW - grace)).toMatchObject({ status: 'due', deleteAfter: new Date(NOW).toISOString() });
    expect(at(NOW - grace + 1)).toMatchObject({ status: 'waiting', waitingFor: 'grace' });
  });

  it('min-age counts from the later of creation and last update; a tie between grace and min-age reads grace', () => {
    const limits = { maxDeletionsPerRun: 10, maxDeletionPercent: 100 };
    const minAge = policy.minAgeHours * 3_600_000;
    const updated = plan(
      [
        input('s', 'merged', ago(100), {
          createdAt: ago(100),
          updatedAt: new Date(NOW - minAge / 2).toISOString(),
        }),
      ],
      policy,
      limits,
      NOW,
    ).items[0];
    expect(updated).toMatchObject({
      status: 'waiting',
      waitingFor: 'min-age',
      deleteAfter: new Date(NOW + minAge / 2).toISOString(),
    });
    const grace = policy.graceMs.merged;
    const tie = plan(
      [
        input('t', 'merged', new Date(NOW - grace + 1000).toISOString(), {
          createdAt: new Date(NOW - minAge + 1000).toISOString(),
        }),
      ],
      { ...policy, graceMs: { ...policy.graceMs, merged: minAge } },
      limits,
      NOW,
    ).items[0];
    expect(tie).toMatchObject({ status: 'waiting', waitingFor: 'grace' });
  });

  it('a notice window only counts when it is configured; items come out ordered by stack id', () => {
    const limits = { maxDeletionsPerRun: 10, maxDeletionPercent: 100 };
    const withNotice = (noticeMs: number) =>
      plan([{ ...input('n', 'merged', ago(5)), notice: {} }], { ...policy, noticeMs }, limits, NOW).items[0];
    expect(withNotice(0)?.status).toBe('due');
    expect(withNotice(3_600_000)).toMatchObject({ status: 'waiting', waitingFor: 'notice' });
    const p = plan(
      [input('c', 'active', ago(1)), input('a', 'active', ago(1)), input('b', 'active', ago(1))],
      policy,
      limits,
      NOW,
    );
    expect(p.items.map((i) => i.stackId.split('/')[1])).toEqual(['a', 'b', 'c']);
  });
});

describe('small core helpers', () => {
  it('projectKey prefers the id, else the path', () => {
    expect(projectKey({ matchedBy: 'tags', projectId: 0, projectPath: 'a/b' })).toBe('0');
    expect(projectKey({ matchedBy: 'tags', projectPath: 'a/b' })).toBe('a/b');
    expect(projectKey({ matchedBy: 'tags' })).toBeUndefined();
  });

  it('globs match whole names, with * as the only wildcard', () => {
    expect(globToRegExp('release/*').test('release/1.2')).toBe(true);
    expect(globToRegExp('release/*').test('xrelease/1')).toBe(false);
    expect(globToRegExp('v1.0').test('v1x0')).toBe(false);
    expect(globToRegExp('main').test('main2')).toBe(false);
    expect(globToRegExp('a+b').test('a+b')).toBe(true);
  });

  it('durations: several units and several digits; anything else is not a duration', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('1h ')).toBeUndefined();
  });

  it('slugs: every leading and trailing dash trimmed; environment slugs collapse dashes and end in a dash before the suffix', () => {
    expect(refSlug('--a--')).toBe('a');
    expect(refSlug('//x//')).toBe('x');
    const hex = 'f'.repeat(64);
    expect(environmentSlug('a--b', hex)).toMatch(/^a-b-[a-z0-9]{6}$/);
    expect(environmentSlug('abcdefghijklmnopqrstuvwxyz', hex)).toMatch(/^abcdefghijklmnopq-[a-z0-9]{6}$/);
    expect(environmentSlug('abcdefghijklmnop-qrstuvwxyz', hex)).toMatch(/^abcdefghijklmnop-[a-z0-9]{6}$/);
    expect(environmentSlug('review', hex)).toBe('review');
  });
});
