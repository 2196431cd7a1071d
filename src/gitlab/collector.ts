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
import { refSlug } from '../core/slug.js';
import type { Logger } from '../log/logger.js';
import { type GitLabReader, type Page, toEvidenceError } from './reader.js';

/**
 * Reads, once per project and run, the GitLab facts the stacks need (docs/design.md §8). For each kind of fact
 * (branches, MRs, environments) it picks the cheaper of listing the project's collection in pages of 100
 * or looking the refs up one by one; a ref slug can only be resolved from a listing. A failure is
 * confined to the facts it affects: those stacks become `unknown`, the rest of the run goes on.
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
}

/** What the collector found, per stack, plus errors for the report. */
export interface GitLabCollection {
  evidence: Map<string, GitLabEvidence>;
  errors: { scope: string; code: string; message: string }[];
  projects: Map<string, ProjectFacts | null>;
}

const ok = <T>(value: T): Evidence<T> => ({ ok: true, value });
const fail = (error: EvidenceError): Evidence<never> => ({ ok: false, error });

type Listing<T> =
  | { kind: 'all'; items: T[]; pages: number }
  | { kind: 'lookup' }
  | { kind: 'error'; error: EvidenceError };

/**
 * Lists a collection when that is cheaper than `lookups` single calls (or when `mustList`), keeping only
 * the items `keep` wants so memory follows the stacks, not the size of the project.
 */
async function listOrLookup<T>(
  lookups: number,
  mustList: boolean,
  lookupFirst: number,
  listPage: (page: number) => Promise<Page<T>>,
  keep: (item: T) => boolean,
  seen?: (item: T) => void,
): Promise<Listing<T>> {
  if (!mustList && lookups <= lookupFirst) return { kind: 'lookup' };
  try {
    const first = await listPage(1);
    if (!mustList && first.nextPage !== null) {
      const remaining = first.totalPages === null ? Number.POSITIVE_INFINITY : first.totalPages - 1;
      if (remaining >= lookups) return { kind: 'lookup' };
    }
    const items: T[] = [];
    let pages = 1;
    const take = (page: Page<T>) => {
      for (const item of page.items) {
        seen?.(item);
        if (keep(item)) items.push(item);
      }
    };
    take(first);
    let next = first.nextPage;
    while (next !== null) {
      const page = await listPage(next);
      pages++;
      take(page);
      next = page.nextPage;
    }
    return { kind: 'all', items, pages };
  } catch (error) {
    return { kind: 'error', error: toEvidenceError(error) };
  }
}

async function allPages<T>(listPage: (page: number) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let next: number | null = 1;
  while (next !== null) {
    const page: Page<T> = await listPage(next);
    items.push(...page.items);
    next = page.nextPage;
  }
  return items;
}

/** What one project's stacks need. */
interface Needs {
  key: string;
  stacks: OwnedStack[];
  refs: Set<string>;
  slugs: Set<string>;
  envNames: Set<string>;
  /** Environments whose last deployment names the ref (owners without ref or slug). */
  deployedRefEnvs: Set<string>;
}

function needsByProject(stacks: OwnedStack[]): Map<string, Needs> {
  const out = new Map<string, Needs>();
  for (const s of stacks) {
    const key = projectKey(s.owner);
    if (key === undefined || s.owner.unresolved) continue;
    let n = out.get(key);
    if (!n) {
      n = {
        key,
        stacks: [],
        refs: new Set(),
        slugs: new Set(),
        envNames: new Set(),
        deployedRefEnvs: new Set(),
      };
      out.set(key, n);
    }
    n.stacks.push(s);
    if (s.owner.ref !== undefined) n.refs.add(s.owner.ref);
    else if (s.owner.refSlug !== undefined) n.slugs.add(s.owner.refSlug);
    if (s.owner.environment !== undefined) {
      n.envNames.add(s.owner.environment);
      if (s.owner.ref === undefined && s.owner.refSlug === undefined)
        n.deployedRefEnvs.add(s.owner.environment);
    }
  }
  return out;
}

