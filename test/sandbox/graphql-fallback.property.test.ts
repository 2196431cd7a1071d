import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { audit } from '../../src/run/audit.js';
import { Coverage, record } from '../helpers/core-arbitraries.js';
import { decisions, quietWorld, withEnvironments, withRules } from '../helpers/graphql-worlds.js';
import { inProcessWorld } from '../helpers/in-process.js';

/**
 * Random worlds (sizes, seeds, messy tagging: paths in any case, renamed projects, slug-only stacks,
 * huge projects, wildcard protection rules, environments) and random ways GraphQL falls short (disabled,
 * fields and arguments an older GitLab lacks, a Developer token, a higher price, resolver errors): the
 * audit with `gitlab.api: auto` decides every stack as the REST audit does, and says what REST served.
 * In process (the sandbox's routes and GraphQL endpoint as functions) so many worlds run in seconds.
 */

const numRuns = Number(process.env.GQL_RUNS ?? Math.min(60, Number(process.env.FC_NUM_RUNS ?? 60)));

const WITHOUT = [
  'Repository.branchNames',
  'Repository.tree',
  'Query.projects(fullPaths)',
  'Query.projects(ids)',
  'Project.mergeRequests(sourceBranches)',
  'Project.environment',
  'Project.branchRules',
] as const;

const worldArb = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  projects: fc.integer({ min: 1, max: 8 }),
  perProject: fc.integer({ min: 1, max: 8 }),
  branches: fc.integer({ min: 1, max: 400 }),
  messy: fc.boolean(),
  rules: fc.boolean(),
  environments: fc.boolean(),
  disabled: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  without: fc.subarray([...WITHOUT], { maxLength: 2 }),
  developer: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  price: fc.constantFrom(1, 1, 1, 1.3, 1.6),
});

describe('GraphQL fallbacks (property)', () => {
  it('auto decides every stack as REST does, whatever GraphQL cannot serve', async (ctx) => {
    const cov = new Coverage();
    await fc.assert(
      fc.asyncProperty(worldArb, async (w) => {
        cov.hit('cases');
        const g = quietWorld(
          { stacks: w.projects * w.perProject, projects: w.projects, branches: w.projects * w.branches },
          { seed: w.seed, messy: w.messy },
        );
        const gitlab = g.gitlab;
        if (w.rules) withRules(gitlab);
        if (w.environments) withEnvironments(g.scenario);
        gitlab.graphql = { enabled: !w.disabled, without: w.without, complexityFactor: w.price };
        if (w.developer) gitlab.tokenRoles = { 'in-process': 'developer' };
        const config = parseConfig({ aws: { regions: ['eu-west-1', 'us-east-1'] }, gitlab: { api: 'rest' } });
        const rest = await audit(config, inProcessWorld(g.scenario).deps, { runId: 'r', mode: 'dry-run' });
        const auto = await audit(
          parseConfig({ aws: { regions: ['eu-west-1', 'us-east-1'] }, gitlab: { api: 'auto' } }),
          inProcessWorld(g.scenario, 60_000, { graphql: true }).deps,
          { runId: 'a', mode: 'dry-run' },
        );
        expect(decisions(auto)).toEqual(decisions(rest));
        expect(auto.errors.length).toBe(rest.errors.length);
        const fallbacks = auto.gitlabApi?.fallbacks ?? {};
        for (const [c, reason] of Object.entries(fallbacks)) cov.hit(`fallback: ${c}`, reason.length > 0);
        cov.hit('no fallback at all', Object.keys(fallbacks).length === 0);
        cov.hit('renamed project (REST resolves it)', (auto.gitlabApi?.served.projects?.rest ?? 0) > 0);
        cov.hit(
          'protected by a rule',
          decisions(rest).some((d) => d.reasons.some((r) => r.startsWith('PROTECTED_BRANCH'))),
        );
        cov.hit(
          'a due deletion',
          decisions(rest).some((d) => d.status === 'due'),
        );
      }),
      { numRuns },
    );
    record(ctx.task, cov);
    for (const c of ['projects', 'branches', 'commitDates', 'mergeRequests', 'environments'])
      cov.require(`fallback: ${c}`, 2);
    for (const what of [
      'no fallback at all',
      'renamed project (REST resolves it)',
      'protected by a rule',
      'a due deletion',
    ])
      cov.require(what, 2);
  }, 120_000);
});
