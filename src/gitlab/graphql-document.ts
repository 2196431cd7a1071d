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
  /** The named type the field returns, on fields with children: it names the schema items below. */
  type?: string;
  /**
   * Left out when the instance lacks anything inside it (an older GitLab) instead of failing the whole
   * document: names the capability REST then serves in its place.
   */
  optional?: string;
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

/** `nodes { … } pageInfo { hasNextPage endCursor }` of a connection of `type`. */
export function page(type: string, nodes: Field[]): Field[] {
  return [
    { name: 'nodes', type, cost: { kind: 'plain' }, children: nodes },
    {
      name: 'pageInfo',
      type: 'PageInfo',
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

/**
 * The schema items a document uses, spelled `Type.field` and `Type.field(argument)`: what an older
 * GitLab may lack, one by one (the fallback matrix asks for each).
 */
export function schemaItems(query: Query): string[] {
  return [...itemsOf(query.fields, 'Query')];
}

function itemsOf(fields: Field[], parent: string, out = new Set<string>()): Set<string> {
  for (const f of fields) {
    out.add(`${parent}.${f.name}`);
    for (const a of Object.keys(f.args ?? {})) out.add(`${parent}.${f.name}(${a})`);
    if (f.children) itemsOf(f.children, f.type ?? '?', out);
  }
  return out;
}

/**
 * The schema item a validation error's path names, walked through the document by alias (or name):
 * `["query Op", "projects", "nodes", "mergeRequests", "sourceBranches"]` with the argument
 * `sourceBranches` is `Project.mergeRequests(sourceBranches)`. The first element is the operation.
 */
export function itemAt(
  query: Query,
  path: readonly (string | number)[],
  argument?: string,
): string | undefined {
  const names = path.slice(1).map(String);
  // graphql-ruby pushes the argument's name before its rules run; tolerate a path that stops at the field.
  if (argument !== undefined && names.at(-1) === argument) names.pop();
  let parent = 'Query';
  let fields: Field[] | undefined = query.fields;
  let field: Field | undefined;
  for (const [i, n] of names.entries()) {
    field = fields?.find((f) => (f.alias ?? f.name) === n);
    if (!field) return undefined;
    if (i < names.length - 1) {
      parent = field.type ?? '?';
      fields = field.children;
    }
  }
  if (!field) return undefined;
  if (argument === undefined) return `${parent}.${field.name}`;
  return field.args && argument in field.args ? `${parent}.${field.name}(${argument})` : undefined;
}

/** The item of an argument error that names the field by alias or name only (no path to walk). */
export function argumentItem(query: Query, fieldName: string, argument: string): string | undefined {
  let found: string | undefined;
  const walk = (fields: Field[], parent: string) => {
    for (const f of fields) {
      if ((f.alias ?? f.name) === fieldName && f.args && argument in f.args)
        found ??= `${parent}.${f.name}(${argument})`;
      if (f.children) walk(f.children, f.type ?? '?');
    }
  };
  walk(query.fields, 'Query');
  return found;
}

/** A document fitted to what an instance lacks. */
export interface Fitted {
  query: Query;
  /** Optional parts left out: the capability each served, and the item it lacked. */
  dropped: { capability: string; item: string }[];
  /** Items the document still needs that the instance lacks: it cannot be asked. */
  lacking: string[];
}

/**
 * Leaves out the optional parts that use an item the instance lacks (and the variables only they
 * used: graphql-ruby refuses a declared variable nothing uses), and says what is still lacking.
 */
export function fitToSchema(query: Query, missing: ReadonlySet<string>): Fitted {
  const dropped: Fitted['dropped'] = [];
  const lacked = (f: Field, parent: string) => [...itemsOf([f], parent)].find((i) => missing.has(i));
  // Optional parts go together: every field of a selection tagged for the same capability.
  const prune = (fields: Field[], parent: string): Field[] => {
    const gone = new Set<string>();
    for (const f of fields) {
      const item = f.optional === undefined ? undefined : lacked(f, parent);
      if (f.optional !== undefined && item !== undefined && !gone.has(f.optional)) {
        gone.add(f.optional);
        dropped.push({ capability: f.optional, item });
      }
    }
    return fields.flatMap((f) => {
      if (f.optional !== undefined && gone.has(f.optional)) return [];
      if (lacked(f, parent) === undefined) return [f];
      return [f.children ? { ...f, children: prune(f.children, f.type ?? '?') } : f];
    });
  };
  const fields = missing.size === 0 ? query.fields : prune(query.fields, 'Query');
  const text = (fs: Field[]): string => fs.map(printField).join(' ');
  const body = text(fields);
  const variables = Object.fromEntries(
    Object.entries(query.variables).filter(([v]) => new RegExp(`\\$${v}\\b`).test(body)),
  );
  const fitted: Query = { ...query, variables, fields };
  return { query: fitted, dropped, lacking: schemaItems(fitted).filter((i) => missing.has(i)) };
}
