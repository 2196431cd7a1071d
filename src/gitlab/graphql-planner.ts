import {
  complexity,
  type Field,
  GITLAB_LIMITS,
  page,
  print,
  type Query,
  scalar,
  schemaItems,
  withinLimits,
} from './graphql-document.js';

/**
 * The GraphQL planner (docs/performance.md, "GraphQL"): turns the GitLab facts a run needs into the
 * fewest documents that stay under GitLab's limits (complexity 250, depth 20, page size 100, 10,000
 * characters of query text, ≤ 50 `fullPaths`). Pure: data in, documents out. Lists (ids, paths, refs)
 * travel as variables, which the text limit does not count; what varies per item (a ref's tree, an
 * environment's name) is an alias, each alias priced in full as GitLab prices it.
 */

/** One planned POST: the document, its variables, what it costs and what each part asks for. */
export interface Batch<T> {
  query: Query;
  text: string;
  variables: Record<string, unknown>;
  complexity: number;
  /** The items it answers; for aliased batches `aliases[i]` is where item i's answer is. */
  items: T[];
  aliases?: { project: string; item: string }[];
}

const MAX = GITLAB_LIMITS.maxComplexity;

/** A single item does not fit in one document under the budget: GraphQL cannot ask for it. */
export class DoesNotFit extends Error {
  override readonly name = 'DoesNotFit';
  constructor(readonly query: string) {
    super(`a single item does not fit in one query (${query})`);
  }
}

const gid = (type: string, id: number) => `gid://gitlab/${type}/${id}`;

function batch<T>(query: Query, variables: Record<string, unknown>, items: T[]): Batch<T> {
  return { query, text: print(query), variables, complexity: complexity(query), items };
}

/**
 * Packs items into as few connection queries as fit: each query asks `first: n` for n items, and a
 * larger n costs more (GitLab multiplies the subtree by 1 + n %). The largest n within the limits wins.
 */
function packConnection<T>(
  items: T[],
  max: number,
  build: (chunk: T[]) => Batch<T>,
  budget: number,
): Batch<T>[] {
  const out: Batch<T>[] = [];
  let size = Math.min(max, items.length);
  for (let i = 0; i < items.length; ) {
    size = Math.min(size, items.length - i);
    let b = build(items.slice(i, i + size));
    while (!withinLimits(b.query, budget) && size > 1) {
      size--;
      b = build(items.slice(i, i + size));
    }
    if (!withinLimits(b.query, budget)) throw new DoesNotFit(b.query.name);
    out.push(b);
    i += size;
  }
  return out;
}

/** `projects(ids: $ids, first: n) { nodes { id <field> } pageInfo }`: one field of many projects at once. */
function projectsById(n: number, field: Field): Field {
  return {
    name: 'projects',
    type: 'ProjectConnection',
    args: { ids: '$ids', first: String(n) },
    cost: { kind: 'connection', sorted: true },
    children: page('Project', [scalar('id'), field]),
  };
}

/**
 * What a project resolution reads: id, path, archived, default branch, and who may see branch rules.
 * The protection part is optional: an instance without it (branch rules came in GitLab 15.8) still
 * resolves projects here, and REST reads which branches are protected.
 */
function projectFields(): Field[] {
  return [
    scalar('id'),
    scalar('fullPath'),
    scalar('archived'),
    { name: 'repository', type: 'Repository', cost: { kind: 'plain' }, children: [scalar('rootRef', true)] },
    {
      name: 'userPermissions',
      type: 'ProjectPermissions',
      optional: 'branches',
      cost: { kind: 'plain' },
      children: [scalar('adminProject')],
    },
    {
      name: 'branchRules',
      type: 'BranchRuleConnection',
      optional: 'branches',
      args: { first: String(GITLAB_LIMITS.maxPageSize) },
      cost: { kind: 'connection' },
      children: page('BranchRule', [scalar('name'), scalar('isProtected')]),
    },
  ];
}

/** A project key as the stacks spell it: an id, or a path (any letter case). */
export type ProjectKey = { id: number } | { path: string };

/**
 * Project resolution: `projects(ids:)` for ids, `projects(fullPaths:)` (≤ 50) for paths. A project the
 * answer lacks is not evidence that it is gone (renamed paths are not followed): the caller asks REST.
 */
export function planProjects(keys: ProjectKey[], budget: number = MAX): Batch<ProjectKey>[] {
  const ids = keys.filter((k): k is { id: number } => 'id' in k);
  const paths = keys.filter((k): k is { path: string } => 'path' in k);
  const build = (by: 'ids' | 'fullPaths') => (chunk: ProjectKey[]) => {
    const query: Query = {
      name: by === 'ids' ? 'envReaperProjectsById' : 'envReaperProjectsByPath',
      variables: { keys: by === 'ids' ? '[ID!]' : '[String!]' },
      fields: [
        {
          name: 'projects',
          type: 'ProjectConnection',
          args: { [by]: '$keys', first: String(chunk.length) },
          cost: { kind: 'connection', sorted: true },
          children: page('Project', projectFields()),
        },
      ],
    };
    const values = chunk.map((k) => ('id' in k ? gid('Project', k.id) : k.path));
    return batch(query, { keys: values }, chunk);
  };
  return [
    ...packConnection<ProjectKey>(ids, GITLAB_LIMITS.maxPageSize, build('ids'), budget),
    ...packConnection<ProjectKey>(paths, GITLAB_LIMITS.maxFullPaths, build('fullPaths'), budget),
  ];
}

