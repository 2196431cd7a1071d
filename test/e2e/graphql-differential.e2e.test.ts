import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generate, MESSY } from '../../bench/world.js';
import type { Report } from '../../src/report/json-report.js';
import { auditJson, closeSandboxes, sandbox, validateReport } from '../helpers/audit-e2e.js';
import { configFile, runCli } from '../helpers/cli.js';

/**
 * GraphQL against REST (issue #24): for each world, the built CLI's audit in `rest`, `auto` and `graphql`
 * mode gives the same verdicts and the same reasons, stack for stack, whatever GraphQL could or could not
 * serve; `auto` spends far fewer requests; a fallback is said in the report (and, in `graphql` mode, is
 * an error of the run).
 */

afterEach(closeSandboxes);

type Api = 'rest' | 'auto' | 'graphql';

/**
 * What must not differ between the APIs: each stack's verdict, its reasons (code and words), its action.
 * A failed read's words name the call that failed, which differs by API: for those only the code counts.
 */
function decisions(report: Report) {
  return report.environments
    .map((e) => ({
      stack: e.stack.name,
      verdict: e.verdict,
      action: e.action,
      reasons: e.reasons.map((r) => (r.code === 'GITLAB_ERROR' ? r.code : `${r.code}: ${r.detail}`)),
    }))
    .sort((a, b) => (a.stack < b.stack ? -1 : 1));
}

const gitlabCalls = (r: Report) => Object.values(r.apiCalls.calls.gitlab ?? {}).reduce((a, b) => a + b, 0);

/** Audits one world in each mode (a fresh sandbox each, so no mode sees another's requests). */
async function auditEach(
  scenario: Record<string, unknown>,
  config: Record<string, unknown>,
  apis: Api[] = ['rest', 'auto', 'graphql'],
) {
  const out = {} as Record<Api, Awaited<ReturnType<typeof auditJson>>>;
  for (const api of apis) {
    const sb = await sandbox(structuredClone(scenario));
    const gitlab = { ...((config.gitlab as object) ?? {}), api };
    out[api] = await auditJson(sb, { ...config, gitlab });
    expect(validateReport(out[api].report), JSON.stringify(validateReport.errors)).toBe(true);
  }
  return out;
}

const benchConfig = { aws: { regions: ['eu-west-1', 'us-east-1'] }, gitlab: { concurrency: 8 } };

/** A generated bench world without latency or rate limit (the bench measures those). */
function world(size: { stacks: number; projects: number; branches: number }, messy: boolean, seed = 7) {
  const w = generate(size, { seed, latency: { gitlab: 0, aws: 0 }, ...(messy ? { mess: MESSY } : {}) });
  const gitlab = w.scenario.gitlab as Record<string, unknown>;
  gitlab.requestsPerMinute = 0;
  gitlab.budgetUsedByOthers = 0;
  (w.scenario.aws as Record<string, unknown>).cfnRequestsPerSecond = 0;
  return w;
}

