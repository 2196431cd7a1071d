import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anySnapshotArb,
  base,
  Coverage,
  numRuns,
  record,
  time,
} from '../../test/helpers/core-arbitraries.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { classify } from '../core/classify.js';
import type { StackSnapshot } from '../core/model.js';
import { dateMatters } from './graphql-prefetch.js';

/**
 * GraphQL reads a branch's last commit date only where a verdict can depend on it (`dateMatters`): for
 * every branch it calls "does not matter", any date (or none) gives the very same classification —
 * verdict, reasons with their words and times, and the time the verdict holds since.
 */
describe('lazy commit dates', () => {
  it('a date dateMatters skips never changes a classification', (ctx) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(anySnapshotArb, time, time, (snapshot, a, b) => {
        cov.hit('cases');
        const { branches, mergeRequests } = snapshot.gitlab;
        if (!branches?.ok || !mergeRequests?.ok) return;
        const facts = { kind: 'all' as const, items: mergeRequests.value, sawAll: true };
        for (const [i, branch] of branches.value.entries()) {
          if (dateMatters(branch, facts)) {
            cov.hit('read');
            continue;
          }
          cov.hit('skipped');
          cov.hit('skipped: protected', branch.protected);
          cov.hit('skipped: merged', !branch.protected);
          const withDate = (at: string | undefined): StackSnapshot => {
            const value = branches.value.map((x, j) => {
              if (j !== i) return x;
              const { committedAt: _drop, ...rest } = x;
              return at === undefined ? rest : { ...rest, committedAt: at };
            });
            return { ...snapshot, gitlab: { ...snapshot.gitlab, branches: { ok: true, value } } };
          };
          const none = classify(withDate(undefined), base, NOW);
          expect(classify(withDate(a), base, NOW)).toEqual(none);
          expect(classify(withDate(b), base, NOW)).toEqual(none);
          cov.hit('skipped where the verdict could be deleting', ['merged'].includes(none.verdict));
        }
      }),
      { numRuns: Math.max(numRuns, 500) },
    );
    record(ctx.task, cov);
    cov.require('skipped: protected', 10);
    cov.require('skipped: merged', 10);
    cov.require('skipped where the verdict could be deleting', 10);
    cov.require('read', 10);
  });
});
