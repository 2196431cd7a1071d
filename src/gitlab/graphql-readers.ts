import { z } from 'zod';
import type { EnvironmentFacts, MergeRequestFacts, ProjectFacts } from '../core/model.js';
import {
  type Answer,
  environmentNode,
  failEach,
  fieldError,
  type GraphqlError,
  gidNumber,
  malformed,
  mergeRequestNode,
  pageOf,
  projectNode,
  toMergeRequest,
} from './graphql-answers.js';
import type { Batch, MergeRequestNeed, ProjectKey } from './graphql-planner.js';
import { isoDate } from './schemas.js';

/**
 * How each capability's answer is read back into one answer per item (`GraphqlReads` sends the
 * batches): the `projects(ids:)`-nested batches by the node's index in the connection, the aliased ones
 * item by item through `readAliased`. Errors on an item's path fail that item; an error under `projects`
 * that names no node fails the whole batch (`readConnection`).
 */

/** What a batch's answer is read with: its data and errors into `answers`, one per item. */
export type BatchReader<T, V> = (
  b: Batch<T>,
  data: Record<string, unknown>,
  errors: GraphqlError[],
  answers: Map<T, Answer<V>>,
) => void;

/** A project as a GraphQL resolution reads it. */
export interface GraphqlProject {
  facts: ProjectFacts;
  /**
   * The names (patterns) of the project's protected branch rules, when the token may read them all
   * (Maintainer or above: `userPermissions.adminProject`, one page); `null` otherwise.
   */
  protectedRules: string[] | null;
}

/** What a branch listing says, kept small: the wanted names, the count, the default branch's presence. */
export interface BranchNames {
  kept: string[];
  total: number;
  hasDefault: boolean;
}

/** How one capability reads the nodes of a `projects(ids:|fullPaths:)` connection. */
export interface ConnectionReader<T, N, V> {
  /** What it reads, for messages (`merge requests`). */
  what: string;
  /** One node of the connection. */
  node: z.ZodType<N>;
  /** The batch item a node answers; `undefined` for a node that answers none. */
  itemOf: (node: N, b: Batch<T>) => T | undefined;
  /** The item's answer; `undefined` leaves it unanswered (`missing`: REST reads it). */
  answer: (node: N, item: T) => Answer<V> | undefined;
}

/**
 * The one reader of the `projects` connection: each node by its index, an error on its path failing its
 * item. An error under `projects` that names no node may belong to any project of the batch, so it fails
 * every item of the batch, answered ones included (fail closed).
 */
export function readConnection<T, N, V>(r: ConnectionReader<T, N, V>): BatchReader<T, V> {
  const connection = pageOf(r.node);
  return (b, data, errors, answers) => {
    const conn = connection.safeParse(data.projects);
    if (!conn.success) return failEach(answers, b.items, malformed(`${r.what}: unexpected shape`));
    conn.data.nodes.forEach((node, i) => {
      const item = node ? r.itemOf(node, b) : undefined;
      if (!node || item === undefined) return;
      const failed = errors.find((e) => e.path?.[0] === 'projects' && e.path[2] === i);
      const answer = failed ? { kind: 'error' as const, error: fieldError(failed) } : r.answer(node, item);
      if (answer) answers.set(item, answer);
    });
    const unpinned = errors.find((e) => e.path?.[0] === 'projects' && typeof e.path[2] !== 'number');
    if (unpinned) failEach(answers, b.items, fieldError(unpinned), true);
  };
}

/** Project resolutions, by id or by path (any letter case). */
export const readProjects = (
  byId: Map<number, ProjectKey>,
  byPath: Map<string, ProjectKey>,
): BatchReader<ProjectKey, GraphqlProject> =>
  readConnection({
    what: 'projects',
    node: projectNode,
    itemOf: (node, b) => {
      const id = gidNumber(node.id);
      if (id === undefined) return undefined;
      const key = 'id' in (b.items[0] ?? {}) ? byId.get(id) : byPath.get(node.fullPath.toLowerCase());
      return key && b.items.includes(key) ? key : undefined;
    },
    answer: (node) => {
      // Since GitLab 18.6 GraphQL's `archived` is true also when only an ancestor group is archived
      // (`self_or_ancestors_archived?`); REST's is the project's own flag, the meaning the verdict
      // PROJECT_ARCHIVED uses. An archived answer is rare: REST reads that project, so both agree.
      const id = gidNumber(node.id);
      if (node.archived || id === undefined) return undefined;
      const facts: ProjectFacts = { id, path: node.fullPath, archived: node.archived };
      if (node.repository?.rootRef) facts.defaultBranch = node.repository.rootRef;
      const rules =
        node.userPermissions?.adminProject === true &&
        node.branchRules &&
        !node.branchRules.pageInfo.hasNextPage
          ? node.branchRules.nodes.filter((r) => r.isProtected).map((r) => r.name)
          : null;
      return { kind: 'ok', value: { facts, protectedRules: rules } };
    },
  });