/** Collects GitLab evidence for every owned stack. */
export async function collectGitLab(
  stacks: OwnedStack[],
  reader: GitLabReader,
  options: GitLabCollectOptions,
): Promise<GitLabCollection> {
  const evidence = new Map<string, GitLabEvidence>();
  const errors: GitLabCollection['errors'] = [];
  const projects = new Map<string, ProjectFacts | null>();
  const byProject = needsByProject(stacks);
  const limit = pLimit(options.projectConcurrency);
  const lookupFirst = options.lookupFirst ?? 3;
  let done = 0;

  await Promise.all(
    [...byProject.values()].map((needs) =>
      limit(async () => {
        try {
          await collectProject(needs, reader, lookupFirst, evidence, errors, projects, options.logger);
        } catch (error) {
          // Nothing in one project may abort the run: its stacks fail closed.
          const e = toEvidenceError(error);
          errors.push({ scope: `gitlab:project ${needs.key}`, ...e });
          for (const s of needs.stacks) evidence.set(s.stackId, { project: fail(e) });
        }
        options.onProject?.(++done, byProject.size);
      }),
    ),
  );
  return { evidence, errors, projects };
}

async function collectProject(
  needs: Needs,
  reader: GitLabReader,
  lookupFirst: number,
  evidence: Map<string, GitLabEvidence>,
  errors: GitLabCollection['errors'],
  projects: Map<string, ProjectFacts | null>,
  logger: Logger,
): Promise<void> {
  const scope = `gitlab:project ${needs.key}`;
  const setAll = (e: GitLabEvidence) => {
    for (const s of needs.stacks) evidence.set(s.stackId, e);
  };
  let project: ProjectFacts | null;
  try {
    project = await reader.project(/^\d+$/.test(needs.key) ? Number(needs.key) : needs.key);
  } catch (error) {
    const e = toEvidenceError(error);
    errors.push({ scope, ...e });
    setAll({ project: fail(e) });
    return;
  }
  projects.set(needs.key, project);
  if (project === null) {
    setAll({ project: ok(null) });
    return;
  }
  const pid = project.id;
  const defaultBranch = project.defaultBranch;

  // Branches.
  const slugs = needs.slugs;
  // A branch name some stack of this project may belong to (exact ref, or any branch of a ref slug).
  const wanted = (name: string) => needs.refs.has(name) || (slugs.size > 0 && slugs.has(refSlug(name)));
  const wantBranch = (b: BranchFacts) => wanted(b.name);
  let sawDefault = false;
  const branchListing = await listOrLookup(
    needs.refs.size,
    slugs.size > 0,
    lookupFirst,
    (page) => reader.branchesPage(pid, page),
    wantBranch,
    (b) => {
      if (b.name === defaultBranch) sawDefault = true;
    },
  );
  let branchErr: EvidenceError | undefined;
  const branchByRef = new Map<string, Evidence<BranchFacts | null>>();
  let listedBranches: BranchFacts[] = [];
  if (branchListing.kind === 'error') branchErr = branchListing.error;
  else if (branchListing.kind === 'all') {
    if (defaultBranch !== undefined && !sawDefault) {
      // A listing without the default branch is not the whole truth: never conclude "branch deleted" from it.
      branchErr = {
        code: 'TRUNCATED_LISTING',
        message: `branch listing of ${project.path} lacks the default branch ${defaultBranch}`,
      };
    } else listedBranches = branchListing.items;
  } else {
    await Promise.all(
      [...needs.refs].map(async (ref) => {
        try {
          branchByRef.set(ref, ok(await reader.branch(pid, ref)));
        } catch (error) {
          const e = toEvidenceError(error);
          errors.push({ scope: `${scope} branch ${ref}`, ...e });
          branchByRef.set(ref, fail(e));
        }
      }),
    );
  }
  if (branchErr) errors.push({ scope: `${scope} branches`, ...branchErr });

  // Merge requests.
  const wantMr = (m: MergeRequestFacts) => wanted(m.sourceBranch);
  const mrListing = await listOrLookup(
    needs.refs.size,
    slugs.size > 0,
    lookupFirst,
    (page) => reader.mergeRequestsPage(pid, page),
    wantMr,
  );
  const mrsByRef = new Map<string, Evidence<MergeRequestFacts[]>>();
  if (mrListing.kind === 'error') errors.push({ scope: `${scope} merge requests`, ...mrListing.error });
  if (mrListing.kind === 'lookup') {
    await Promise.all(
      [...needs.refs].map(async (ref) => {
        try {
          mrsByRef.set(
            ref,
            ok(await allPages((page) => reader.mergeRequestsPage(pid, page, { sourceBranch: ref }))),
          );
        } catch (error) {
          const e = toEvidenceError(error);
          errors.push({ scope: `${scope} merge requests of ${ref}`, ...e });
          mrsByRef.set(ref, fail(e));
        }
      }),
    );
  }

  // Environments.
  const envListing = await listOrLookup(
    needs.envNames.size,
    false,
    lookupFirst,
    (page) => reader.environmentsPage(pid, page),
    (e) => needs.envNames.has(e.name),
  );
  const envByName = new Map<string, Evidence<EnvironmentFacts | null>>();
  if (envListing.kind === 'error') errors.push({ scope: `${scope} environments`, ...envListing.error });
  if (envListing.kind === 'all') {
    for (const name of needs.envNames)
      envByName.set(name, ok(envListing.items.find((e) => e.name === name) ?? null));
  } else if (envListing.kind === 'lookup') {
    await Promise.all(
      [...needs.envNames].map(async (name) => {
        try {
          const found =
            (await reader.environmentsPage(pid, 1, { name })).items.find((e) => e.name === name) ?? null;
          envByName.set(name, ok(found));
        } catch (error) {
          const e = toEvidenceError(error);
          errors.push({ scope: `${scope} environment ${name}`, ...e });
          envByName.set(name, fail(e));
        }
      }),
    );
  }
  // The deployed ref is only in the single GET: fetch it just for owners that have nothing else.
  await Promise.all(
    [...needs.deployedRefEnvs].map(async (name) => {
      const listed = envByName.get(name);
      if (!listed?.ok || listed.value === null) return;
      try {
        envByName.set(name, ok(await reader.environment(pid, listed.value.id)));
      } catch (error) {
        envByName.set(name, fail(toEvidenceError(error)));
      }
    }),
  );

  for (const s of needs.stacks) {
    const e: GitLabEvidence = { project: ok(project) };
    const { ref, refSlug: slug, environment } = s.owner;
    const mine = (name: string) =>
      ref !== undefined ? name === ref : slug !== undefined && refSlug(name) === slug;
    // Branches for this stack.
    if (branchErr) e.branches = fail(branchErr);
    else if (branchListing.kind === 'all') {
      e.branches = ok(listedBranches.filter((b) => mine(b.name)));
    } else if (ref !== undefined) {
      const one = branchByRef.get(ref);
      e.branches = one === undefined ? ok([]) : one.ok ? ok(one.value ? [one.value] : []) : one;
    } else e.branches = ok([]);
    // MRs for this stack.
    if (mrListing.kind === 'error') e.mergeRequests = fail(mrListing.error);
    else if (mrListing.kind === 'all') {
      e.mergeRequests = ok(mrListing.items.filter((m) => mine(m.sourceBranch)));
    } else e.mergeRequests = ref !== undefined ? (mrsByRef.get(ref) ?? ok([])) : ok([]);
    // The environment, when the stack names one.
    if (environment !== undefined) {
      e.environment =
        envListing.kind === 'error' ? fail(envListing.error) : (envByName.get(environment) ?? ok(null));
    }
    // An owner with no ref or slug: the environment's deployed ref, else the tagged MR's source branch,
    // stands in; fetch that branch and its MRs too.
    if (ref === undefined && slug === undefined) {
      let standIn = e.environment?.ok ? e.environment.value?.lastDeploymentRef : undefined;
      if (standIn === undefined && s.owner.mrIid !== undefined) {
        try {
          const tagged = await reader.mergeRequest(pid, s.owner.mrIid);
          e.taggedMergeRequest = ok(tagged);
          standIn = tagged?.sourceBranch;
        } catch (error) {
          e.taggedMergeRequest = fail(toEvidenceError(error));
        }
      }
      if (standIn !== undefined) {
        const deployed = standIn;
        try {
          const [branch, mrs] = await Promise.all([
            reader.branch(pid, deployed),
            allPages((page) => reader.mergeRequestsPage(pid, page, { sourceBranch: deployed })),
          ]);
          e.branches = ok(branch ? [branch] : []);
          e.mergeRequests = ok(mrs);
        } catch (error) {
          e.branches = fail(toEvidenceError(error));
        }
      }
    }
    evidence.set(s.stackId, e);
  }
  logger.debug(
    {
      project: project.path,
      stacks: needs.stacks.length,
      branches: branchListing.kind,
      mergeRequests: mrListing.kind,
      environments: envListing.kind,
    },
    'gitlab project collected',
  );
}
