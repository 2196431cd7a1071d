/**
 * GraphQL documents as data: a selection tree that knows what each field costs on GitLab, printed to
 * text. Pure (no I/O), so the planner can size a batch before a byte is sent.
 *
 * Written here rather than built on graphql-js: env-reaper only prints the few documents it plans, and
 * the cost of a field is GitLab's own rule, which no GraphQL library computes.
 */

/** GitLab's limits for an authenticated user (`app/graphql/gitlab_schema.rb`, the GraphQL controller). */
export const GITLAB_LIMITS = {
  /** `AUTHENTICATED_MAX_COMPLEXITY`. */
  maxComplexity: 250,
  /** `AUTHENTICATED_MAX_DEPTH`. */
  maxDepth: 20,
  /** `default_max_page_size`. */
  maxPageSize: 100,
  /** `MAX_QUERY_SIZE`, characters of the query text (variables do not count). */
  maxQueryChars: 10_000,
  /** `projects(fullPaths:)` takes at most this many paths. */
  maxFullPaths: 50,
} as const;

/**
 * How GitLab prices a field (`Types::BaseField#field_complexity`, `Resolvers::BaseResolver`):
 * - `plain`: 1, +1 when it calls Gitaly, plus its children;
 * - `fixed`: a declared constant (`Repository.branchNames` 170, `Tree.lastCommit` 10) plus its children;
 * - `resolver`: children + the resolver's own complexity (1, +1 with a sort, also a default one) + 1 when
 *   it calls Gitaly;
 * - `connection`: as `resolver`, the whole multiplied by `1 + min(first, max page size) × 0.01`.
 */
export type FieldCost =
  | { kind: 'plain'; gitaly?: boolean }
  | { kind: 'fixed'; cost: number }
  | { kind: 'resolver'; sorted?: boolean; gitaly?: boolean }
  | { kind: 'connection'; sorted?: boolean; gitaly?: boolean };

/** One field of a selection: `alias: name(args) { children }`. */
export interface Field {
  name: string;
  alias?: string;
  /** Argument name → literal text (`$ids`, `100`, `"*"`, `all`), printed as is. */
  args?: Record<string, string>;
  cost: FieldCost;
  children?: Field[];
}

/** A whole query: its variables' declarations and its top-level fields. */
export interface Query {
  /** Operation name: GitLab logs it, and distinct names keep per-query field limits apart. */
  name: string;
  /** Variable name (without `$`) → GraphQL type (`[ID!]`, `String!`). */
  variables: Record<string, string>;
  fields: Field[];
}

/** A scalar field (1 point; 2 when it calls Gitaly). */
export const scalar = (name: string, gitaly = false): Field => ({
  name,
  cost: gitaly ? { kind: 'plain', gitaly: true } : { kind: 'plain' },
});

/** `nodes { … } pageInfo { hasNextPage endCursor }` of a connection. */
export function page(nodes: Field[]): Field[] {
  return [
    { name: 'nodes', cost: { kind: 'plain' }, children: nodes },
    {
      name: 'pageInfo',
      cost: { kind: 'plain' },
      children: [scalar('hasNextPage'), scalar('endCursor')],
    },
  ];
}

/** The page size GitLab uses for a connection: `first`, capped by the maximum; the maximum without it. */
function pageSize(field: Field): number {
  const first = Number(field.args?.first);
  return Number.isFinite(first) && first > 0
    ? Math.min(first, GITLAB_LIMITS.maxPageSize)
    : GITLAB_LIMITS.maxPageSize;
}

/** GitLab's complexity of one field and its subtree (graphql-ruby truncates each field's score). */
export function fieldComplexity(field: Field): number {
  const children = (field.children ?? []).reduce((sum, c) => sum + fieldComplexity(c), 0);
  const c = field.cost;
  switch (c.kind) {
    case 'plain':
      return 1 + (c.gitaly ? 1 : 0) + children;
    case 'fixed':
      return c.cost + children;
    case 'resolver':
      return children + 1 + (c.sorted ? 1 : 0) + (c.gitaly ? 1 : 0);
    case 'connection': {
      const base = children + 1 + (c.sorted ? 1 : 0) + (c.gitaly ? 1 : 0);
      return Math.trunc(base * (1 + pageSize(field) * 0.01));
    }
  }
}

/** The query's complexity: the sum over its top-level fields (every alias counts in full). */
export function complexity(query: Query): number {
  return query.fields.reduce((sum, f) => sum + fieldComplexity(f), 0);
}

/** The query's depth, as GitLab counts it: the deepest chain of fields. */
export function depth(query: Query): number {
  const of = (f: Field): number => 1 + Math.max(0, ...(f.children ?? []).map(of));
  return Math.max(0, ...query.fields.map(of));
}

function printField(f: Field): string {
  const args = Object.entries(f.args ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const head = `${f.alias ? `${f.alias}: ` : ''}${f.name}${args ? `(${args})` : ''}`;
  return f.children?.length ? `${head} { ${f.children.map(printField).join(' ')} }` : head;
}

/** The query as text, on one line (its length is what GitLab's 10,000-character limit counts). */
export function print(query: Query): string {
  const vars = Object.entries(query.variables)
    .map(([k, t]) => `$${k}: ${t}`)
    .join(', ');
  return `query ${query.name}${vars ? `(${vars})` : ''} { ${query.fields.map(printField).join(' ')} }`;
}

/**
 * Whether a query stays under every limit GitLab enforces on a document; `budget` lowers the complexity
 * ceiling (a batch GitLab priced higher than we did is planned again under a smaller one).
 */
export function withinLimits(query: Query, budget: number = GITLAB_LIMITS.maxComplexity): boolean {
  return (
    complexity(query) <= Math.min(budget, GITLAB_LIMITS.maxComplexity) &&
    depth(query) <= GITLAB_LIMITS.maxDepth &&
    print(query).length <= GITLAB_LIMITS.maxQueryChars
  );
}
