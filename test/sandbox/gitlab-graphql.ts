import {
  buildSchema,
  type DocumentNode,
  type ExecutionResult,
  execute,
  type FieldNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isObjectType,
  Kind,
  parse,
  type SelectionSetNode,
  validate,
  valueFromASTUntyped,
} from 'graphql';
import { HttpError } from './gitlab-answers.js';
import { rubyValidationErrors } from './graphql-ruby-errors.js';
import type { SandboxProject, World } from './world.js';

/**
 * GitLab's GraphQL API (`POST /api/graphql`) over the same world as REST, on graphql-js: GitLab's type,
 * field and argument names for what env-reaper reads, GitLab's complexity rules and limits (250, depth
 * 20, 10,000 characters, page size 100, 50 `fullPaths`, `Project.environments` for one project per
 * request) and its error texts (graphql-ruby's, not graphql-js's). Scenario switches disable it, remove
 * fields or arguments (an older GitLab), inject resolver errors, or raise the price of a query.
 */

const SDL = `
scalar Time
type Query {
  projects(ids: [ID!], fullPaths: [String!], membership: Boolean, search: String, sort: String, first: Int, after: String): ProjectConnection
  project(fullPath: ID!): Project
  metadata: Metadata
}
type Metadata { version: String! revision: String! enterprise: Boolean! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type ProjectConnection { nodes: [Project] pageInfo: PageInfo! count: Int! }
type Project {
  id: ID!
  fullPath: ID!
  name: String!
  archived: Boolean
  repository: Repository
  userPermissions: ProjectPermissions!
  branchRules(first: Int, after: String): BranchRuleConnection
  mergeRequests(sourceBranches: [String!], targetBranches: [String!], state: MergeRequestState, iids: [String!], first: Int, after: String): MergeRequestConnection
  environment(name: String, search: String): Environment
  environments(name: String, search: String, states: [String!], first: Int, after: String): EnvironmentConnection
}
type ProjectPermissions { adminProject: Boolean! readProject: Boolean! }
type BranchRuleConnection { nodes: [BranchRule] pageInfo: PageInfo! }
type BranchRule { name: String! isDefault: Boolean! isProtected: Boolean! }
type Repository {
  rootRef: String
  exists: Boolean!
  empty: Boolean!
  branchNames(searchPattern: String!, offset: Int!, limit: Int!): [String!]
  tree(ref: String, path: String, recursive: Boolean): Tree
}
type Tree { lastCommit: Commit permalinkPath: String }
type Commit { id: ID! sha: String! committedDate: Time }
enum MergeRequestState { merged opened closed locked all }
type MergeRequestConnection { nodes: [MergeRequest] pageInfo: PageInfo! count: Int }
type MergeRequest {
  id: ID!
  iid: String!
  title: String!
  state: MergeRequestState!
  sourceBranch: String!
  targetBranch: String!
  createdAt: Time!
  updatedAt: Time!
  mergedAt: Time
  closedAt: Time
  webUrl: String
  draft: Boolean!
  author: MergeRequestAuthor
  labels(first: Int, after: String): LabelConnection
}
type MergeRequestAuthor { id: ID! name: String! username: String! }
type LabelConnection { nodes: [Label] pageInfo: PageInfo! }
type Label { id: ID! title: String! color: String! }
enum DeploymentTier { PRODUCTION STAGING TESTING DEVELOPMENT OTHER }
type Environment { id: ID! name: String! slug: String state: String! tier: DeploymentTier createdAt: Time updatedAt: Time }
type EnvironmentConnection { nodes: [Environment] pageInfo: PageInfo! }
`;

/** How GitLab prices a field (`Types::BaseField`): see env-reaper's docs/performance.md. */
type Price =
  | { kind: 'fixed'; cost: number }
  | { kind: 'resolver'; own: number; connection: boolean; iidsFree?: boolean };

/** The fields that are not plain (1, or 2 with a Gitaly call) in GitLab's schema. */
const PRICES: Record<string, Price> = {
  'Query.projects': { kind: 'resolver', own: 2, connection: true },
  'Query.project': { kind: 'resolver', own: 1, connection: false },
  'Project.mergeRequests': { kind: 'resolver', own: 2, connection: true, iidsFree: true },
  'Project.branchRules': { kind: 'resolver', own: 1, connection: true },
  'Project.environment': { kind: 'resolver', own: 1, connection: false },
  'Project.environments': { kind: 'resolver', own: 1, connection: true },
  'Repository.branchNames': { kind: 'fixed', cost: 170 },
  'Repository.tree': { kind: 'resolver', own: 2, connection: false },
  'Tree.lastCommit': { kind: 'fixed', cost: 10 },
  'MergeRequest.mergedAt': { kind: 'fixed', cost: 5 },
  'MergeRequest.closedAt': { kind: 'fixed', cost: 5 },
  'MergeRequest.labels': { kind: 'fixed', cost: 5 },
};
/** Plain fields that call Gitaly (+1): `calls_gitaly: true` in GitLab's type definitions. */
const GITALY = new Set([
  'Repository.rootRef',
  'Repository.exists',
  'Repository.empty',
  'BranchRule.isDefault',
]);

