import { z } from 'zod';
import type { EvidenceError, MergeRequestFacts } from '../core/model.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import { argumentItem, itemAt, type Query, schemaItems } from './graphql-document.js';
import type { Batch } from './graphql-planner.js';
import { asMergeRequest, isoDate } from './schemas.js';

/**
 * GitLab's GraphQL answers as env-reaper reads them: the shapes (validated with zod at the boundary, as
 * REST's), the error texts that mean "this GitLab cannot answer that" or "priced above the limit", and
 * how an error's path pins it to one item of a batch.
 */

/** One item's answer. */
export type Answer<T> =
  | { kind: 'ok'; value: T }
  /** The answer lacks it (a project not visible, renamed, or gone: only REST can tell which). */
  | { kind: 'missing' }
  | { kind: 'error'; error: EvidenceError };

export const errorSchema = z.object({
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).nullish(),
  extensions: z
    .object({
      code: z.string().optional(),
      typeName: z.string().optional(),
      fieldName: z.string().optional(),
      argumentName: z.string().optional(),
      name: z.string().optional(),
    })
    .nullish(),
});
export const answerSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z.array(errorSchema).nullish(),
});
export type GraphqlError = z.output<typeof errorSchema>;

/**
 * The three kinds of GraphQL error graphql-ruby writes (docs/sandbox.md, "GitLab GraphQL"):
 * - `validation`: the document does not fit this instance's schema (a field or argument an older GitLab
 *   lacks). No `data`; the path starts with the operation (`"query envReaperProjectsById"`), or is empty
 *   for an unused variable; `extensions.code` says which rule.
 * - `analysis`: the document was refused whole (complexity, depth). No `data`, no path.
 * - `execution`: a field failed while the rest was answered. `data` with `null` there; the path runs
 *   through the response (`["projects", "nodes", 0, "mergeRequests"]`).
 */
export type ErrorKind = 'validation' | 'analysis' | 'execution';

/** graphql-ruby's static validation codes env-reaper's documents can meet (`rules/*_error.rb`). */
const VALIDATION_CODES = new Set([
  'undefinedField',
  'argumentNotAccepted',
  'argumentLiteralsIncompatible',
  'variableNotUsed',
  'variableRequiresValidType',
  'missingRequiredArguments',
  'selectionMismatch',
]);

/** Which kind of error it is: by `extensions.code` where present, else by path and message. */
export function errorKind(e: GraphqlError, hasData: boolean): ErrorKind {
  const first = e.path?.[0];
  if (typeof first === 'string' && /^(query|mutation|subscription)( |$)/.test(first)) return 'validation';
  const code = e.extensions?.code;
  if (!hasData && code !== undefined && VALIDATION_CODES.has(code)) return 'validation';
  if (e.path?.length) return 'execution';
  return !hasData && UNSUPPORTED.some((re) => re.test(e.message)) ? 'validation' : 'analysis';
}

/** Messages graphql-ruby gives when a document does not fit the schema (without `extensions`). */
export const UNSUPPORTED = [
  /Field '[^']+' doesn't exist on type '[^']+'/,
  /Field '[^']+' doesn't accept argument '[^']+'/,
  /Argument '[^']+' on Field '[^']+' has an invalid value/,
  /Variable \$\w+ is declared by .+ but not used/,
  /\w+ isn't a defined input type \(on \$\w+\)/,
];
export const COMPLEXITY = /Query has complexity of (\d+), which exceeds max complexity of (\d+)/;

/**
 * The schema item a validation error says the instance lacks (`Project.branchRules`,
 * `Project.mergeRequests(sourceBranches)`), read from graphql-ruby's `extensions` and path, else from its
 * message; `consequence` for an unused variable (it follows from a rejected argument or field);
 * `undefined` when it names nothing this document asked for.
 */
export function lackedItem(e: GraphqlError, query: Query): string | 'consequence' | undefined {
  const x = e.extensions ?? {};
  const field = /^Field '(\w+)' doesn't exist on type '(\w+)'/.exec(e.message);
  const arg = /^Field '(\w+)' doesn't accept argument '(\w+)'/.exec(e.message);
  const literal = /^Argument '(\w+)' on Field '(\w+)' has an invalid value/.exec(e.message);
  if (x.code === 'variableNotUsed' || /^Variable \$\w+ is declared by/.test(e.message)) return 'consequence';
  if (x.code === 'undefinedField' || field) {
    const type = x.typeName ?? field?.[2];
    const name = x.fieldName ?? field?.[1];
    const item = `${type}.${name}`;
    return schemaItems(query).includes(item) ? item : undefined;
  }
  const argument = x.argumentName ?? arg?.[2] ?? literal?.[1];
  const owner = x.name ?? arg?.[1] ?? literal?.[2];
  if (argument === undefined || owner === undefined) return undefined;
  if (e.path?.length) return itemAt(query, e.path, argument);
  return argumentItem(query, owner, argument);
}

export const gidNumber = (gid: unknown): number | undefined => {
  const m = typeof gid === 'string' ? /\/(\d+)$/.exec(gid) : null;
  return m ? Number(m[1]) : undefined;
};