/** The merge request fields a verdict reads (the REST list's, in GraphQL's names). */
function mergeRequestFields(): Field[] {
  return [
    scalar('iid'),
    scalar('state'),
    scalar('sourceBranch'),
    scalar('createdAt'),
    scalar('updatedAt'),
    { name: 'mergedAt', cost: { kind: 'fixed', cost: 5 } },
    { name: 'closedAt', cost: { kind: 'fixed', cost: 5 } },
    scalar('webUrl'),
    { name: 'author', type: 'MergeRequestAuthor', cost: { kind: 'plain' }, children: [scalar('username')] },
    {
      name: 'labels',
      type: 'LabelConnection',
      cost: { kind: 'fixed', cost: 5 },
      children: [
        { name: 'nodes', type: 'Label', cost: { kind: 'plain' }, children: [scalar('title')] },
        { name: 'pageInfo', type: 'PageInfo', cost: { kind: 'plain' }, children: [scalar('hasNextPage')] },
      ],
    },
  ];
}

/** A project whose merge requests are read: by the refs its stacks name, or all (ref slugs). */
export interface MergeRequestNeed {
  projectId: number;
  /** Absent: every merge request of the project (a stack carries only a ref slug). */
  refs?: string[];
}

/**
 * Merge requests of many projects per POST: `projects(ids:) { mergeRequests(sourceBranches:) }`, nested
 * so the subtree is priced once for all of them, with the union of the refs the batch's projects need
 * (each project then keeps its own). Projects that need all their merge requests go in batches without
 * the filter. A project with more than a page of them is finished by REST.
 */
export function planMergeRequests(
  needs: MergeRequestNeed[],
  budget: number = MAX,
): Batch<MergeRequestNeed>[] {
  const build = (filtered: boolean) => (chunk: MergeRequestNeed[]) => {
    const args: Record<string, string> = { state: 'all', first: String(GITLAB_LIMITS.maxPageSize) };
    if (filtered) args.sourceBranches = '$refs';
    const query: Query = {
      name: filtered ? 'envReaperMergeRequestsByRef' : 'envReaperMergeRequestsAll',
      variables: filtered ? { ids: '[ID!]', refs: '[String!]' } : { ids: '[ID!]' },
      fields: [
        projectsById(chunk.length, {
          name: 'mergeRequests',
          type: 'MergeRequestConnection',
          args,
          cost: { kind: 'connection', sorted: true },
          children: page('MergeRequest', mergeRequestFields()),
        }),
      ],
    };
    const variables: Record<string, unknown> = { ids: chunk.map((n) => gid('Project', n.projectId)) };
    if (filtered) variables.refs = [...new Set(chunk.flatMap((n) => n.refs ?? []))].sort();
    return batch(query, variables, chunk);
  };
  return [
    ...packConnection(
      needs.filter((n) => n.refs !== undefined),
      GITLAB_LIMITS.maxPageSize,
      build(true),
      budget,
    ),
    ...packConnection(
      needs.filter((n) => n.refs === undefined),
      GITLAB_LIMITS.maxPageSize,
      build(false),
      budget,
    ),
  ];
}

/**
 * Every branch name of many projects: `repository.branchNames(searchPattern: "*")` costs 170 whatever it
 * returns, so nested in `projects(ids:)` about 40 projects share one POST. An exact name would cost the
 * same 170 per ref, so the whole list is the cheaper question.
 */
export function planBranchNames(projectIds: number[], budget: number = MAX): Batch<number>[] {
  return packConnection(
    projectIds,
    GITLAB_LIMITS.maxPageSize,
    (chunk) => {
      const query: Query = {
        name: 'envReaperBranchNames',
        variables: { ids: '[ID!]' },
        fields: [
          projectsById(chunk.length, {
            name: 'repository',
            type: 'Repository',
            cost: { kind: 'plain' },
            children: [
              {
                name: 'branchNames',
                args: { searchPattern: '"*"', offset: '0', limit: '1000000' },
                cost: { kind: 'fixed', cost: 170 },
              },
            ],
          }),
        ],
      };
      return batch(query, { ids: chunk.map((id) => gid('Project', id)) }, chunk);
    },
    budget,
  );
}

/** One aliased item of a project: a ref whose last commit date is read, an environment by name. */
export interface ProjectItem {
  projectPath: string;
  key: string;
}

/**
 * Packs aliased items, grouped by project (`p0: project(fullPath: $p0) { r0: … r1: … }`), adding items
 * while the document stays within the limits.
 */
