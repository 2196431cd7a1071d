import { z } from 'zod';
import type { EnvironmentFacts, ProjectFacts } from '../core/model.js';
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

/**
 * How each capability's answer is read back into one answer per item (`GraphqlReads` sends the
 * batches): the `projects(ids:)`-nested batches by the node's index in the connection, the aliased ones
 * item by item through `readAliased`. Errors on an item's path fail that item; an error under `projects`
 * that names no node fails the whole batch.
 */

/** What a batch's answer is read with: its data and errors into `answers`, one per item. */
export type BatchReader<T> = (
  b: Batch<T>,
  data: Record<string, unknown>,
  errors: GraphqlError[],
  answers: Map<T, Answer<unknown>>,
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

/** An error under `projects` that names no node of the connection: it fails every item of the batch. */
const unpinned = <T>(b: Batch<T>, errors: GraphqlError[], answers: Map<T, Answer<unknown>>) => {
  if (errors.some((e) => e.path?.[0] === 'projects' && typeof e.path[2] !== 'number'))
    failEach(answers, b.items, fieldError(errors[0] as GraphqlError), true);
};

/** Project resolutions, by id or by path (any letter case). */
export const readProjects =
  (byId: Map<number, ProjectKey>, byPath: Map<string, ProjectKey>): BatchReader<ProjectKey> =>
  (b, data, errors, answers) => {
    const conn = pageOf(projectNode).safeParse((data as { projects?: unknown }).projects);
    if (!conn.success) return failEach(answers, b.items, malformed('projects: unexpected shape'));
    conn.data.nodes.forEach((node, i) => {
      if (!node) return;
      const id = gidNumber(node.id);
      if (id === undefined) return;
      const key = 'id' in (b.items[0] ?? {}) ? byId.get(id) : byPath.get(node.fullPath.toLowerCase());
      if (!key || !b.items.includes(key)) return;
      const failed = errors.find((e) => e.path?.[0] === 'projects' && e.path[2] === i);
      if (failed) {
        answers.set(key, { kind: 'error', error: fieldError(failed) });
        return;
      }
      // Since GitLab 18.6 GraphQL's `archived` is true also when only an ancestor group is archived
      // (`self_or_ancestors_archived?`); REST's is the project's own flag, the meaning the verdict
      // PROJECT_ARCHIVED uses. An archived answer is rare: REST reads that project, so both agree.
      if (node.archived) return;
      const facts: ProjectFacts = { id, path: node.fullPath, archived: node.archived };
      if (node.repository?.rootRef) facts.defaultBranch = node.repository.rootRef;
      const rules =
        node.userPermissions?.adminProject === true &&
        node.branchRules &&
        !node.branchRules.pageInfo.hasNextPage
          ? node.branchRules.nodes.filter((r) => r.isProtected).map((r) => r.name)
          : null;
      answers.set(key, { kind: 'ok', value: { facts, protectedRules: rules } });
    });
    // Errors that cannot be pinned to one project fail every project of the batch.
    unpinned(b, errors, answers);
  };

/** Merge requests per project: those of its refs, or all; more than a page is left to REST. */
export const readMergeRequests: BatchReader<MergeRequestNeed> = (b, data, errors, answers) => {
  const conn = pageOf(
    z.object({ id: z.string(), mergeRequests: pageOf(mergeRequestNode).nullish() }),
  ).safeParse((data as { projects?: unknown }).projects);
  if (!conn.success) return failEach(answers, b.items, malformed('merge requests: unexpected shape'));
  conn.data.nodes.forEach((node, i) => {
    const need = node ? b.items.find((n) => n.projectId === gidNumber(node.id)) : undefined;
    if (!node || !need) return;
    const failed = errors.find((e) => e.path?.[0] === 'projects' && e.path[2] === i);
    if (failed || !node.mergeRequests) {
      answers.set(need, {
        kind: 'error',
        error: failed ? fieldError(failed) : malformed('merge requests: null'),
      });
      return;
    }
    const mrs = node.mergeRequests;
    if (mrs.pageInfo.hasNextPage || mrs.nodes.some((m) => !m || m.labels?.pageInfo.hasNextPage)) return;
    const wanted = need.refs ? new Set(need.refs) : undefined;
    answers.set(need, {
      kind: 'ok',
      value: mrs.nodes
        .filter((m): m is z.output<typeof mergeRequestNode> => m !== null)
        .filter((m) => !wanted || wanted.has(m.sourceBranch))
        .map(toMergeRequest),
    });
  });
  unpinned(b, errors, answers);
};

/** Branch names per project, kept to what `keep` wants. */
export const readBranchNames =
  (
    keep: (projectId: number) => { keep: (name: string) => boolean; defaultBranch?: string | undefined },
  ): BatchReader<number> =>
  (b, data, errors, answers) => {
    const conn = pageOf(
      z.object({
        id: z.string(),
        repository: z.object({ branchNames: z.array(z.string()).nullish() }).nullish(),
      }),
    ).safeParse((data as { projects?: unknown }).projects);
    if (!conn.success) return failEach(answers, b.items, malformed('branch names: unexpected shape'));
    conn.data.nodes.forEach((node, i) => {
      const id = gidNumber(node?.id);
      if (!node || id === undefined || !b.items.includes(id)) return;
      const failed = errors.find((e) => e.path?.[0] === 'projects' && e.path[2] === i);
      const names = node.repository?.branchNames;
      if (failed || !names) {
        answers.set(id, {
          kind: 'error',
          error: failed ? fieldError(failed) : malformed('branch names: null'),
        });
        return;
      }
      const { keep: wanted, defaultBranch } = keep(id);
      answers.set(id, {
        kind: 'ok',
        value: {
          kept: names.filter(wanted),
          total: names.length,
          hasDefault: defaultBranch === undefined || names.includes(defaultBranch),
        },
      });
    });
    unpinned(b, errors, answers);
  };

/** One page of a project's merge request source branches, with the cursor of the next. */
const sourceBranchPage = pageOf(z.object({ sourceBranch: z.string() })).extend({
  pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
});
export type SourceBranchPage = z.output<typeof sourceBranchPage>;

/** An aliased page of source branches. */
export function sourceBranchPageOf(value: unknown): Answer<unknown> {
  const parsed = sourceBranchPage.safeParse(value);
  return parsed.success
    ? { kind: 'ok', value: parsed.data }
    : { kind: 'error', error: malformed('merge request source branches: unexpected shape') };
}

/** An aliased branch's last commit date; a ref whose tree is gone fails (it was just listed). */
export function commitDateOf(value: unknown): Answer<unknown> {
  const v = value as { tree?: { lastCommit?: { committedDate?: unknown } | null } | null } | null;
  const date = v?.tree?.lastCommit?.committedDate;
  return typeof date === 'string' && !Number.isNaN(Date.parse(date))
    ? { kind: 'ok', value: date }
    : {
        kind: 'error',
        error: { code: 'BRANCH_CHANGED', message: 'the branch has no tree or last commit now' },
      };
}

/** An aliased environment by name; `null` where the project has none of that name. */
export function environmentOf(value: unknown): Answer<unknown> {
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
