import pLimit from 'p-limit';
import {
  type BranchFacts,
  type EnvironmentFacts,
  type Evidence,
  type EvidenceError,
  type GitLabEvidence,
  type MergeRequestFacts,
  type Owner,
  type ProjectFacts,
  projectKey,
} from '../core/model.js';
import type { RunError } from '../core/run-result.js';
import { refSlug } from '../core/slug.js';
import type { Logger } from '../log/logger.js';
import {
  type FactStep,
  type Facts,
  fail,
  mine,
  ok,
  type Place,
  pick,
  projectPlace,
  readFacts,
  scoped,
} from './facts.js';
import type { ProjectKey } from './graphql-planner.js';
import { type Prefetched, prefetch } from './graphql-prefetch.js';
import { CAPABILITIES, type Capability, type GraphqlReads, Unsupported } from './graphql-reads.js';
import type { GitLabReader } from './ports.js';
import { readAll, toEvidenceError } from './reader.js';

/**
 * Reads, once per project and run, the GitLab facts the stacks need (docs/design.md §8). First every
 * spelling of a project the stacks use (id, path, a former path, another case) is resolved to its id,
 * so a project named both ways is read once. Then, for each kind of fact (branches, MRs, environments)
 * one step picks the cheaper of listing the project's collection in pages of 100 or looking the refs up
 * one by one, and keeps what a first page already answered. A failure is confined to the facts it
 * affects: those stacks become `unknown`, the rest of the run goes on.
 */

/** A stack whose owner needs GitLab evidence. */
export interface OwnedStack {
  stackId: string;
  owner: Owner;
}

/** Options of the collector. */
export interface GitLabCollectOptions {
  /** Projects read in parallel (the HTTP layer bounds requests separately). */
  projectConcurrency: number;
  /** Up to this many refs are looked up directly, without probing the listing's size. */
  lookupFirst?: number;
  logger: Logger;
  /** Called after each project, for progress output. */
  onProject?: (done: number, total: number) => void;
  /** GraphQL batched reads (`gitlab.api` auto or graphql); absent: REST only. */
  graphql?: GraphqlReads | undefined;
}

/** Which API served each kind of fact, per project (the report's `gitlabApi`). */
export interface GitLabApiServed {
  served: Record<Capability, { graphql: number; rest: number }>;
  /** Why REST served some of a capability that GraphQL could have served. */
  fallbacks: Partial<Record<Capability, string>>;
}

/** What the collector found, per stack, plus errors for the report. */
export interface GitLabCollection {
  evidence: Map<string, GitLabEvidence>;
  errors: RunError[];
  /** The projects read, by id (`null`: a key that named no visible project). */
  projects: Map<string, ProjectFacts | null>;
  /** Which API served what (with GraphQL). */
  api?: GitLabApiServed;
}

/** What one project's stacks need. */
interface Needs {
  project: ProjectFacts;
  /** The spellings the stacks used, for scopes and logs (as written, and as GitLab matches them). */
  keys: Set<string>;
  spellings: Set<string>;
  stacks: OwnedStack[];
  refs: Set<string>;
  slugs: Set<string>;
  envNames: Set<string>;
  /** Environments whose last deployment names the ref (owners without ref or slug). */
  deployedRefEnvs: Set<string>;
  /** Protected branch rules GraphQL read (`null`: not readable, REST reads the branches). */
  protectedRules: string[] | null;
  /** How errors name the project. */
  place: Place;
}

/** A spelling of a project as GitLab matches it: ids as they are, paths without regard to case. */
function spelling(key: string): string {
  return /^\d+$/.test(key) ? key : key.toLowerCase();
}

/**
 * Resolves every spelling the stacks use to a project, paths first: an id the paths already reached is
 * not asked for again. A former path is answered by GitLab's redirect to the project by id.
 */
