import type { EnvironmentFacts, MergeRequestFacts } from '../core/model.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import {
  type Answer,
  answerSchema,
  BatchFailed,
  COMPLEXITY,
  ComplexityOverrun,
  errorKind,
  failEach,
  type GraphqlError,
  lackedItem,
  malformed,
  readAliased,
  SchemaLacks,
} from './graphql-answers.js';
import { complexity, fitToSchema, GITLAB_LIMITS, print } from './graphql-document.js';
import {
  type Batch,
  DoesNotFit,
  type MergeRequestNeed,
  type PageItem,
  type ProjectItem,
  type ProjectKey,
  planBranchNames,
  planCommitDates,
  planEnvironments,
  planMergeRequests,
  planProjects,
  planSourceBranchPages,
} from './graphql-planner.js';
import {
  type BatchReader,
  type BranchNames,
  commitDateOf,
  environmentOf,
  type GraphqlProject,
  readBranchNames,
  readMergeRequests,
  readProjects,
  type SourceBranchPage,
  sourceBranchPageOf,
} from './graphql-readers.js';
import type { GitLabGraphql } from './ports.js';
import { statusOf, toEvidenceError } from './reader.js';

/**
 * Runs the planner's batches against GitLab's GraphQL API and reads the answers back per item. GraphQL
 * answers HTTP 200 with `errors` and `null`s for timeouts, complexity overruns, call-count limits and
 * authorization: an item on an errored path fails (its stacks become `unknown`), and when an error cannot
 * be pinned to an item, every item of its batch fails. An instance that lacks a field or an argument
 * (an older GitLab) answers a validation error naming it: that item is remembered for the rest of the
 * run, an optional part that used it is left out (branch rules: REST reads protection), and a batch that
 * needs it is not sent again (its items are `missing`: REST reads them). A capability's first batch goes
 * alone, as the probe, so an older GitLab refuses one document, not every batch. GraphQL disabled makes
 * every capability REST's. No introspection: recent GitLab versions restrict it; the real query is the
 * probe.
 */