describe('the same verdicts through GraphQL as through REST', () => {
  it('the demo world (a degraded project, renamed and gone projects, slugs, environments, tiers)', async () => {
    const scenario = parse(readFileSync('test/scenarios/demo.yaml', 'utf8')) as Record<string, unknown>;
    const config = parse(readFileSync('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<
      string,
      unknown
    >;
    const r = await auditEach(scenario, config);
    expect(decisions(r.auto.report)).toEqual(decisions(r.rest.report));
    expect(decisions(r.graphql.report)).toEqual(decisions(r.rest.report));
    // The broken project is just as unknown (and the run as degraded) through GraphQL.
    expect(r.auto.code).toBe(r.rest.code);
    // The same stacks named by the errors (REST failed per branch lookup, GraphQL once for the listing).
    const affected = (x: Report) => [...new Set(x.errors.flatMap((e) => e.stacks ?? []))].sort();
    expect(affected(r.auto.report)).toEqual(affected(r.rest.report));
    expect(affected(r.auto.report).length).toBeGreaterThan(0);
    expect(r.auto.report.errors.map((e) => e.scope)).toContain('gitlab:project 104 branches');
    expect(r.auto.report.gitlabApi).toMatchObject({ mode: 'auto' });
    expect(r.rest.report.gitlabApi).toBeUndefined();
    expect(r.auto.report.gitlabApi?.maxComplexity).toBeLessThanOrEqual(250);
  }, 120_000);

  it('the demo world on an older GitLab (graphql-ruby’s validation errors): REST’s verdicts and exit code', async () => {
    const scenario = parse(readFileSync('test/scenarios/demo.yaml', 'utf8')) as Record<string, unknown>;
    const lacking = [
      'Project.branchRules',
      'Environment.tier',
      'Project.mergeRequests(sourceBranches)',
      'Query.projects(fullPaths)',
    ];
    const gitlab = scenario.gitlab as Record<string, unknown>;
    gitlab.graphql = { ...((gitlab.graphql as object) ?? {}), without: lacking };
    const config = parse(readFileSync('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<
      string,
      unknown
    >;
    const r = await auditEach(scenario, config, ['rest', 'auto']);
    expect(decisions(r.auto.report)).toEqual(decisions(r.rest.report));
    expect(r.auto.code).toBe(r.rest.code);
    const said = Object.values(r.auto.report.gitlabApi?.fallbacks ?? {}).join('\n');
    for (const item of lacking) expect(said).toContain(item);
    // Project lookups by id stayed in GraphQL: only what needs a missing item went to REST.
    expect(r.auto.report.gitlabApi?.served.projects?.graphql).toBeGreaterThan(0);
  }, 120_000);

  for (const messy of [false, true]) {
    it(`the bench's S world, ${messy ? 'messy' : 'clean'}: same verdicts at a fraction of the requests`, async () => {
      const w = world({ stacks: 1_000, projects: 100, branches: 20_000 }, messy);
      const r = await auditEach(w.scenario, benchConfig);
      expect(decisions(r.auto.report)).toEqual(decisions(r.rest.report));
      expect(decisions(r.graphql.report)).toEqual(decisions(r.rest.report));
      for (const e of r.auto.report.environments) expect(e.verdict).toBe(w.truth.get(e.stack.name));
      expect(r.auto.code).toBe(0);
      expect(r.graphql.code).toBe(0);
      // GraphQL served every capability, and cut the GitLab requests by at least four.
      const api = r.auto.report.gitlabApi;
      expect(api?.fallbacks).toEqual({});
      expect(api?.served.mergeRequests?.graphql).toBeGreaterThan(0);
      expect(api?.served.branches?.rest).toBe(0);
      expect(gitlabCalls(r.auto.report) * 4).toBeLessThanOrEqual(gitlabCalls(r.rest.report));
    }, 180_000);
  }
});

/** A small messy world (renamed paths, slugs, huge projects) for the fallback cases. */
const small = () => world({ stacks: 240, projects: 24, branches: 2_400 }, true, 11);

/** Each way GraphQL can fall short, and the capability REST must then serve. */
/** Each GraphQL shortfall (the sandbox's `gitlab.graphql` switches) and the capability it sends to REST. */
const FALLBACKS: { name: string; graphql: Record<string, unknown>; capability: string }[] = [
  { name: 'GraphQL disabled (404)', graphql: { enabled: false }, capability: 'projects' },
  {
    name: 'no Repository.branchNames (an older GitLab)',
    graphql: { without: ['Repository.branchNames'] },
    capability: 'branches',
  },
  {
    name: 'no projects(fullPaths:)',
    graphql: { without: ['Query.projects(fullPaths)'] },
    capability: 'projects',
  },
  {
    name: 'no mergeRequests(sourceBranches:)',
    graphql: { without: ['Project.mergeRequests(sourceBranches)'] },
    capability: 'mergeRequests',
  },
  { name: 'no Repository.tree', graphql: { without: ['Repository.tree'] }, capability: 'commitDates' },
  {
    name: 'no Project.branchRules (before GitLab 15.8)',
    graphql: { without: ['Project.branchRules'] },
    capability: 'branches',
  },
  {
    name: 'no Environment.tier (before GitLab 15.4)',
    graphql: { without: ['Environment.tier'] },
    capability: 'environments',
  },
  {
    name: 'no Project.environment',
    graphql: { without: ['Project.environment'] },
    capability: 'environments',
  },
];

describe('falling back to REST per capability', () => {
  for (const f of FALLBACKS) {
    it(`${f.name}: auto falls back with the same verdicts; graphql says so with exit 1`, async () => {
      const w = small();
      const gitlab = w.scenario.gitlab as Record<string, unknown>;
      gitlab.graphql = f.graphql;
      // Environments are part of the evidence when stacks name one: tag a few, with their environments.
      if (f.capability === 'environments') withEnvironments(w.scenario);
      const r = await auditEach(w.scenario, benchConfig);
      expect(decisions(r.auto.report)).toEqual(decisions(r.rest.report));
      expect(decisions(r.graphql.report)).toEqual(decisions(r.rest.report));
      expect(r.auto.report.gitlabApi?.fallbacks[f.capability]).toMatch(/./);
      // The report names what the instance lacks (graphql-ruby's validation error, read by its path).
      const without = (f.graphql.without as string[] | undefined)?.[0];
      if (without) expect(r.auto.report.gitlabApi?.fallbacks[f.capability]).toContain(without);
      expect(r.auto.code).toBe(0);
      expect(r.graphql.code).toBe(1);
      expect(r.graphql.report.errors.map((e) => e.code)).toContain('GRAPHQL_UNSUPPORTED');
    }, 120_000);
  }

  it('a Developer token (no branch rules): branches from REST, said in the report, same verdicts', async () => {
    const w = small();
    (w.scenario.gitlab as Record<string, unknown>).tokenRoles = { 'glpat-sandbox-token': 'developer' };
    const r = await auditEach(w.scenario, benchConfig, ['rest', 'auto']);
    expect(decisions(r.auto.report)).toEqual(decisions(r.rest.report));
    expect(r.auto.report.gitlabApi?.served.branches?.graphql).toBe(0);
    expect(r.auto.report.gitlabApi?.fallbacks.branches).toMatch(/cannot read the protected branch rules/);
    expect(r.auto.code).toBe(0);
  }, 120_000);

  it('a CI job token (no GraphQL for it): auto reads REST and says why; graphql is refused before any call', async () => {
    const w = small();
    const sb = await sandbox(w.scenario);
    const file = await configFile(benchConfig);
    const env = { ...sb.env(), GITLAB_TOKEN: '', CI_JOB_TOKEN: sb.gitlabToken };
    const auto = await runCli(['audit', '--config', file, '--format', 'json'], env);
    expect(auto.code, auto.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(auto.stdout) as Report;
    expect(report.gitlabApi?.graphqlRequests).toBe(0);
    expect(report.gitlabApi?.fallbacks.all).toMatch(/CI job token/);
    expect(sb.world.requests.some((q) => q.operation === 'POST /api/graphql')).toBe(false);
    const before = sb.world.requests.length;
    const strict = await runCli(['audit', '--config', file], { ...env, ENV_REAPER_GITLAB_API: 'graphql' });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/CI job token cannot use GitLab GraphQL/);
    expect(sb.world.requests.length).toBe(before);
  }, 120_000);

  it('wildcard protection rules are matched as GitLab matches them', async () => {
    const w = small();
    const projects = (w.scenario.gitlab as { projects: Record<string, unknown>[] }).projects;
    // Rules that protect some review branches and not others (`*` crosses `/`, the rest is literal).
    projects.forEach((p, i) => {
      p.protectedBranchRules =
        i % 3 === 0 ? [`feature/p${p.id}-s1*`] : i % 3 === 1 ? ['*/p*-s2'] : ['feature.p*'];
    });
    const r = await auditEach(w.scenario, benchConfig, ['rest', 'auto']);
    expect(decisions(r.auto.report)).toEqual(decisions(r.rest.report));
    const rest = decisions(r.rest.report);
    expect(
      rest.filter((d) => d.reasons.some((x) => x.startsWith('PROTECTED_BRANCH'))).length,
    ).toBeGreaterThan(5);
  }, 120_000);
});

/** Gives every tenth stack an environment tag and its project the environment (some in a protected tier). */
function withEnvironments(scenario: Record<string, unknown>): void {
  const gitlab = scenario.gitlab as { projects: { id: number; environments?: unknown[] }[] };
  const regions = (
    scenario.aws as { accounts: { regions: Record<string, { stacks: Record<string, unknown>[] }> }[] }
  ).accounts[0]?.regions;
  let n = 0;
  for (const region of Object.values(regions ?? {}))
    for (const s of region.stacks) {
      if (n++ % 10 !== 0) continue;
      const tags = s.tags as Record<string, string>;
      const id = Number(tags['gitlab:project-id'] ?? Number.NaN);
      const p = gitlab.projects.find((x) => x.id === id);
      if (!p) continue;
      const name = `review/${s.name as string}`;
      tags['gitlab:environment'] = name;
      p.environments = [...(p.environments ?? []), { name, tier: n % 20 === 1 ? 'staging' : 'development' }];
    }
}
