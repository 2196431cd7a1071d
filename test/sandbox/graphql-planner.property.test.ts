import fc from 'fast-check';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { depth, GITLAB_LIMITS } from '../../src/gitlab/graphql-document.js';
import {
  type Batch,
  planBranchNames,
  planCommitDates,
  planEnvironments,
  planMergeRequests,
  planProjects,
} from '../../src/gitlab/graphql-planner.js';
import { protectedBy } from '../../src/gitlab/protection.js';
import { Coverage, numRuns, record } from '../helpers/core-arbitraries.js';
import { price, schemaWithout } from './gitlab-graphql.js';
import { isProtected } from './gitlab-json.js';
import type { SandboxProject } from './world-types.js';

/**
 * The planner's documents against GitLab's limits, priced twice: by the planner's own rules and by the
 * sandbox's, which parses the printed text with graphql-js and walks it over the schema. Both must
 * agree, every document must validate, and every item must be asked exactly once.
 */

const schema = schemaWithout();

const name = fc
  .array(fc.constantFrom('a', 'b', 'z', '0', '9', '-', '_', '.', '/', 'é', '"', '\\', ' '), {
    minLength: 1,
    maxLength: 120,
  })
  .map((c) => c.join(''));
const path = fc
  .tuple(name, name)
  .map(([g, p]) => `${g.replace(/[^a-z0-9]/g, 'g') || 'g'}/${p.replace(/[^a-z0-9-]/g, 'p') || 'p'}`);

function check<T>(batches: Batch<T>[], items: T[], cov: Coverage, what: string): void {
  const seen: T[] = [];
  for (const b of batches) {
    expect(b.complexity).toBeLessThanOrEqual(GITLAB_LIMITS.maxComplexity);
    expect(depth(b.query)).toBeLessThanOrEqual(GITLAB_LIMITS.maxDepth);
    expect(b.text.length).toBeLessThanOrEqual(GITLAB_LIMITS.maxQueryChars);
    const doc = parse(b.text);
    expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
    // The sandbox prices the text as GitLab would: the planner's own figure must be the same.
    expect(price(schema, doc, b.variables).complexity).toBe(b.complexity);
    const paths = b.variables.keys;
    if (Array.isArray(paths) && b.query.name.endsWith('ByPath'))
      expect(paths.length).toBeLessThanOrEqual(GITLAB_LIMITS.maxFullPaths);
    seen.push(...b.items);
    cov.hit(`${what}: near the limit`, b.complexity > GITLAB_LIMITS.maxComplexity * 0.8);
  }
  expect(seen).toEqual(items);
  cov.hit(`${what}: several batches`, batches.length > 1);
}

describe('the GraphQL planner', () => {
  it('every document is valid, within every limit, priced as the sandbox prices it, and asks each item once', (ctx) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uniqueArray(fc.integer({ min: 1, max: 10_000_000 }), { maxLength: 30 }),
          fc.uniqueArray(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 35, maxLength: 260 }),
        ),
        fc.uniqueArray(path, { maxLength: 130 }),
        fc.array(fc.uniqueArray(name, { maxLength: 6 }), { maxLength: 150 }),
        fc.oneof(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), name), { maxLength: 10 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), name), { minLength: 20, maxLength: 120 }),
        ),
        (ids, paths, refs, aliased) => {
          cov.hit('cases');
          const keys = [...ids.map((id) => ({ id })), ...paths.map((p) => ({ path: p }))];
          check(
            planProjects(keys),
            [...keys.filter((k) => 'id' in k), ...keys.filter((k) => 'path' in k)],
            cov,
            'projects',
          );
          const needs = refs.map((r, i) =>
            i % 5 === 4 ? { projectId: i + 1 } : { projectId: i + 1, refs: r },
          );
          check(
            planMergeRequests(needs),
            [...needs.filter((n) => 'refs' in n), ...needs.filter((n) => !('refs' in n))],
            cov,
            'merge requests',
          );
          check(planBranchNames(ids), ids, cov, 'branch names');
          const items = aliased.map(([p, key]) => ({ projectPath: `group/project-${p}`, key }));
          check(planCommitDates(items), items, cov, 'commit dates');
          check(planEnvironments(items), items, cov, 'environments');
          // Same input, same documents.
          expect(planCommitDates(items).map((b) => b.text)).toEqual(
            planCommitDates(items).map((b) => b.text),
          );
        },
      ),
      { numRuns: Math.min(numRuns, 150) },
    );
    record(ctx.task, cov);
    for (const what of ['projects', 'merge requests', 'branch names', 'commit dates', 'environments'])
      cov.require(`${what}: several batches`, 5);
    cov.require('commit dates: near the limit', 5);
    cov.require('branch names: near the limit', 5);
  });

  it('a smaller budget (GitLab priced a batch higher) gives smaller batches under it', () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ projectPath: `g/p${i % 4}`, key: `feature/${i}` }));
    const full = planCommitDates(items);
    const tight = planCommitDates(items, 120);
    expect(tight.length).toBeGreaterThan(full.length);
    for (const b of tight) expect(b.complexity).toBeLessThanOrEqual(120);
  });

  it('sizes that follow from GitLab’s figures: 17 dates of one project, 41 branch listings, 100 projects per POST', () => {
    const dates = planCommitDates(
      Array.from({ length: 100 }, (_, i) => ({ projectPath: 'g/p', key: `r${i}` })),
    );
    expect(dates[0]?.items.length).toBe(17);
    expect(planBranchNames(Array.from({ length: 400 }, (_, i) => i + 1))[0]?.items.length).toBe(41);
    expect(planProjects(Array.from({ length: 400 }, (_, i) => ({ id: i + 1 })))[0]?.items.length).toBe(100);
    expect(planProjects(Array.from({ length: 400 }, (_, i) => ({ path: `g/p${i}` })))[0]?.items.length).toBe(
      50,
    );
  });
});

describe('protected branch rules', () => {
  it('the product matches rules as the sandbox (GitLab’s RefMatcher) does', (ctx) => {
    const cov = new Coverage();
    const piece = fc
      .array(fc.constantFrom('a', 'b', '/', '.', '-', '*', '?', '[', '(', '$'), { maxLength: 6 })
      .map((c) => c.join(''));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 4 }), piece, (rules, branch) => {
        cov.hit('cases');
        const project = { branches: new Map(), protectedBranchRules: rules } as unknown as SandboxProject;
        const want = isProtected(project, branch);
        expect(protectedBy(rules, branch)).toBe(want);
        cov.hit('protected by a wildcard', want && rules.some((r) => r.includes('*') && r !== branch));
        cov.hit('not protected although a wildcard rule exists', !want && rules.some((r) => r.includes('*')));
      }),
      { numRuns: Math.min(numRuns * 3, 3000) },
    );
    record(ctx.task, cov);
    cov.require('protected by a wildcard', 20);
    cov.require('not protected although a wildcard rule exists', 20);
  });

  it('examples from GitLab’s documentation', () => {
    expect(protectedBy(['release/*'], 'release/1.0')).toBe(true);
    expect(protectedBy(['release/*'], 'release/a/b')).toBe(true);
    expect(protectedBy(['release/*'], 'Release/1.0')).toBe(false);
    expect(protectedBy(['*-stable'], 'production-stable')).toBe(true);
    expect(protectedBy(['*-stable'], 'stable')).toBe(false);
    expect(protectedBy(['main'], 'main2')).toBe(false);
    expect(protectedBy(['ma.n'], 'main')).toBe(false);
    expect(protectedBy([''], '')).toBe(false);
  });
});
