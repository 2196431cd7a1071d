import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { RunResult } from '../../src/core/run-result.js';
import { everySchemaItem } from '../../src/gitlab/graphql-planner.js';
import { audit } from '../../src/run/audit.js';
import { decisions, quietWorld, withEnvironments, withRules } from '../helpers/graphql-worlds.js';
import { inProcessWorld } from '../helpers/in-process.js';

/**
 * The fallback matrix (issue #32), generated from the planner: for every field and every argument its
 * documents can use (`everySchemaItem()`, read from the documents themselves), a GitLab whose GraphQL
 * lacks exactly that one answers as graphql-ruby does (the sandbox's validation errors), and the audit
 * in `auto` gives REST's verdicts, reasons, actions and errors, and names the missing item in
 * `gitlabApi.fallbacks`. Plus GraphQL switched off and a Developer token. In process, one world.
 */

/** A messy world: ids and paths in any case, renamed projects, slug-only stacks, rules, environments. */
function scenario(graphql: Record<string, unknown>, developer = false): Record<string, unknown> {
  const g = quietWorld({ stacks: 48, projects: 8, branches: 800 }, { seed: 32, messy: true });
  const gitlab = g.gitlab;
  withRules(gitlab);
  withEnvironments(g.scenario);
  gitlab.graphql = graphql;
  if (developer) gitlab.tokenRoles = { 'in-process': 'developer' };
  return g.scenario;
}

const REGIONS = { regions: ['eu-west-1', 'us-east-1'] };
const run = (s: Record<string, unknown>, api: 'rest' | 'auto') =>
  audit(
    parseConfig({ aws: REGIONS, gitlab: { api } }),
    inProcessWorld(s, 60_000, { graphql: api !== 'rest' }).deps,
    { runId: api, mode: 'dry-run' },
  );

let rest: RunResult;
beforeAll(async () => {
  rest = await run(scenario({}), 'rest');
});

describe('the fallback matrix: GraphQL without one field or argument', () => {
  const items = everySchemaItem();

  it('covers every field and argument the planner uses', () => {
    expect(items.length).toBeGreaterThanOrEqual(60);
    expect(items).toContain('Project.branchRules');
    expect(items).toContain('Query.projects(fullPaths)');
  });

  it('the REST run it is compared with: verdicts of every kind, nothing failed', () => {
    const verdicts = new Set(rest.environments.map((e) => e.classification.verdict));
    for (const v of ['merged', 'branch-deleted', 'active', 'protected']) expect(verdicts).toContain(v);
    expect(rest.errors).toEqual([]);
  });

  for (const item of items)
    it(`without ${item}: REST's decisions and errors, the item named`, async () => {
      const auto = await run(scenario({ without: [item] }), 'auto');
      expect(decisions(auto)).toEqual(decisions(rest));
      expect(auto.errors).toEqual(rest.errors);
      const fallbacks = Object.values(auto.gitlabApi?.fallbacks ?? {});
      expect(
        fallbacks.some((r) => r.includes(item)),
        JSON.stringify(auto.gitlabApi),
      ).toBe(true);
    });

  it('GraphQL switched off (404): REST reads all, the same decisions', async () => {
    const auto = await run(scenario({ enabled: false }), 'auto');
    expect(decisions(auto)).toEqual(decisions(rest));
    expect(auto.errors).toEqual([]);
    expect(auto.gitlabApi?.fallbacks.projects).toMatch(/not available/);
  });

  it('a Developer token (no branch rules): protection from REST, the same decisions', async () => {
    const auto = await run(scenario({}, true), 'auto');
    const restDev = await run(scenario({}, true), 'rest');
    expect(decisions(auto)).toEqual(decisions(restDev));
    expect(auto.gitlabApi?.fallbacks.branches).toMatch(/cannot read the protected branch rules/);
  });
});
