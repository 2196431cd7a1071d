import type {
  BranchFacts,
  EnvironmentFacts,
  Evidence,
  EvidenceError,
  MergeRequestFacts,
  ProjectFacts,
} from '../core/model.js';
import type { RunError } from '../core/run-result.js';
import { refSlug } from '../core/slug.js';
import { type Facts, fail, ok, type Place, scoped } from './facts.js';
import type { MergeRequestNeed, ProjectItem } from './graphql-planner.js';
import {
  type Answer,
  type BranchNames,
  type Capability,
  type GraphqlReads,
  Unsupported,
} from './graphql-reads.js';
import { protectedBy } from './protection.js';

/**
 * Reads the facts of every project at once through GraphQL, before the per-project step: merge requests,
 * branches (names, protection from the project's rules, and last commit dates only where a verdict can
 * depend on them) and environments by name. What GraphQL cannot answer for a project (a capability the
 * instance lacks, a token that cannot read branch rules, more than a page) is left out: the per-project
 * step reads it from REST, as without GraphQL.
 */

/** What the prefetch needs of one project (the collector's per-project needs). */
export interface ProjectNeeds {
  project: ProjectFacts;
  /** How errors name the project (`gitlab:project acme/shop`). */
  place: Place;
  refs: Set<string>;
  slugs: Set<string>;
  envNames: Set<string>;
  /** Protected branch rules, when the token may read them all; `null`: REST reads the branches. */
  protectedRules: string[] | null;
}

/** The facts GraphQL answered for one project; an absent kind is read from REST. */
export interface Prefetched {
  branches?: Facts<BranchFacts>;
  mergeRequests?: Facts<MergeRequestFacts>;
  environments?: Facts<EnvironmentFacts>;
}

/** Per capability, how many projects each API served (the report's `gitlabApi.served`). */
export type Served = Record<Capability, { graphql: number; rest: number }>;

/** Refs per 100 branches above which a REST branch page is cheaper than GraphQL dates (≈ 18 per POST). */
const DATES_PER_POST = 18;

const wanted = (n: ProjectNeeds) => (name: string) =>
  n.refs.has(name) || (n.slugs.size > 0 && n.slugs.has(refSlug(name)));