async function resolveProjects(
  keys: string[],
  reader: GitLabReader,
  limit: ReturnType<typeof pLimit>,
  out = new Map<string, Evidence<ProjectFacts | null>>(),
): Promise<Map<string, Evidence<ProjectFacts | null>>> {
  const read = (key: string) =>
    limit(async () => {
      try {
        out.set(key, ok(await reader.project(/^\d+$/.test(key) ? Number(key) : key)));
      } catch (error) {
        out.set(key, fail(toEvidenceError(error)));
      }
    });
  const paths = keys.filter((k) => !/^\d+$/.test(k));
  await Promise.all(paths.map(read));
  const reached = new Map<string, ProjectFacts>();
  for (const e of out.values()) if (e.ok && e.value) reached.set(String(e.value.id), e.value);
  const ids = keys.filter((k) => /^\d+$/.test(k));
  await Promise.all(ids.filter((id) => !reached.has(id)).map(read));
  for (const id of ids) {
    const known = reached.get(id);
    if (known) out.set(id, ok(known));
  }
  return out;
}

/** Groups the stacks by resolved project; stacks of unresolved keys get their evidence at once. */
function needsByProject(
  stacks: OwnedStack[],
  resolved: Map<string, Evidence<ProjectFacts | null>>,
  evidence: Map<string, GitLabEvidence>,
  errors: RunError[],
  rules: Map<number, string[] | null>,
): Map<number, Needs> {
  const out = new Map<number, Needs>();
  const reported = new Set<string>();
  for (const s of stacks) {
    const key = projectKey(s.owner);
    if (key === undefined || s.owner.unresolved) continue;
    const found = resolved.get(spelling(key));
    if (!found?.ok || found.value === null) {
      if (found && !found.ok && !reported.has(key)) {
        reported.add(key);
        errors.push(scoped(found.error, projectPlace(key)));
      }
      evidence.set(s.stackId, { project: found ?? ok(null) });
      continue;
    }
    const project = found.value;
    let n = out.get(project.id);
    if (!n) {
      n = {
        project,
        keys: new Set(),
        spellings: new Set(),
        stacks: [],
        refs: new Set(),
        slugs: new Set(),
        envNames: new Set(),
        deployedRefEnvs: new Set(),
        protectedRules: rules.get(project.id) ?? null,
        place: projectPlace(project.id),
      };
      out.set(project.id, n);
    }
    n.keys.add(key);
    n.spellings.add(spelling(key));
    n.stacks.push(s);
    if (s.owner.ref !== undefined) n.refs.add(s.owner.ref);
    else if (s.owner.refSlug !== undefined) n.slugs.add(s.owner.refSlug);
    if (s.owner.environment !== undefined) {
      n.envNames.add(s.owner.environment);
      if (s.owner.ref === undefined && s.owner.refSlug === undefined)
        n.deployedRefEnvs.add(s.owner.environment);
    }
  }
  // Errors name the project as its stacks do (an id sorts first when one names it).
  for (const n of out.values()) n.place = projectPlace([...n.keys].sort()[0] ?? n.project.id);
  return out;
}

/**
 * Resolves through GraphQL what it can (`projects(ids:)`, `projects(fullPaths:)`); a key the answer lacks
 * (renamed, not visible, gone) is left for REST, which follows renames and says which it is.
 */
async function resolveWithGraphql(
  keys: string[],
  graphql: GraphqlReads,
  rules: Map<number, string[] | null>,
): Promise<Map<string, Evidence<ProjectFacts | null>>> {
  const out = new Map<string, Evidence<ProjectFacts | null>>();
  if (!graphql.serves('projects') || keys.length === 0) return out;
  const asked = keys.map((k): [string, ProjectKey] => [k, /^\d+$/.test(k) ? { id: Number(k) } : { path: k }]);
  let answers: Awaited<ReturnType<GraphqlReads['projects']>>;
  try {
    answers = await graphql.projects(asked.map(([, k]) => k));
  } catch (error) {
    if (error instanceof Unsupported) return out;
    throw error;
  }
  for (const [key, k] of asked) {
    const a = answers.get(k);
    if (a?.kind === 'ok') {
      out.set(key, ok(a.value.facts));
      rules.set(a.value.facts.id, a.value.protectedRules);
    } else if (a?.kind === 'error') out.set(key, fail(a.error));
  }
  return out;
}