const LIMITS = { complexity: 250, depth: 20, chars: 10_000, pageSize: 100, fullPaths: 50 };

/** The schema an instance has: GitLab's, less what `without` removes (an older version). */
export function schemaWithout(without: string[] = []): GraphQLSchema {
  let sdl = SDL;
  for (const w of without) {
    const m = /^(\w+)\.(\w+)(?:\((\w+)\))?$/.exec(w);
    if (!m) throw new Error(`graphql.without: expected Type.field or Type.field(argument), got ${w}`);
    const [, type, field, arg] = m as unknown as [string, string, string, string | undefined];
    const block = new RegExp(`(type ${type} \\{[\\s\\S]*?\\n?\\})`);
    sdl = sdl.replace(block, (body) =>
      arg
        ? body
            .replace(new RegExp(`(\\b${field}\\([^)]*?)\\b${arg}: [^,)]+,? ?`), '$1')
            // A field left without arguments has no parentheses (GraphQL has no `()`).
            .replace(new RegExp(`\\b${field}\\(\\s*\\)`), field)
        : body.replace(new RegExp(`\\n?\\s*${field}(\\([^)]*\\))?: [^\\n]+?(?=\\n|\\s\\w+[:(]|\\s\\})`), ''),
    );
  }
  return buildSchema(sdl);
}

/** GitLab's complexity and depth of the operation (variables resolved for `first`). */
export function price(
  schema: GraphQLSchema,
  doc: DocumentNode,
  variables: Record<string, unknown>,
): { complexity: number; depth: number } {
  const op = getOperationAST(doc);
  let maxDepth = 0;
  const argValue = (node: FieldNode, name: string): unknown => {
    const a = node.arguments?.find((x) => x.name.value === name);
    return a ? valueFromASTUntyped(a.value, variables) : undefined;
  };
  const walk = (set: SelectionSetNode | undefined, parent: GraphQLNamedType, level: number): number => {
    if (!set || !isObjectType(parent)) return 0;
    let sum = 0;
    for (const sel of set.selections) {
      if (sel.kind !== Kind.FIELD) continue;
      maxDepth = Math.max(maxDepth, level);
      const def: GraphQLField<unknown, unknown> | undefined = (parent as GraphQLObjectType).getFields()[
        sel.name.value
      ];
      if (!def) continue;
      const key = `${parent.name}.${sel.name.value}`;
      const children = walk(sel.selectionSet, getNamedType(def.type), level + 1);
      const p = PRICES[key];
      if (!p) sum += 1 + (GITALY.has(key) ? 1 : 0) + children;
      else if (p.kind === 'fixed') sum += p.cost + children;
      else {
        const base = children + p.own;
        if (!p.connection) sum += base;
        else {
          const free = p.iidsFree && argValue(sel, 'iids') !== undefined;
          const first = Number(argValue(sel, 'first'));
          const size =
            Number.isFinite(first) && first > 0 ? Math.min(first, LIMITS.pageSize) : LIMITS.pageSize;
          sum += Math.trunc(base * (1 + (free ? 0 : size * 0.01)));
        }
      }
    }
    return sum;
  };
  const root = op ? schema.getRootType(op.operation) : undefined;
  const complexity = root && op ? walk(op.selectionSet, root, 1) : 0;
  return { complexity, depth: maxDepth };
}