/** Runs one capability, turning `Unsupported` into "nothing prefetched" (REST reads it all). */
async function guarded<T>(
  reads: GraphqlReads,
  capability: Capability,
  run: () => Promise<T>,
): Promise<T | null> {
  if (!reads.serves(capability)) return null;
  try {
    return await run();
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

/** Prefetches what GraphQL can answer for every project; the rest stays for REST. */
export async function prefetch(
  projects: ProjectNeeds[],
  reads: GraphqlReads,
  errors: RunError[],
): Promise<Map<number, Prefetched>> {
  const out = new Map<number, Prefetched>(projects.map((n) => [n.project.id, {}]));
  const byId = new Map(projects.map((n) => [n.project.id, n]));
  const failKind = (
    n: ProjectNeeds,
    what: string,
    e: EvidenceError,
  ): { kind: 'error'; error: EvidenceError } => {
    errors.push(scoped(e, n.place, what));
    return { kind: 'error', error: e };
  };

  // Merge requests of projects whose stacks all name their ref: by those refs, with the other reads.
  const mrNeeds: MergeRequestNeed[] = projects
    .filter((n) => n.refs.size > 0 && n.slugs.size === 0)
    .map((n) => ({ projectId: n.project.id, refs: [...n.refs].sort() }));
  // Branches: only where the token can read the protection rules (else REST gives `protected`).
  const branchIds = projects
    .filter((n) => (n.refs.size > 0 || n.slugs.size > 0) && n.protectedRules !== null)
    .map((n) => n.project.id);
  const envItems: ProjectItem[] = projects.flatMap((n) =>
    [...n.envNames].sort().map((key) => ({ projectPath: n.project.path, key })),
  );
  const [mrs, names, envs] = await Promise.all([
    mrNeeds.length ? guarded(reads, 'mergeRequests', () => reads.mergeRequests(mrNeeds)) : null,
    branchIds.length
      ? guarded(reads, 'branches', () =>
          reads.branchNames(branchIds, (id) => {
            const n = byId.get(id) as ProjectNeeds;
            return { keep: wanted(n), defaultBranch: n.project.defaultBranch };
          }),
        )
      : null,
    envItems.length ? guarded(reads, 'environments', () => reads.environments(envItems)) : null,
  ]);

  for (const [need, answer] of mrs ?? []) {
    const n = byId.get(need.projectId) as ProjectNeeds;
    const slot = out.get(need.projectId) as Prefetched;
    if (answer.kind === 'missing') continue;
    if (answer.kind === 'error') slot.mergeRequests = failKind(n, 'merge requests', answer.error);
    else {
      const byKey = new Map<string, Evidence<MergeRequestFacts[]>>();
      for (const ref of need.refs ?? [])
        byKey.set(ref, ok(answer.value.filter((m) => m.sourceBranch === ref)));
      slot.mergeRequests = { kind: 'lookup', byKey };
    }
  }
  await slugMergeRequests(
    projects.filter((n) => n.slugs.size > 0),
    names,
    reads,
    (id, facts) => {
      (out.get(id) as Prefetched).mergeRequests = facts;
    },
    failKind,
  );

  // Environments: a project with any environment the answer lacks is read from REST whole.
  const envByProject = new Map<string, Map<string, Evidence<EnvironmentFacts[]>> | null>();
  for (const [item, answer] of envs ?? []) {
    const current = envByProject.get(item.projectPath);
    if (current === null) continue;
    if (answer.kind === 'missing') {
      envByProject.set(item.projectPath, null);
      continue;
    }
    const byKey = current ?? new Map<string, Evidence<EnvironmentFacts[]>>();
    envByProject.set(item.projectPath, byKey);
    byKey.set(item.key, answer.kind === 'ok' ? ok(answer.value ? [answer.value] : []) : fail(answer.error));
  }
  for (const n of projects) {
    const byKey = envByProject.get(n.project.path);
    if (!byKey) continue;
    for (const [name, e] of byKey) if (!e.ok) errors.push(scoped(e.error, n.place, `environment ${name}`));
    (out.get(n.project.id) as Prefetched).environments = { kind: 'lookup', byKey };
  }

  // Branches: names and protection now, dates where a verdict can depend on them.
  const dated: { n: ProjectNeeds; branches: BranchFacts[]; need: string[] }[] = [];
  for (const [id, answer] of names ?? []) {
    const n = byId.get(id) as ProjectNeeds;
    const slot = out.get(id) as Prefetched;
    if (answer.kind === 'missing') continue;
    if (answer.kind === 'error') {
      slot.branches = failKind(n, 'branches', answer.error);
      continue;
    }
    const { defaultBranch } = n.project;
    if (!answer.value.hasDefault) {
      // A listing without the default branch is not the whole truth: never conclude "branch deleted" from it.
      slot.branches = failKind(n, 'branches', {
        code: 'TRUNCATED_LISTING',
        message: `branch listing of ${n.project.path} lacks the default branch ${defaultBranch}`,
        operation: 'POST /api/graphql',
      });
      continue;
    }
    const rules = n.protectedRules ?? [];
    const branches = answer.value.kept.map((name) => ({
      name,
      protected: protectedBy(rules, name),
      default: name === defaultBranch,
    }));
    const merged = slot.mergeRequests;
    const need = branches.filter((b) => dateMatters(b, merged)).map((b) => b.name);
    // Where a project needs more dates than its branch pages hold, REST's pages are the cheaper read.
    if (need.length > DATES_PER_POST * Math.max(1, Math.ceil(answer.value.total / 100))) continue;
    dated.push({ n, branches, need });
  }
  const items = dated.flatMap(({ n, need }) => need.map((key) => ({ projectPath: n.project.path, key })));
  const dates = items.length ? await guarded(reads, 'commitDates', () => reads.commitDates(items)) : null;
  const dateOf = new Map<string, Map<string, Answer<string>>>();
  for (const [item, answer] of dates ?? []) {
    const m = dateOf.get(item.projectPath) ?? new Map<string, Answer<string>>();
    dateOf.set(item.projectPath, m);
    m.set(item.key, answer);
  }
  for (const { n, branches, need } of dated) {
    const slot = out.get(n.project.id) as Prefetched;
    const answers = dateOf.get(n.project.path);
    const failed = need.map((r) => answers?.get(r)).find((a) => a?.kind === 'error');
    if (failed?.kind === 'error') {
      slot.branches = failKind(n, 'branches', failed.error);
      continue;
    }
    // Dates GraphQL could not give (not supported here, or a project that vanished between two reads):
    // REST reads the branches.
    if (need.some((r) => answers?.get(r)?.kind !== 'ok')) continue;
    for (const b of branches) {
      const a = answers?.get(b.name);
      if (a?.kind === 'ok') (b as BranchFacts).committedAt = a.value;
    }
    slot.branches = { kind: 'all', items: branches, sawAll: true };
  }
  return out;
}

/**
 * Whether a branch's last commit date can change its stack's verdict or reasons: not when the branch is
 * protected (the stack is kept whatever its date), and not when its ref has a merged merge request and no
 * open one (merged, whatever the date). Otherwise it is read: activity, abandonment and idleness all
 * compare it with other times.
 */
export function dateMatters(
  branch: BranchFacts,
  mergeRequests: Facts<MergeRequestFacts> | undefined,
): boolean {
  if (branch.protected) return false;
  if (!mergeRequests || mergeRequests.kind === 'error') return true;
  const mine =
    mergeRequests.kind === 'all'
      ? mergeRequests.items.filter((m) => m.sourceBranch === branch.name)
      : (() => {
          const e = mergeRequests.byKey.get(branch.name);
          return e?.ok ? e.value : undefined;
        })();
  if (mine === undefined) return true;
  const open = mine.some((m) => m.state === 'opened' || m.state === 'locked');
  return open || !mine.some((m) => m.state === 'merged');
}

/**
 * Merge requests of the projects where some stack names only a ref slug. A slug is matched first against
 * the project's live branch names (already read, slugified as GitLab's `CI_COMMIT_REF_SLUG`); where a slug
 * matches none (its branch is gone, as for a merged review branch), the source branches of every merge
 * request are listed, names only, with cursors. Then the merge requests of the matching branches (and of
 * the refs other stacks name) are read with every field. The result is the project's whole answer for
 * those branches (`all`), as REST's full listing kept it. A slug matched by a live branch is not listed:
 * an MR from another, deleted branch whose name slugifies alike is then not read (docs/performance.md).
 */
async function slugMergeRequests(
  projects: ProjectNeeds[],
  names: Map<number, Answer<BranchNames>> | null,
  reads: GraphqlReads,
  set: (projectId: number, facts: Facts<MergeRequestFacts>) => void,
  failKind: (n: ProjectNeeds, what: string, e: EvidenceError) => { kind: 'error'; error: EvidenceError },
): Promise<void> {
  if (projects.length === 0 || !reads.serves('mergeRequests')) return;
  const branchesOf = (n: ProjectNeeds): string[] | undefined => {
    const a = names?.get(n.project.id);
    // A listing without the default branch is not the whole truth (the branches then fail): not used.
    return a?.kind === 'ok' && a.value.hasDefault ? a.value.kept : undefined;
  };
  const matching = (n: ProjectNeeds, candidates: string[]) =>
    candidates.filter((c) => n.slugs.has(refSlug(c)) || n.refs.has(c));
  // Which projects still need the listing: some slug matched by no live branch (or no branch names).
  const unresolved = projects.filter((n) => {
    const live = branchesOf(n);
    if (live === undefined) return true;
    const matched = new Set(live.map(refSlug));
    return [...n.slugs].some((slug) => !matched.has(slug));
  });
  const listed = unresolved.length
    ? await guarded(reads, 'mergeRequests', () =>
        reads.mergeRequestSourceBranches(unresolved.map((n) => n.project.path)),
      )
    : null;
  const needs: MergeRequestNeed[] = [];
  for (const n of projects) {
    const wantsListing = unresolved.includes(n);
    const listing = wantsListing ? listed?.get(n.project.path) : undefined;
    // Not listed through GraphQL (missing, or not supported here): REST lists the project.
    if (wantsListing && (listing === undefined || listing.kind === 'missing')) continue;
    if (listing?.kind === 'error') {
      set(n.project.id, failKind(n, 'merge requests', listing.error));
      continue;
    }
    const candidates = new Set([...n.refs, ...matching(n, branchesOf(n) ?? [])]);
    if (listing?.kind === 'ok') for (const b of matching(n, listing.value)) candidates.add(b);
    if (candidates.size === 0) {
      // No branch, live or in any merge request, has the slug: there is no merge request to read.
      set(n.project.id, { kind: 'all', items: [], sawAll: true });
      continue;
    }
    needs.push({ projectId: n.project.id, refs: [...candidates].sort() });
  }
  if (needs.length === 0) return;
  const answers = await guarded(reads, 'mergeRequests', () => reads.mergeRequests(needs));
  for (const need of needs) {
    const answer = answers?.get(need);
    const n = projects.find((x) => x.project.id === need.projectId) as ProjectNeeds;
    if (answer === undefined || answer.kind === 'missing') continue;
    if (answer.kind === 'error') set(n.project.id, failKind(n, 'merge requests', answer.error));
    else set(n.project.id, { kind: 'all', items: answer.value, sawAll: true });
  }
}