/** Counts, per capability, the projects each API served. */
function servedBy(
  byProject: Map<number, Needs>,
  pre: Map<number, Prefetched>,
  resolvedByGraphql: number,
  keys: number,
) {
  const served = Object.fromEntries(
    CAPABILITIES.map((c) => [c, { graphql: 0, rest: 0 }]),
  ) as GitLabApiServed['served'];
  served.projects = { graphql: resolvedByGraphql, rest: keys - resolvedByGraphql };
  let unreadableRules = 0;
  for (const n of byProject.values()) {
    const p = pre.get(n.project.id);
    const count = (c: Capability, needed: boolean, byGraphql: boolean) => {
      if (needed) served[c][byGraphql ? 'graphql' : 'rest']++;
    };
    const hasRefs = n.refs.size > 0 || n.slugs.size > 0;
    count('mergeRequests', hasRefs, p?.mergeRequests !== undefined);
    count('branches', hasRefs, p?.branches !== undefined);
    count('commitDates', hasRefs, p?.branches !== undefined);
    count('environments', n.envNames.size > 0, p?.environments !== undefined);
    if (hasRefs && n.protectedRules === null) unreadableRules++;
  }
  const fallbacks: GitLabApiServed['fallbacks'] = {};
  if (unreadableRules > 0)
    fallbacks.branches = `the token cannot read the protected branch rules of ${unreadableRules} project(s) (it needs Maintainer): REST read their branches`;
  return { served, fallbacks };
}

/** Collects GitLab evidence for every owned stack. */
export async function collectGitLab(
  stacks: OwnedStack[],
  reader: GitLabReader,
  options: GitLabCollectOptions,
): Promise<GitLabCollection> {
  const evidence = new Map<string, GitLabEvidence>();
  const errors: RunError[] = [];
  const projects = new Map<string, ProjectFacts | null>();
  const limit = pLimit(options.projectConcurrency);
  const lookupFirst = options.lookupFirst ?? 3;
  const keys = new Set<string>();
  for (const s of stacks) {
    const key = projectKey(s.owner);
    if (key !== undefined && !s.owner.unresolved) keys.add(spelling(key));
  }
  const rules = new Map<number, string[] | null>();
  const graphql = options.graphql;
  const viaGraphql = graphql ? await resolveWithGraphql([...keys], graphql, rules) : new Map();
  const resolvedByGraphql = viaGraphql.size;
  const resolved = await resolveProjects(
    [...keys].filter((k) => !viaGraphql.has(k)),
    reader,
    limit,
    viaGraphql,
  );
  for (const [key, e] of resolved) if (e.ok && e.value === null) projects.set(key, null);
  const byProject = needsByProject(stacks, resolved, evidence, errors, rules);
  const pre = graphql
    ? await prefetch([...byProject.values()], graphql, errors)
    : new Map<number, Prefetched>();
  // Progress counts the projects as the stacks name them: a key that names no project is done at once.
  let done = keys.size - [...byProject.values()].reduce((n, p) => n + p.spellings.size, 0);
  if (done > 0) options.onProject?.(done, keys.size);
  await Promise.all(
    [...byProject.values()].map((needs) =>
      limit(async () => {
        projects.set(String(needs.project.id), needs.project);
        try {
          const p = pre.get(needs.project.id) ?? {};
          await collectProject(needs, reader, lookupFirst, evidence, errors, options.logger, p);
        } catch (error) {
          // Nothing in one project may abort the run: its stacks fail closed.
          const e = toEvidenceError(error);
          errors.push(scoped(e, needs.place));
          for (const s of needs.stacks) evidence.set(s.stackId, { project: fail(e) });
        }
        done += needs.spellings.size;
        options.onProject?.(done, keys.size);
      }),
    ),
  );
  if (!graphql) return { evidence, errors, projects };
  const api = servedBy(byProject, pre, resolvedByGraphql, keys.size);
  for (const [c, reason] of Object.entries(graphql.usage.unsupported))
    api.fallbacks[c as Capability] = reason;
  return { evidence, errors, projects, api };
}