const gid = (type: string, id: number) => `gid://gitlab/${type}/${id}`;
const idOf = (g: string) => Number(/\/(\d+)$/.exec(g)?.[1] ?? Number.NaN);
/** GitLab's `Time`: ISO 8601 to the second. */
const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 19)}Z` : null);

/** One page of a list, with GitLab's cursors (an opaque offset here). */
function connection<T>(items: T[], args: { first?: number; after?: string }) {
  const size = Math.min(args.first ?? LIMITS.pageSize, LIMITS.pageSize);
  const from = args.after ? Number(Buffer.from(args.after, 'base64').toString('utf8')) : 0;
  const nodes = items.slice(from, from + size);
  const end = from + nodes.length;
  return {
    nodes,
    count: items.length,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: from > 0,
      startCursor: Buffer.from(String(from)).toString('base64'),
      endCursor: Buffer.from(String(end)).toString('base64'),
    },
  };
}

/** GitLab's answer to one GraphQL POST. */
export class GitLabGraphqlSandbox {
  private schemaFor = new Map<string, GraphQLSchema>();

  constructor(private readonly world: World) {}

  private schema(): GraphQLSchema {
    const without = this.world.scenario.gitlab.graphql.without;
    const key = without.join('|');
    let s = this.schemaFor.get(key);
    if (!s) {
      s = schemaWithout(without);
      this.schemaFor.set(key, s);
    }
    return s;
  }

  /** Answers the POST body; throws HttpError for what GitLab answers with a status. */
  async handle(body: Record<string, unknown>, token: string): Promise<ExecutionResult> {
    const cfg = this.world.scenario.gitlab.graphql;
    if (!cfg.enabled) throw new HttpError(404, { message: '404 Not Found' });
    const scopes = this.world.scenario.gitlab.tokenScopes[token] ?? ['api'];
    if (!scopes.includes('api') && !scopes.includes('read_api'))
      throw new HttpError(403, { error: 'insufficient_scope', scope: 'read_api' });
    const text = body.query;
    if (typeof text !== 'string') return { errors: [new GraphQLError('No query string was present')] };
    if (text.length > LIMITS.chars) throw new HttpError(422, { errors: [{ message: 'Query too large' }] });
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    let doc: DocumentNode;
    try {
      doc = parse(text);
    } catch (e) {
      return { errors: [new GraphQLError((e as Error).message)] };
    }
    const schema = this.schema();
    const invalid = validate(schema, doc);
    if (invalid.length > 0) return { errors: rubyValidationErrors(schema, doc, invalid) };
    const { complexity, depth } = price(schema, doc, variables);
    const scored = Math.trunc(complexity * cfg.complexityFactor);
    this.world.graphqlComplexities.push(scored);
    if (scored > LIMITS.complexity)
      return {
        errors: [
          new GraphQLError(
            `Query has complexity of ${scored}, which exceeds max complexity of ${LIMITS.complexity}`,
          ),
        ],
      };
    if (depth > LIMITS.depth)
      return {
        errors: [new GraphQLError(`Query has depth of ${depth}, which exceeds max depth of ${LIMITS.depth}`)],
      };
    const role = this.world.scenario.gitlab.tokenRoles[token] ?? 'maintainer';
    const environmentsCalls = { n: 0 };
    return await execute({
      schema,
      document: doc,
      variableValues: variables,
      rootValue: this.root(role, environmentsCalls),
    });
  }

  /** A resolver error the scenario injects on `Type.field` for this project. */
  private injected(field: string, projectId: number): void {
    const f = this.world.scenario.gitlab.graphql.fieldErrors.find(
      (x) => x.field === field && (!x.projects || x.projects.includes(projectId)),
    );
    if (f) throw new GraphQLError(f.message);
  }

  private root(role: 'developer' | 'maintainer', calls: { n: number }) {
    const visible = [...this.world.projects.values()].filter((p) => p.visible);
    return {
      metadata: () => ({ version: '18.6.0', revision: 'sandbox', enterprise: false }),
      project: ({ fullPath }: { fullPath: string }) => {
        const p = visible.find((x) => x.path.toLowerCase() === fullPath.toLowerCase());
        return p ? this.project(p, role, calls) : null;
      },
      projects: (args: { ids?: string[]; fullPaths?: string[]; first?: number; after?: string }) => {
        if ((args.fullPaths?.length ?? 0) > LIMITS.fullPaths)
          throw new GraphQLError(`You cannot provide more than ${LIMITS.fullPaths} full_paths`);
        let found = visible;
        if (args.ids) {
          const ids = new Set(args.ids.map(idOf));
          found = found.filter((p) => ids.has(p.id));
        }
        if (args.fullPaths) {
          const paths = new Set(args.fullPaths.map((x) => x.toLowerCase()));
          found = found.filter((p) => paths.has(p.path.toLowerCase()));
        }
        // GitLab's default order: newest id first.
        const sorted = [...found].sort((a, b) => b.id - a.id);
        return connection(
          sorted.map((p) => this.project(p, role, calls)),
          args,
        );
      },
    };
  }

  private project(p: SandboxProject, role: 'developer' | 'maintainer', calls: { n: number }) {
    const startedAt = this.world.startedAt;
    const branchExists = (name: string) => p.branches.has(name) || p.branchNames.includes(name);
    return {
      id: gid('Project', p.id),
      fullPath: p.path,
      name: p.path.split('/').at(-1),
      archived: p.archived || p.ancestorArchived,
      userPermissions: { adminProject: role === 'maintainer', readProject: true },
      branchRules: (args: { first?: number; after?: string }) => {
        this.injected('Project.branchRules', p.id);
        // BranchRuleType needs read_protected_branch: a developer's token sees no rule at all.
        if (role !== 'maintainer') return connection([], args);
        const names = [
          ...[...p.branches.values()].filter((b) => b.protected).map((b) => b.name),
          ...p.protectedBranchRules,
        ];
        const rules = [...new Set(names)].map((name) => ({
          name,
          isDefault: name === p.defaultBranch,
          isProtected: true,
        }));
        // Recent GitLab adds an "All branches" pseudo-rule, which protects nothing.
        rules.push({ name: 'All branches', isDefault: false, isProtected: false });
        return connection(rules, args);
      },
      repository: () => ({
        rootRef: p.defaultBranch,
        exists: true,
        empty: false,
        branchNames: (args: { searchPattern: string; offset: number; limit: number }) => {
          this.injected('Repository.branchNames', p.id);
          const re = new RegExp(
            `^${args.searchPattern
              .split('*')
              .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
              .join('.*')}$`,
          );
          const names = p.branchNames.filter((n) => re.test(n));
          // The default branch first, then by name (Repository#search_branch_names, sorted).
          const ordered = [
            ...names.filter((n) => n === p.defaultBranch),
            ...names.filter((n) => n !== p.defaultBranch),
          ];
          return ordered.slice(args.offset, args.offset + args.limit);
        },
        tree: (args: { ref?: string }) => {
          this.injected('Repository.tree', p.id);
          const ref = args.ref ?? p.defaultBranch;
          if (!branchExists(ref)) return null;
          const committed =
            p.branches.get(ref)?.committedAt ?? new Date(startedAt - 7 * 86_400_000).toISOString();
          const sha = Buffer.from(`${p.id}/${ref}`).toString('hex').padEnd(40, '0').slice(0, 40);
          return { lastCommit: { id: gid('Commit', p.id), sha, committedDate: time(committed) } };
        },
      }),
      mergeRequests: (args: {
        sourceBranches?: string[];
        state?: string;
        iids?: string[];
        first?: number;
        after?: string;
      }) => {
        this.injected('Project.mergeRequests', p.id);
        let mrs = p.mergeRequests;
        if (args.sourceBranches) {
          const wanted = new Set(args.sourceBranches);
          mrs = mrs.filter((m) => wanted.has(m.sourceBranch));
        }
        if (args.state && args.state !== 'all') mrs = mrs.filter((m) => m.state === args.state);
        if (args.iids) mrs = mrs.filter((m) => args.iids?.includes(String(m.iid)));
        const sorted = [...mrs].sort((a, b) =>
          a.createdAt === b.createdAt ? b.id - a.id : a.createdAt < b.createdAt ? 1 : -1,
        );
        return connection(
          sorted.map((m) => ({
            id: gid('MergeRequest', m.id),
            iid: String(m.iid),
            title: m.title,
            state: m.state,
            sourceBranch: m.sourceBranch,
            targetBranch: m.targetBranch,
            createdAt: time(m.createdAt),
            updatedAt: time(m.updatedAt),
            mergedAt: time(m.mergedAt),
            closedAt: time(m.closedAt),
            webUrl: `http://sandbox/${p.path}/-/merge_requests/${m.iid}`,
            draft: false,
            author: { username: m.author },
            labels: (a: { first?: number; after?: string }) =>
              connection(
                m.labels.map((title) => ({ title })),
                a,
              ),
          })),
          args,
        );
      },
      environment: (args: { name?: string }) => {
        this.injected('Project.environment', p.id);
        const e = p.environments.find((x) => x.name === args.name);
        return e ? this.environment(e) : null;
      },
      environments: (args: { name?: string; states?: string[]; first?: number; after?: string }) => {
        calls.n++;
        if (calls.n > 1)
          throw new GraphQLError('"environments" field can be requested only for 1 Project(s) at a time.');
        let envs = p.environments;
        if (args.name) envs = envs.filter((e) => e.name === args.name);
        if (args.states) envs = envs.filter((e) => args.states?.includes(e.state));
        return connection(
          envs.map((e) => this.environment(e)),
          args,
        );
      },
    };
  }

  private environment(e: SandboxProject['environments'][number]) {
    return {
      id: gid('Environment', e.id),
      name: e.name,
      slug: e.slug,
      state: e.state,
      tier: e.tier.toUpperCase(),
      createdAt: time(e.createdAt),
      updatedAt: time(e.updatedAt),
    };
  }
}