/** Merge requests per project: those of its refs, or all; more than a page is left to REST. */
export const readMergeRequests: BatchReader<MergeRequestNeed, MergeRequestFacts[]> = readConnection({
  what: 'merge requests',
  node: z.object({ id: z.string(), mergeRequests: pageOf(mergeRequestNode).nullish() }),
  itemOf: (node, b) => b.items.find((n) => n.projectId === gidNumber(node.id)),
  answer: (node, need) => {
    const mrs = node.mergeRequests;
    if (!mrs) return { kind: 'error', error: malformed('merge requests: null') };
    if (mrs.pageInfo.hasNextPage || mrs.nodes.some((m) => !m || m.labels?.pageInfo.hasNextPage))
      return undefined;
    const wanted = need.refs ? new Set(need.refs) : undefined;
    return {
      kind: 'ok',
      value: mrs.nodes
        .filter((m): m is z.output<typeof mergeRequestNode> => m !== null)
        .filter((m) => !wanted || wanted.has(m.sourceBranch))
        .map(toMergeRequest),
    };
  },
});

/** Branch names per project, kept to what `keep` wants. */
export const readBranchNames = (
  keep: (projectId: number) => { keep: (name: string) => boolean; defaultBranch?: string | undefined },
): BatchReader<number, BranchNames> =>
  readConnection({
    what: 'branch names',
    node: z.object({
      id: z.string(),
      repository: z.object({ branchNames: z.array(z.string()).nullish() }).nullish(),
    }),
    itemOf: (node, b) => {
      const id = gidNumber(node.id);
      return id !== undefined && b.items.includes(id) ? id : undefined;
    },
    answer: (node, id) => {
      const names = node.repository?.branchNames;
      if (!names) return { kind: 'error', error: malformed('branch names: null') };
      const { keep: wanted, defaultBranch } = keep(id);
      return {
        kind: 'ok',
        value: {
          kept: names.filter(wanted),
          total: names.length,
          hasDefault: defaultBranch === undefined || names.includes(defaultBranch),
        },
      };
    },
  });

/** One page of a project's merge request source branches, with the cursor of the next. */
const sourceBranchPage = pageOf(z.object({ sourceBranch: z.string() })).extend({
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
});
export type SourceBranchPage = z.output<typeof sourceBranchPage>;

/** An aliased page of source branches. */
export function sourceBranchPageOf(value: unknown): Answer<SourceBranchPage> {
  const parsed = sourceBranchPage.safeParse(value);
  return parsed.success
    ? { kind: 'ok', value: parsed.data }
    : { kind: 'error', error: malformed('merge request source branches: unexpected shape') };
}

/** A branch's last commit as GraphQL answers it (the date read as REST reads it: `schemas.ts`). */
const lastCommit = z
  .object({
    tree: z.object({ lastCommit: z.object({ committedDate: isoDate.nullish() }).nullish() }).nullish(),
  })
  .nullable();

/** An aliased branch's last commit date; a ref whose tree is gone fails (it was just listed). */
export function commitDateOf(value: unknown): Answer<string> {
  const parsed = lastCommit.safeParse(value);
  const date = parsed.success ? parsed.data?.tree?.lastCommit?.committedDate : undefined;
  return date
    ? { kind: 'ok', value: date }
    : {
        kind: 'error',
        error: { code: 'BRANCH_CHANGED', message: 'the branch has no tree or last commit now' },
      };
}

/** An aliased environment by name; `null` where the project has none of that name. */
export function environmentOf(value: unknown): Answer<EnvironmentFacts | null> {
  if (value === null) return { kind: 'ok', value: null };
  const e = environmentNode.safeParse(value);
  const id = e.success ? gidNumber(e.data.id) : undefined;
  if (!e.success || id === undefined)
    return { kind: 'error', error: malformed('environment: unexpected shape') };
  const env: EnvironmentFacts = { id, name: e.data.name, state: e.data.state };
  if (e.data.slug) env.slug = e.data.slug;
  // GraphQL's DeploymentTier enum is upper case; REST's tier (and the policy's) lower case.
  if (e.data.tier) env.tier = e.data.tier.toLowerCase();
  if (e.data.updatedAt) {
    // As the REST list: `updated_at` moves with every deployment, so it stands in for it.
    env.lastDeployedAt = e.data.updatedAt;
    env.updatedAt = e.data.updatedAt;
  }
  return { kind: 'ok', value: env };
}