async function collectProject(
  needs: Needs,
  reader: GitLabReader,
  lookupFirst: number,
  evidence: Map<string, GitLabEvidence>,
  errors: RunError[],
  logger: Logger,
  pre: Prefetched,
): Promise<void> {
  const { project, place } = needs;
  const pid = project.id;
  const refs = [...needs.refs];
  const slugs = needs.slugs;
  // A branch name some stack of this project may belong to (exact ref, or any branch of a ref slug).
  const wanted = (name: string) => needs.refs.has(name) || (slugs.size > 0 && slugs.has(refSlug(name)));

  // One project's facts: its lookup budget, scope and error list are the same for each kind.
  const read = <T>(step: FactStep<T>) => readFacts<T>(step, lookupFirst, place, errors);
  // Branches and MRs are keyed by ref and must be listed when a stack names only a slug.
  const byRef = { keys: refs, mustList: slugs.size > 0 };

  // What GraphQL already answered is not read again; the default-branch check was made on its names.
  let sawDefault = pre.branches !== undefined;
  const branchesRead =
    pre.branches ??
    read<BranchFacts>({
      what: 'branches',
      ...byRef,
      listPage: (page) => reader.branchesPage(pid, page),
      keep: (b) => wanted(b.name),
      answers: (b) => b.name,
      lookup: async (ref) => {
        const b = await reader.branch(pid, ref);
        return b ? [b] : [];
      },
      lookupScope: (ref) => `branch ${ref}`,
      seen: (b) => {
        if (b.name === project.defaultBranch) sawDefault = true;
      },
    });
  const mergeRequestsRead =
    pre.mergeRequests ??
    read<MergeRequestFacts>({
      what: 'merge requests',
      ...byRef,
      listPage: (page) => reader.mergeRequestsPage(pid, page),
      keep: (m) => wanted(m.sourceBranch),
      lookup: (ref) => readAll((page) => reader.mergeRequestsPage(pid, page, { sourceBranch: ref })),
      lookupScope: (ref) => `merge requests of ${ref}`,
    });

  const environmentsRead =
    pre.environments ??
    read<EnvironmentFacts>({
      what: 'environments',
      keys: [...needs.envNames],
      mustList: false,
      listPage: (page) => reader.environmentsPage(pid, page),
      keep: (e) => needs.envNames.has(e.name),
      answers: (e) => e.name,
      lookup: async (name) =>
        (await reader.environmentsPage(pid, 1, { name })).items.filter((e) => e.name === name),
      lookupScope: (name) => `environment ${name}`,
    });
  // The three kinds of fact are independent: read side by side, so a project costs one round trip of
  // latency per step, not three.
  const [branches, mergeRequests, environments] = await Promise.all<
    [
      Facts<BranchFacts> | Promise<Facts<BranchFacts>>,
      Facts<MergeRequestFacts> | Promise<Facts<MergeRequestFacts>>,
      Facts<EnvironmentFacts> | Promise<Facts<EnvironmentFacts>>,
    ]
  >([branchesRead, mergeRequestsRead, environmentsRead]);
  let branchErr: EvidenceError | undefined = branches.kind === 'error' ? branches.error : undefined;
  if (branches.kind === 'all' && project.defaultBranch !== undefined && !sawDefault) {
    // A listing without the default branch is not the whole truth: never conclude "branch deleted" from it.
    branchErr = {
      code: 'TRUNCATED_LISTING',
      message: `branch listing of ${project.path} lacks the default branch ${project.defaultBranch}`,
    };
    errors.push(scoped(branchErr, place, 'branches'));
  }

  const envByName = new Map<string, Evidence<EnvironmentFacts | null>>();
  for (const name of needs.envNames)
    envByName.set(
      name,
      pick(environments, name, (e) => e.name === name),
    );
  // The deployed ref is only in the single GET: fetch it just for owners that have nothing else.
  await Promise.all(
    [...needs.deployedRefEnvs].map(async (name) => {
      const listed = envByName.get(name);
      if (!listed?.ok || listed.value === null) return;
      try {
        envByName.set(name, ok(await reader.environment(pid, listed.value.id)));
      } catch (error) {
        const e = toEvidenceError(error);
        // Every failed lookup is an error of the run, not only unknown evidence (docs/design.md §10).
        errors.push(scoped(e, place, 'environment'));
        envByName.set(name, fail(e));
      }
    }),
  );

  for (const s of needs.stacks) {
    const e = await stackEvidence(s, needs, reader, { branches, branchErr, mergeRequests, envByName }, (x) =>
      errors.push(scoped(x.error, place, x.what)),
    );
    evidence.set(s.stackId, e);
  }
  logger.debug(
    {
      project: project.path,
      spellings: needs.keys.size,
      stacks: needs.stacks.length,
      branches: branches.kind,
      mergeRequests: mergeRequests.kind,
      environments: environments.kind,
    },
    'gitlab project collected',
  );
}