function packAliased<I extends { projectPath: string; key: string | null }>(
  items: I[],
  name: string,
  keyType: string,
  item: (alias: string, variable: string) => Field,
  budget: number,
): Batch<I>[] {
  const out: Batch<I>[] = [];
  const build = (chunk: I[]) => {
    const projects = new Map<string, Field[]>();
    const fields: Field[] = [];
    const variables: Record<string, unknown> = {};
    const types: Record<string, string> = {};
    const aliases: { project: string; item: string }[] = [];
    chunk.forEach((it, i) => {
      let children = projects.get(it.projectPath);
      const p = `p${fields.length}`;
      if (children === undefined) {
        children = [];
        projects.set(it.projectPath, children);
        variables[p] = it.projectPath;
        types[p] = 'ID!';
        fields.push({
          name: 'project',
          type: 'Project',
          alias: p,
          args: { fullPath: `$${p}` },
          cost: { kind: 'resolver' },
          children,
        });
      }
      variables[`k${i}`] = it.key;
      types[`k${i}`] = keyType;
      children.push(item(`k${i}`, `$k${i}`));
      aliases.push({ project: fields.find((f) => f.children === children)?.alias ?? p, item: `k${i}` });
    });
    const query: Query = { name, variables: types, fields };
    return { ...batch(query, variables, chunk), aliases };
  };
  let start = 0;
  while (start < items.length) {
    let end = start + 1;
    let b = build(items.slice(start, end));
    if (!withinLimits(b.query, budget)) throw new DoesNotFit(name);
    while (end < items.length) {
      const next = build(items.slice(start, end + 1));
      if (!withinLimits(next.query, budget)) break;
      b = next;
      end++;
    }
    out.push(b);
    start = end;
  }
  return out;
}

/** One page of a project's merge requests: the cursor GitLab gave for it (`null`: the first page). */
export interface PageItem {
  projectPath: string;
  key: string | null;
}

/**
 * The source branches of every merge request of many projects, a page of 100 per project and POST
 * (`p0: project(fullPath:) { k0: mergeRequests(state: all, first: 100, after: $k0) { nodes { sourceBranch }
 * pageInfo } }`): 15 points a page, so about 16 projects' pages go in one POST, against one REST request
 * per page. Only the names: a ref slug is matched against them, and the merge requests of the matching
 * branches are then read with every field (`planMergeRequests` by ref).
 */
export function planSourceBranchPages(items: PageItem[], budget: number = MAX): Batch<PageItem>[] {
  return packAliased(
    items,
    'envReaperSourceBranches',
    'String',
    (alias, variable) => ({
      name: 'mergeRequests',
      type: 'MergeRequestConnection',
      alias,
      args: { state: 'all', first: String(GITLAB_LIMITS.maxPageSize), after: variable },
      cost: { kind: 'connection', sorted: true },
      children: page('MergeRequest', [scalar('sourceBranch')]),
    }),
    budget,
  );
}

/**
 * Last commit dates of branches (`repository.tree(ref:).lastCommit.committedDate`, 10 for the commit
 * and a Gitaly call for the tree: about 18 refs per POST). Only for refs whose verdict can depend on it.
 */
export function planCommitDates(items: ProjectItem[], budget: number = MAX): Batch<ProjectItem>[] {
  return packAliased(
    items,
    'envReaperCommitDates',
    'String!',
    (alias, variable) => ({
      name: 'repository',
      type: 'Repository',
      alias,
      cost: { kind: 'plain' },
      children: [
        {
          name: 'tree',
          type: 'Tree',
          args: { ref: variable },
          cost: { kind: 'resolver', gitaly: true },
          children: [
            {
              name: 'lastCommit',
              type: 'Commit',
              cost: { kind: 'fixed', cost: 10 },
              children: [scalar('committedDate')],
            },
          ],
        },
      ],
    }),
    budget,
  );
}

/**
 * Environments by name, aliased (`Project.environments` may be asked for one project per request only;
 * `Project.environment(name:)` has no such limit).
 */
export function planEnvironments(items: ProjectItem[], budget: number = MAX): Batch<ProjectItem>[] {
  return packAliased(
    items,
    'envReaperEnvironments',
    'String!',
    (alias, variable) => ({
      name: 'environment',
      type: 'Environment',
      alias,
      args: { name: variable },
      cost: { kind: 'resolver' },
      children: ['id', 'name', 'slug', 'state', 'tier', 'updatedAt'].map((n) => scalar(n)),
    }),
    budget,
  );
}

/**
 * Every schema item (`Type.field`, `Type.field(argument)`) any document of the planner can use: what
 * an older GitLab may lack, one at a time. Read from the planner's own documents, so a field added to
 * a query is in the list (and in the fallback matrix's cases) without anyone writing it down.
 */
export function everySchemaItem(): string[] {
  const item: ProjectItem = { projectPath: 'acme/shop', key: 'feature/x' };
  const batches: Batch<unknown>[] = [
    ...planProjects([{ id: 1 }, { path: 'acme/shop' }]),
    ...planMergeRequests([{ projectId: 1, refs: ['feature/x'] }, { projectId: 2 }]),
    ...planBranchNames([1]),
    ...planCommitDates([item]),
    ...planEnvironments([item]),
    ...planSourceBranchPages([{ projectPath: 'acme/shop', key: null }]),
  ];
  return [...new Set(batches.flatMap((b) => schemaItems(b.query)))].sort();
}