/** The kinds of fact GraphQL can serve, each falling back to REST on its own. */
export const CAPABILITIES = ['projects', 'mergeRequests', 'branches', 'commitDates', 'environments'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What GraphQL served in a run, for the report (`gitlabApi`). */
export interface GraphqlUsage {
  /** POSTs to /api/graphql. */
  requests: number;
  /** The highest complexity any request reached, as planned (GitLab's rules). */
  maxComplexity: number;
  /** Capabilities GraphQL could not serve this run, wholly or in part, and why (REST served them). */
  unsupported: Partial<Record<Capability, string>>;
  /** Schema items this instance lacks (`Project.branchRules`, `Query.projects(fullPaths)`), as found. */
  lacking: string[];
}

/** A capability GraphQL cannot serve on this instance. */
export class Unsupported extends Error {
  override readonly name = 'Unsupported';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Rounds of "the instance lacks X, ask again without it" for one batch (each must learn something). */
const MAX_SCHEMA_ROUNDS = 20;

/** What the readers read (defined beside them). */
/** One item's answer (defined with the wire shapes). */
export type { Answer, BranchNames, GraphqlProject };

/** The GraphQL side of a run's GitLab reads. */
export class GraphqlReads {
  readonly usage: GraphqlUsage = { requests: 0, maxComplexity: 0, unsupported: {}, lacking: [] };
  /** Schema items the instance lacks, remembered for the rest of the run. */
  private readonly missing = new Set<string>();
  /** Capabilities GraphQL cannot serve at all this run. */
  private readonly off = new Set<Capability>();

  constructor(private readonly api: GitLabGraphql) {}

  /** Whether the capability is still worth asking GraphQL for in this run. */
  serves(capability: Capability): boolean {
    return !this.off.has(capability);
  }

  /** Says (once per capability) that REST serves part of it because the instance lacks `item`. */
  private lacks(capability: Capability, item: string): void {
    this.usage.unsupported[capability] ??=
      `GitLab's GraphQL has no ${item} (an older GitLab): REST read what needs it`;
  }

  /**
   * The batch as this instance can take it: the optional parts it lacks left out, priced again; `null`
   * when it lacks something the batch needs (its items are then left to REST).
   */
  private fitted<T>(b: Batch<T>, capability: Capability): Batch<T> | null {
    if (this.missing.size === 0) return b;
    const f = fitToSchema(b.query, this.missing);
    for (const d of f.dropped) this.lacks(d.capability as Capability, d.item);
    if (f.lacking[0] !== undefined) {
      this.lacks(capability, f.lacking[0]);
      return null;
    }
    if (f.dropped.length === 0) return b;
    const declared = new Set(Object.keys(f.query.variables));
    const variables = Object.fromEntries(Object.entries(b.variables).filter(([k]) => declared.has(k)));
    return { ...b, query: f.query, text: print(f.query), complexity: complexity(f.query), variables };
  }

  /**
   * Sends one batch. Resolves with the data and the errors pinned to paths; throws `Unsupported` when
   * the instance cannot answer this kind of query, and an evidence error when nothing came back.
   */
  private async send<T>(
    b: Batch<T>,
    capability: Capability,
  ): Promise<{ data: Record<string, unknown>; errors: GraphqlError[] }> {
    this.usage.requests++;
    this.usage.maxComplexity = Math.max(this.usage.maxComplexity, b.complexity);
    let raw: unknown;
    try {
      raw = await this.api.query(b.text, b.variables);
    } catch (error) {
      // No GraphQL endpoint (disabled, or a proxy that only passes REST): REST serves everything.
      if (statusOf(error) === 404)
        throw this.unsupported(capability, 'GraphQL is not available (HTTP 404)', { every: true });
      throw new BatchFailed(toEvidenceError(error));
    }
    const parsed = answerSchema.safeParse(raw);
    if (!parsed.success) throw new BatchFailed(malformed('the GraphQL answer is not a GraphQL response'));
    const errors = parsed.data.errors ?? [];
    const hasData = parsed.data.data !== null && parsed.data.data !== undefined;
    const validation = errors.filter((e) => errorKind(e, hasData) === 'validation');
    if (validation.length > 0) {
      // The document does not fit this instance: name what it lacks, or give the capability to REST.
      const items = validation.map((e) => lackedItem(e, b.query));
      const named = items.filter((i): i is string => i !== undefined && i !== 'consequence');
      const first = scrub(validation[0]?.message ?? '');
      if (named.length > 0 && !items.includes(undefined)) throw new SchemaLacks([...new Set(named)], first);
      throw this.unsupported(capability, `GitLab does not support the query: ${first}`);
    }
    const general = errors.filter((e) => errorKind(e, hasData) === 'analysis');
    const overrun = general.map((e) => COMPLEXITY.exec(e.message)).find((m) => m !== null);
    if (overrun) throw new ComplexityOverrun(Number(overrun[1]), Number(overrun[2]));
    if (!parsed.data.data || general.length > 0) {
      throw new BatchFailed({
        code: 'GRAPHQL_ERROR',
        message: scrub(general[0]?.message ?? 'GraphQL answered without data'),
        operation: 'POST /api/graphql',
      });
    }
    return { data: parsed.data.data, errors };
  }

  /** The planner's batches; an item that fits no document under the budget makes the capability REST's. */
  private planned<T>(
    plan: (items: T[], budget?: number) => Batch<T>[],
    items: T[],
    capability: Capability,
    budget?: number,
  ): Batch<T>[] {
    try {
      return plan(items, budget);
    } catch (error) {
      if (error instanceof DoesNotFit)
        throw this.unsupported(
          capability,
          `a query for one item does not fit GitLab's limits (${error.query})`,
        );
      throw error;
    }
  }

  private unsupported(capability: Capability, reason: string, scope = { every: false }): Unsupported {
    // Disabled GraphQL is not one capability's problem: every capability goes to REST.
    for (const c of scope.every ? CAPABILITIES : [capability]) {
      this.usage.unsupported[c] ??= reason;
      this.off.add(c);
    }
    return new Unsupported(reason);
  }

  /**
   * Runs every batch of a plan; a batch GitLab priced above its limit is planned again, once, under a
   * budget scaled down by how far it was over. Each item ends with an answer.
   */
  private async runAll<T, V>(
    plan: (items: T[], budget?: number) => Batch<T>[],
    capability: Capability,
    read: BatchReader<T, V>,
    items: T[],
  ): Promise<Map<T, Answer<V>>> {
    const out = new Map<T, Answer<V>>();
    const one = async (planned: Batch<T>, budget: number, replans: number): Promise<void> => {
      const b = this.fitted(planned, capability);
      // A batch this instance cannot take: its items stay unanswered (`missing`), and REST reads them.
      if (b === null) return;
      const known = new Set(this.missing);
      try {
        const { data, errors } = await this.send(b, capability);
        read(b, data, errors, out);
      } catch (error) {
        if (error instanceof Unsupported) throw error;
        if (error instanceof SchemaLacks) {
          // Remember what the instance lacks and ask again without it. Every round must learn something
          // new (graphql-ruby names at most 5 errors at a time), or the document is not understood here.
          const fresh = error.items.filter((i) => !known.has(i));
          if (fresh.length === 0 || replans >= MAX_SCHEMA_ROUNDS)
            throw this.unsupported(capability, `GitLab does not support the query: ${error.message}`);
          for (const i of fresh)
            if (!this.missing.has(i)) {
              this.missing.add(i);
              this.usage.lacking.push(i);
            }
          for (const x of this.planned(plan, b.items, capability, budget)) await one(x, budget, replans + 1);
          return;
        }
        if (error instanceof ComplexityOverrun) {
          // GitLab prices higher than we planned: plan the batch's items again under a budget scaled
          // down by how far it was over. A single item it still refuses cannot be asked at all here.
          if (b.items.length === 1 || replans >= 3)
            throw this.unsupported(
              capability,
              `GitLab priced a query at ${error.score}, above its limit of ${error.limit}, even in small batches`,
            );
          const smaller = Math.floor((budget * error.limit) / error.score) - 1;
          for (const x of this.planned(plan, b.items, capability, smaller))
            await one(x, smaller, replans + 1);
          return;
        }
        failEach(out, b.items, error instanceof BatchFailed ? error.evidence : toEvidenceError(error));
      }
    };
    // The first batch alone, as the probe: an older GitLab refuses one document, and the rest are sent
    // already fitted to what it lacks.
    const [probe, ...rest] = this.planned(plan, items, capability);
    if (probe) await one(probe, GITLAB_LIMITS.maxComplexity, 0);
    await Promise.all(rest.map((b) => one(b, GITLAB_LIMITS.maxComplexity, 0)));
    for (const i of items) if (!out.has(i)) out.set(i, { kind: 'missing' });
    return out;
  }

  /** Resolves project keys (ids and paths) to projects; a key the answer lacks is `missing`. */
  async projects(keys: ProjectKey[]): Promise<Map<ProjectKey, Answer<GraphqlProject>>> {
    const byId = new Map<number, ProjectKey>();
    const byPath = new Map<string, ProjectKey>();
    for (const k of keys) {
      if ('id' in k) byId.set(k.id, k);
      else byPath.set(k.path.toLowerCase(), k);
    }
    return this.runAll(
      (its, budget) => planProjects(its, budget),
      'projects',
      readProjects(byId, byPath),
      keys,
    );
  }

  /**
   * Merge requests per project. For a project asked by refs, every MR whose source branch is one of its
   * refs; otherwise all of them. A project with more than one page (or an MR with more than a page of
   * labels) is `missing`: REST reads it whole.
   */
  async mergeRequests(
    needs: MergeRequestNeed[],
  ): Promise<Map<MergeRequestNeed, Answer<MergeRequestFacts[]>>> {
    return this.runAll(
      (its, budget) => planMergeRequests(its, budget),
      'mergeRequests',
      readMergeRequests,
      needs,
    );
  }

  /**
   * The source branch of every merge request of each project (by path), page after page with GitLab's
   * cursors; each round asks the next page of every project still open, many projects per POST. A
   * project GraphQL cannot list (a field it lacks) is `missing`: REST lists it.
   */
  async mergeRequestSourceBranches(paths: string[]): Promise<Map<string, Answer<string[]>>> {
    const out = new Map<string, Answer<string[]>>();
    const names = new Map<string, Set<string>>(paths.map((p) => [p, new Set<string>()]));
    let round: PageItem[] = paths.map((projectPath) => ({ projectPath, key: null }));
    while (round.length > 0) {
      const answers = await this.runAll<PageItem, SourceBranchPage>(
        (its, budget) => planSourceBranchPages(its, budget),
        'mergeRequests',
        (b, data, errors, answers) => readAliased(b, data, errors, answers, sourceBranchPageOf),
        round,
      );
      const next: PageItem[] = [];
      for (const [item, answer] of answers) {
        if (answer.kind !== 'ok') {
          out.set(item.projectPath, answer);
          continue;
        }
        const seen = names.get(item.projectPath) ?? new Set<string>();
        names.set(item.projectPath, seen);
        for (const n of answer.value.nodes) if (n) seen.add(n.sourceBranch);
        const { hasNextPage, endCursor } = answer.value.pageInfo;
        // A next page without a new cursor would be asked for ever: not a listing to trust.
        if (hasNextPage && (!endCursor || endCursor === item.key))
          out.set(item.projectPath, {
            kind: 'error',
            error: malformed('merge requests: a next page without a new cursor'),
          });
        else if (hasNextPage && endCursor) next.push({ projectPath: item.projectPath, key: endCursor });
        else out.set(item.projectPath, { kind: 'ok', value: [...seen].sort() });
      }
      round = next;
    }
    return out;
  }

  /** Every branch name of each project. */
  /**
   * Which branches each project has: the names `keep` wants (the stacks' refs), whether `wanted`'s
   * default branch is among them all, and how many there are. Only what is kept stays in memory, so
   * memory follows the stacks, not the branches (a million names at the bench's L).
   */
  async branchNames(
    projectIds: number[],
    keep: (projectId: number) => { keep: (name: string) => boolean; defaultBranch?: string | undefined },
  ): Promise<Map<number, Answer<BranchNames>>> {
    return this.runAll(
      (its, budget) => planBranchNames(its, budget),
      'branches',
      readBranchNames(keep),
      projectIds,
    );
  }

  /** The last commit date of each (project, ref); a ref whose tree is gone fails (it was just listed). */
  async commitDates(items: ProjectItem[]): Promise<Map<ProjectItem, Answer<string>>> {
    return this.runAll(
      (its, budget) => planCommitDates(its, budget),
      'commitDates',
      (b, data, errors, answers) => readAliased(b, data, errors, answers, commitDateOf),
      items,
    );
  }

  /** Environments by name; `null` where the project has none of that name. */
  async environments(items: ProjectItem[]): Promise<Map<ProjectItem, Answer<EnvironmentFacts | null>>> {
    return this.runAll(
      (its, budget) => planEnvironments(its, budget),
      'environments',
      (b, data, errors, answers) => readAliased(b, data, errors, answers, environmentOf),
      items,
    );
  }
}