/** One stack's evidence from its project's facts; owners without ref or slug get a stand-in ref. */
async function stackEvidence(
  s: OwnedStack,
  needs: Needs,
  reader: GitLabReader,
  facts: {
    branches: Facts<BranchFacts>;
    branchErr: EvidenceError | undefined;
    mergeRequests: Facts<MergeRequestFacts>;
    envByName: Map<string, Evidence<EnvironmentFacts | null>>;
  },
  failed: (x: { what: string; error: EvidenceError }) => void,
): Promise<GitLabEvidence> {
  const pid = needs.project.id;
  const e: GitLabEvidence = { project: ok(needs.project) };
  const { ref, refSlug: slug, environment } = s.owner;
  const isMine = (name: string) =>
    ref !== undefined ? name === ref : slug !== undefined && refSlug(name) === slug;
  e.branches = facts.branchErr ? fail(facts.branchErr) : mine(facts.branches, ref, (b) => isMine(b.name));
  e.mergeRequests = mine(facts.mergeRequests, ref, (m) => isMine(m.sourceBranch));
  if (environment !== undefined) e.environment = facts.envByName.get(environment) ?? ok(null);
  if (ref !== undefined || slug !== undefined) return e;
  // An owner with no ref or slug: the environment's deployed ref, else the tagged MR's source branch,
  // stands in; fetch that branch and its MRs too.
  let standIn = e.environment?.ok ? e.environment.value?.lastDeploymentRef : undefined;
  if (standIn === undefined && s.owner.mrIid !== undefined) {
    try {
      const tagged = await reader.mergeRequest(pid, s.owner.mrIid);
      e.taggedMergeRequest = ok(tagged);
      standIn = tagged?.sourceBranch;
    } catch (error) {
      const err = toEvidenceError(error);
      failed({ what: 'tagged merge request', error: err });
      e.taggedMergeRequest = fail(err);
    }
  }
  if (standIn !== undefined) {
    const deployed = standIn;
    try {
      const [branch, mrs] = await Promise.all([
        reader.branch(pid, deployed),
        readAll((page) => reader.mergeRequestsPage(pid, page, { sourceBranch: deployed })),
      ]);
      e.branches = ok(branch ? [branch] : []);
      e.mergeRequests = ok(mrs);
    } catch (error) {
      const err = toEvidenceError(error);
      failed({ what: 'deployed branch', error: err });
      e.branches = fail(err);
    }
  }
  return e;
}
