import { generate, MESSY, type Mess, type Size } from '../../bench/world.js';
import type { RunResult } from '../../src/core/run-result.js';

/**
 * Generated bench worlds for the GraphQL tests (fallbacks, the fallback matrix, error attribution): no
 * latency, no rate limit, no budget spent by others (the bench measures those), and the additions the
 * GraphQL cases need: protection rules and environments.
 */

/** The GitLab part of a generated scenario, as the tests change it. */
export type GitLabScenario = { projects: Record<string, unknown>[] } & Record<string, unknown>;

/** A generated world without latency or rate limit; `messy` tags it the ways real estates are. */
export function quietWorld(size: Size, options: { seed: number; messy?: boolean; mess?: Mess }) {
  const mess = options.mess ?? (options.messy ? MESSY : undefined);
  const g = generate(size, { seed: options.seed, latency: { gitlab: 0, aws: 0 }, ...(mess ? { mess } : {}) });
  const gitlab = g.scenario.gitlab as GitLabScenario;
  gitlab.requestsPerMinute = 0;
  gitlab.budgetUsedByOthers = 0;
  return { ...g, gitlab };
}

/** Wildcard protection rules that protect some review branches and not others. */
export function withRules(gitlab: GitLabScenario): void {
  gitlab.projects.forEach((p, i) => {
    p.protectedBranchRules = [i % 2 ? `feature/p${p.id}-s1*` : '*-s2'];
  });
}

/** Every third stack names an environment its project has (some in a protected tier). */
export function withEnvironments(scenario: Record<string, unknown>): void {
  const gitlab = scenario.gitlab as { projects: { id: number; environments?: unknown[] }[] };
  const account = (
    scenario.aws as { accounts: { regions: Record<string, { stacks: Record<string, unknown>[] }> }[] }
  ).accounts[0];
  let n = 0;
  for (const region of Object.values(account?.regions ?? {}))
    for (const s of region.stacks) {
      if (n++ % 3 !== 0) continue;
      const tags = s.tags as Record<string, string>;
      const p = gitlab.projects.find((x) => x.id === Number(tags['gitlab:project-id']));
      if (!p) continue;
      const name = `review/${s.name as string}`;
      tags['gitlab:environment'] = name;
      p.environments = [...(p.environments ?? []), { name, tier: n % 4 === 1 ? 'staging' : 'development' }];
    }
}

/**
 * What must not differ between GraphQL and REST, stack by stack: verdict, action, status and reasons
 * (code and words). A failed read's words name the call that failed, which differs by API: for those
 * only the code counts.
 */
export function decisions(r: RunResult) {
  return r.environments
    .map((e) => ({
      stack: e.stack.name,
      verdict: e.classification.verdict,
      action: e.plan.action,
      status: e.plan.status,
      reasons: e.classification.reasons.map((x) =>
        x.code === 'GITLAB_ERROR' ? x.code : `${x.code}: ${x.detail}`,
      ),
    }))
    .sort((a, b) => (a.stack < b.stack ? -1 : 1));
}