export const projectNode = z.object({
  id: z.string(),
  fullPath: z.string(),
  archived: z.boolean(),
  repository: z.object({ rootRef: z.string().nullish() }).nullish(),
  userPermissions: z.object({ adminProject: z.boolean() }).nullish(),
  branchRules: z
    .object({
      nodes: z.array(z.object({ name: z.string(), isProtected: z.boolean() })),
      pageInfo: z.object({ hasNextPage: z.boolean() }),
    })
    .nullish(),
});
export const mergeRequestNode = z.object({
  iid: z.string(),
  state: z.enum(['opened', 'closed', 'merged', 'locked']),
  sourceBranch: z.string(),
  createdAt: isoDate.nullish(),
  updatedAt: isoDate.nullish(),
  mergedAt: isoDate.nullish(),
  closedAt: isoDate.nullish(),
  webUrl: z.string().nullish(),
  author: z.object({ username: z.string() }).nullish(),
  labels: z
    .object({
      nodes: z.array(z.object({ title: z.string() })),
      pageInfo: z.object({ hasNextPage: z.boolean() }),
    })
    .nullish(),
});
export const pageOf = <T extends z.ZodType>(node: T) =>
  z.object({ nodes: z.array(node.nullable()), pageInfo: z.object({ hasNextPage: z.boolean() }) });
export const environmentNode = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string().nullish(),
  state: z.string(),
  tier: z.string().nullish(),
  updatedAt: isoDate.nullish(),
});

export const malformed = (message: string): EvidenceError => ({
  code: 'MALFORMED_RESPONSE',
  message,
  operation: 'POST /api/graphql',
});

/** The instance lacks these schema items (a validation error named them): fit the batch and ask again. */
export class SchemaLacks extends Error {
  override readonly name = 'SchemaLacks';
  constructor(
    readonly items: string[],
    message: string,
  ) {
    super(message);
  }
}

/** A batch that got no usable answer at all: every item in it fails with this evidence error. */
export class BatchFailed extends Error {
  override readonly name = 'BatchFailed';
  constructor(readonly evidence: EvidenceError) {
    super(evidence.message);
  }
}

/** GitLab priced a query above its limit (it says by how much): the batch is planned again. */
export class ComplexityOverrun extends Error {
  override readonly name = 'ComplexityOverrun';
  constructor(
    readonly score: number,
    readonly limit: number,
  ) {
    super(`Query has complexity of ${score}, which exceeds max complexity of ${limit}`);
  }
}

export function fieldError(e: GraphqlError): EvidenceError {
  const timeout = /^Timeout on /.test(e.message);
  return {
    code: timeout ? 'TIMEOUT' : 'GRAPHQL_ERROR',
    message: scrub(e.message),
    operation: 'POST /api/graphql',
  };
}

/** Fails the items without an answer yet (`force`: every item, answered or not). */
export function failEach<T, V>(
  out: Map<T, Answer<V>>,
  items: T[],
  error: EvidenceError,
  force = false,
): void {
  // Each item its own copy: the collector names each failure where it happened (its project's scope).
  for (const i of items) if (force || !out.has(i)) out.set(i, { kind: 'error', error: { ...error } });
}

/** An aliased project of an answer: its fields by alias, or null when the token cannot see it. */
const aliasedProject = z.record(z.string(), z.unknown()).nullish();

/** Reads an aliased batch: `data.p0.k3` is item 3's answer; an error under `p0` fails its items. */
export function readAliased<T, V>(
  b: Batch<T>,
  data: Record<string, unknown>,
  errors: GraphqlError[],
  out: Map<T, Answer<V>>,
  read: (value: unknown) => Answer<V>,
): void {
  b.items.forEach((it, i) => {
    const alias = b.aliases?.[i];
    if (!alias) return;
    const { project, item } = alias;
    const failed = errors.find((e) => e.path?.[0] === project && (e.path.length === 1 || e.path[1] === item));
    const p = aliasedProject.safeParse(data[project]);
    if (failed) out.set(it, { kind: 'error', error: fieldError(failed) });
    else if (!p.success) out.set(it, { kind: 'error', error: malformed(`${project}: not an object`) });
    // A project the token cannot see answers null: that is not evidence about its refs.
    else if (p.data === null || p.data === undefined) out.set(it, { kind: 'missing' });
    else out.set(it, read(p.data[item] ?? null));
  });
  const stray = errors.find((e) => !(b.aliases ?? []).some((a) => a.project === e.path?.[0]));
  if (stray) failEach(out, b.items, fieldError(stray), true);
}

/** GraphQL's MR (`Project.mergeRequests`), through the same builder as REST's (`schemas.ts`). */
export function toMergeRequest(m: z.output<typeof mergeRequestNode>): MergeRequestFacts {
  return asMergeRequest({
    iid: Number(m.iid),
    sourceBranch: m.sourceBranch,
    state: m.state,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    mergedAt: m.mergedAt,
    closedAt: m.closedAt,
    author: m.author?.username,
    webUrl: m.webUrl,
    labels: m.labels?.nodes.map((l) => l.title),
  });
}
