import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { awsRunError, collectAws } from '../aws/collector.js';
import { costKeyOf } from '../aws/cost.js';
import type { AccountTarget, AwsReader, AwsUsageReader, CostReader } from '../aws/ports.js';
import { limitsFromConfig, policyFromConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isRootStack, matchOwner } from '../core/match.js';
import {
  type GitLabEvidence,
  type Owner,
  type ProjectFacts,
  projectKey,
  type StackFacts,
} from '../core/model.js';
import { type PlanItem, plan } from '../core/plan.js';
import type { Policy } from '../core/policy.js';
import type {
  EnvironmentFindings,
  EnvironmentRecord,
  GitLabApiReport,
  RunError,
  RunResult,
  UnmanagedStack,
} from '../core/run-result.js';
import { UsageError } from '../errors/errors.js';
import { collectGitLab, type GitLabCollection, type OwnedStack } from '../gitlab/collector.js';
import { findEnvironmentFindings } from '../gitlab/ghosts.js';
import { GraphqlReads } from '../gitlab/graphql-reads.js';
import type { GitLabGraphql, GitLabReader } from '../gitlab/ports.js';
import { collapseTokenRefusal } from '../gitlab/token-failure.js';
import type { Logger } from '../log/logger.js';
import type { ApiStats } from '../util/api-stats.js';
import { type Judged, judge, type RunMemory } from './judge.js';
import { collectUsage, type UsageCollection } from './usage.js';

/** Everything a run needs from the outside world: swapped whole in tests. */
export interface RunDeps extends RunMemory {
  aws: AwsReader;
  gitlab: GitLabReader;
  /** GitLab's GraphQL API (absent with a CI job token, which cannot use it). */
  graphql?: GitLabGraphql;
  logger: Logger;
  stats: ApiStats;
  /** The run's clock: read once, so classification and plan share one `now`. */
  now: () => number;
  env: NodeJS.ProcessEnv;
  /** Cost Explorer, when `cost.enabled`. */
  cost?: CostReader;
  /** CloudWatch and the tagging API, when `usage.enabled`. */
  usage?: AwsUsageReader;
  /** Progress callback (TTY progress line or periodic log lines). */
  progress?: (event: ProgressEvent) => void;
}

/** One step of a run's progress: regions listed, projects read, deletions ended (with their results). */
export interface ProgressEvent {
  phase: 'aws' | 'gitlab' | 'delete' | 'empty';
  done: number;
  total: number;
  /** `delete`: how many of those that ended were deleted, and how many failed. */
  deleted?: number;
  failed?: number;
}

/** The account × region targets a config describes. */
export function targetsOf(config: Config, env: NodeJS.ProcessEnv): AccountTarget[] {
  const fallback =
    config.aws.regions.length > 0 ? config.aws.regions : env.AWS_REGION ? [env.AWS_REGION] : [];
  const targets: AccountTarget[] =
    config.aws.accounts.length === 0
      ? [{ regions: fallback }]
      : config.aws.accounts.map((a) => ({
          id: a.id,
          roleArn: a.roleArn,
          externalId: a.externalId,
          regions: a.regions ?? fallback,
        }));
  if (targets.some((t) => t.regions.length === 0)) {
    throw new UsageError('no AWS region to scan: set aws.regions, --region or AWS_REGION');
  }
  return targets;
}

/** Options of one audit. */
export interface AuditOptions {
  runId: string;
  mode: 'dry-run' | 'apply';
  /** Restrict to one stack (name or ARN), for `explain`. */
  onlyStack?: string;
  /** This process's share of the stacks: `{ index: 1..count, count }`. */
  shard?: { index: number; count: number } | undefined;
}

/**
 * Which shard a stack belongs to. Owned stacks hash by their project, so each project is read by exactly
 * one shard (the GitLab cost does not grow with the shard count); the others hash by stack id.
 */
export function shardOf(key: string, count: number): number {
  return (Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 8), 16) % count) + 1;
}

/** The stacks of this run after the `explain` and shard filters, split into owned and unmanaged. */
interface Inventory {
  stacks: StackFacts[];
  roots: StackFacts[];
  owned: OwnedStack[];
  owners: Map<string, Owner>;
  unmanaged: UnmanagedStack[];
}

/** Step 2 (match): which stacks this run handles, and who owns each root stack. */
export function inventory(all: StackFacts[], policy: Policy, options: AuditOptions): Inventory {
  let stacks = all.filter((s) => s.status !== 'DELETE_COMPLETE');
  if (options.onlyStack !== undefined) {
    const only = options.onlyStack;
    stacks = stacks.filter((s) => s.name === only || s.stackId === only);
  }
  const shard = options.shard;
  if (shard) {
    const rootOf = new Map(stacks.map((s) => [s.stackId, s]));
    const shardKey = (s: StackFacts): string => {
      const root = s.rootId ? (rootOf.get(s.rootId) ?? s) : s;
      const owner = isRootStack(root) ? matchOwner(root, policy.ownership) : undefined;
      return owner && !owner.unresolved
        ? `project:${projectKey(owner)?.toLowerCase()}`
        : `stack:${root.stackId}`;
    };
    stacks = stacks.filter((s) => shardOf(shardKey(s), shard.count) === shard.index);
  }
  const roots = stacks.filter(isRootStack);
  const owned: OwnedStack[] = [];
  const unmanaged: UnmanagedStack[] = [];
  const owners = new Map<string, Owner>();
  for (const stack of roots) {
    const owner = matchOwner(stack, policy.ownership);
    if (!owner) {
      unmanaged.push({
        name: stack.name,
        stackId: stack.stackId,
        account: stack.account,
        region: stack.region,
      });
      continue;
    }
    owners.set(stack.stackId, owner);
    owned.push({ stackId: stack.stackId, owner });
  }
  return { stacks, roots, owned, owners, unmanaged };
}

/**
 * The naive baseline the benchmark compares against: every stack looks its own project, branch and
 * MRs up, sharing nothing. Never the default.
 */
async function collectPerStack(
  owned: OwnedStack[],
  deps: RunDeps,
  concurrency: number,
): Promise<GitLabCollection> {
  const evidence = new Map<string, GitLabEvidence>();
  const errors: RunError[] = [];
  const limit = pLimit(concurrency);
  await Promise.all(
    owned.map((s) =>
      limit(async () => {
        const one = await collectGitLab([s], deps.gitlab, {
          projectConcurrency: 1,
          lookupFirst: Number.POSITIVE_INFINITY,
          logger: deps.logger,
        });
        evidence.set(s.stackId, one.evidence.get(s.stackId) ?? {});
        errors.push(...one.errors);
      }),
    ),
  );
  return { evidence, errors, projects: new Map<string, ProjectFacts | null>() };
}

/**
 * Step 3 (GitLab evidence): per project by default, per stack for the benchmark's baseline; GraphQL
 * batches what it can unless `gitlab.api` is `rest`.
 */
async function collectEvidence(
  owned: OwnedStack[],
  config: Config,
  deps: RunDeps,
): Promise<GitLabCollection & { gitlabApi?: GitLabApiReport }> {
  if (config.gitlab.fetchStrategy === 'per-stack')
    return collapseTokenRefusal(
      await collectPerStack(owned, deps, config.gitlab.concurrency),
      owned,
      config.gitlab.url,
    );
  const mode = config.gitlab.api;
  // One GraphqlReads per run: its usage is this run's (a daemon runs many).
  const graphql = mode !== 'rest' && deps.graphql ? new GraphqlReads(deps.graphql) : undefined;
  const collected = collapseTokenRefusal(
    await collectGitLab(owned, deps.gitlab, {
      projectConcurrency: config.gitlab.concurrency,
      logger: deps.logger,
      onProject: (done, total) => deps.progress?.({ phase: 'gitlab', done, total }),
      graphql,
    }),
    owned,
    config.gitlab.url,
  );
  if (mode === 'rest') return collected;
  const served = collected.api;
  const gitlabApi: GitLabApiReport = {
    mode,
    graphqlRequests: graphql?.usage.requests ?? 0,
    maxComplexity: graphql?.usage.maxComplexity ?? 0,
    served: served?.served ?? {},
    fallbacks: {
      ...(graphql ? {} : { all: 'no GraphQL with a CI job token: REST read everything' }),
      ...served?.fallbacks,
    },
  };
  // `graphql` asked for GraphQL: what the instance could not serve through it is said as an error.
  if (mode === 'graphql')
    for (const [capability, reason] of Object.entries(gitlabApi.fallbacks))
      collected.errors.push({
        scope: `gitlab:graphql ${capability}`,
        code: 'GRAPHQL_UNSUPPORTED',
        message: `${reason}; REST read it instead`,
        service: 'gitlab',
        operation: 'POST /api/graphql',
        effect: 'less-reported',
      });
  return { ...collected, gitlabApi };
}

/**
 * Step 4 (classify → usage → plan): classification is pure with one `now`; the live stacks' usage is
 * read (when enabled) and they are judged again with it; brakes judge the whole run, not a one-stack
 * explain.
 */
async function classifyAndPlan(
  inv: Inventory,
  evidence: GitLabCollection['evidence'],
  config: Config,
  deps: RunDeps,
  options: AuditOptions,
  now: number,
): Promise<{
  judged: Judged[];
  environments: EnvironmentRecord[];
  plan: RunResult['plan'];
  usage?: UsageCollection;
}> {
  const policy = policyFromConfig(config);
  const judgeOne = (stack: StackFacts, usage?: Judged['snapshot']['usage']) =>
    judge(
      stack,
      inv.owners.get(stack.stackId) as Owner,
      evidence.get(stack.stackId) ?? {},
      deps,
      policy,
      now,
      usage,
    );
  let judged = inv.roots.filter((s) => inv.owners.has(s.stackId)).map((stack) => judgeOne(stack));
  let usage: UsageCollection | undefined;
  if (config.usage.enabled && deps.usage) {
    // Only a live environment can be unused: the metrics of the others are not worth their price.
    const live = judged.filter((j) => j.classification.verdict === 'active').map((j) => j.snapshot.stack);
    usage = await collectUsage(
      live,
      {
        usage: deps.usage,
        logger: deps.logger,
        cached: deps.usageCache,
        targetOf: (account) => {
          const targets = targetsOf(config, deps.env);
          return (
            targets.find((t) => t.id === account) ??
            targets.find((t) => t.id === undefined) ?? { id: account, regions: [] }
          );
        },
      },
      {
        windowDays: policy.usageWindowDays,
        intervalMs: config.usage.interval,
        stops: config.policy.unused === 'stop',
        concurrency: config.aws.concurrency,
      },
      now,
    );
    const readings = usage.readings;
    judged = judged.map((j) => {
      const reading = readings.get(j.snapshot.stack.stackId);
      return reading ? judgeOne(j.snapshot.stack, reading) : j;
    });
    usage.report.unused = judged.filter((j) => j.classification.verdict === 'unused').length;
  }
  // A one-stack explain would always trip the percentage brake, so it plans without brakes.
  const limits =
    options.onlyStack === undefined
      ? limitsFromConfig(config)
      : { maxDeletionsPerRun: Number.POSITIVE_INFINITY, maxDeletionPercent: 100 };
  const thePlan = plan(
    judged.map((j) => j.input),
    policy,
    limits,
    now,
  );
  const items = new Map(thePlan.items.map((i) => [i.stackId, i]));
  const environments: EnvironmentRecord[] = judged
    .map((j) => {
      const record: EnvironmentRecord = {
        stack: j.snapshot.stack,
        owner: j.snapshot.owner as Owner,
        evidence: j.snapshot.gitlab,
        classification: j.classification,
        plan: items.get(j.snapshot.stack.stackId) as PlanItem,
      };
      if (j.snapshot.usage?.ok) record.usage = j.snapshot.usage.value;
      return record;
    })
    .sort((a, b) => (a.stack.stackId < b.stack.stackId ? -1 : 1));
  return { judged, environments, plan: thePlan, ...(usage ? { usage } : {}) };
}

/** Step 5 (cost, opt-in): monthly cost per stack from Cost Explorer; unknown, never zero, on failure. */
async function collectCosts(
  judged: Judged[],
  targets: AccountTarget[],
  config: Config,
  cost: CostReader,
  now: number,
): Promise<{ costs: NonNullable<RunResult['costs']>; errors: RunError[] }> {
  const end = new Date(now).toISOString().slice(0, 10);
  const start = new Date(now - config.cost.lookbackDays * 86_400_000).toISOString().slice(0, 10);
  const scale = 30 / config.cost.lookbackDays;
  const costs: NonNullable<RunResult['costs']> = { known: true, monthly: {} };
  const errors: RunError[] = [];
  for (const target of targets) {
    try {
      const byTag = await cost.costByTag(target, config.cost.tagKey, start, end);
      if (byTag === null) {
        costs.known = false;
        continue;
      }
      // Each account's bill prices only its own stacks (the same tag value may exist in two accounts).
      for (const { snapshot } of judged) {
        if (target.id !== undefined && snapshot.stack.account !== target.id) continue;
        const key = costKeyOf(snapshot.stack, config.cost.tagKey);
        const amount = key !== undefined ? (byTag.get(key) ?? 0) : 0;
        const id = snapshot.stack.stackId;
        costs.monthly[id] = (costs.monthly[id] ?? 0) + Math.round(amount * scale * 100) / 100;
      }
    } catch (error) {
      costs.known = false;
      errors.push({
        ...awsRunError(error, { scope: `aws:cost-explorer ${target.id ?? 'ambient'}`, account: target.id }),
        stacks: judged
          .filter((j) => target.id === undefined || j.snapshot.stack.account === target.id)
          .map((j) => j.snapshot.stack.name),
        effect: 'less-reported',
      });
    }
  }
  if (!costs.known) costs.monthly = {};
  return { costs, errors };
}

/**
 * Says, for each GitLab lookup that failed, which project it was and which stacks it affected: those of
 * that project whose evidence carries the same failure and that came out `unknown` (and are kept).
 */
export function withAffectedStacks(errors: RunError[], environments: EnvironmentRecord[]): RunError[] {
  return errors.map((error) => {
    if (error.service !== 'gitlab' || error.stacks !== undefined) return error;
    const project = error.project;
    const failed = (e: EnvironmentRecord) =>
      Object.values(e.evidence).flatMap((v) => (v !== undefined && !v.ok ? [v.error] : []));
    // The failed lookup itself, where the evidence names it (the collector's errors do).
    let hit = environments.filter((e) => failed(e).some((x) => x.scope === error.scope));
    if (hit.length === 0)
      // Else the same failure among that project's stacks.
      hit = environments.filter((e) => {
        const key = projectKey(e.owner);
        const path = e.evidence.project?.ok ? e.evidence.project.value?.path : undefined;
        if (project !== undefined && key !== project && path !== project && e.owner.projectPath !== project)
          return false;
        return failed(e).some(
          (x) =>
            x.scope === undefined &&
            x.code === error.code &&
            (x.operation === undefined || x.operation === error.operation),
        );
      });
    // Only the stacks it made unknown: one decided without GitLab (a keep tag, a busy stack) was not hit.
    const stacks = hit.filter((e) => e.classification.verdict === 'unknown').map((e) => e.stack.name);
    return {
      ...error,
      service: 'gitlab',
      ...(project !== undefined ? { project } : {}),
      stacks,
      effect: 'kept',
    };
  });
}

/**
 * collect → match → classify → plan (docs/design.md §2), read-only. Everything after collection is pure and
 * uses one `now`, so the same world gives the same result.
 */
export async function audit(config: Config, deps: RunDeps, options: AuditOptions): Promise<RunResult> {
  const now = deps.now();
  const policy = policyFromConfig(config);
  const targets = targetsOf(config, deps.env);
  deps.logger.info({ runId: options.runId, targets: targets.length, mode: options.mode }, 'run started');

  const aws = await collectAws(targets, deps.aws, {
    concurrency: config.aws.concurrency,
    logger: deps.logger,
  });
  const inv = inventory(aws.stacks, policy, options);
  deps.progress?.({
    phase: 'aws',
    done: aws.scanned.length,
    total: targets.reduce((n, t) => n + t.regions.length, 0),
  });
  deps.logger.info(
    { stacks: inv.stacks.length, inScope: inv.owned.length, unmanaged: inv.unmanaged.length },
    'stacks listed',
  );
  const gitlab = await collectEvidence(inv.owned, config, deps);
  const judged = await classifyAndPlan(inv, gitlab.evidence, config, deps, options, now);
  const whole = options.onlyStack === undefined;

  const cost =
    config.cost.enabled && deps.cost && whole
      ? await collectCosts(judged.judged, targets, config, deps.cost, now)
      : undefined;
  let environmentFindings: EnvironmentFindings | undefined;
  if (config.notify.ghostEnvironments && whole) {
    const readable = [...gitlab.projects.values()].filter((p): p is ProjectFacts => p !== null);
    environmentFindings = await findEnvironmentFindings(
      readable,
      [...inv.owners.values()],
      deps.gitlab,
      now,
      config.gitlab.concurrency,
    );
  }

  return {
    ...(environmentFindings ? { environmentFindings } : {}),
    ...(cost ? { costs: cost.costs } : {}),
    ...(gitlab.gitlabApi ? { gitlabApi: gitlab.gitlabApi } : {}),
    ...(judged.usage ? { usage: judged.usage.report } : {}),
    runId: options.runId,
    generatedAt: new Date(now).toISOString(),
    now,
    mode: options.mode,
    scanned: aws.scanned,
    stacksScanned: inv.stacks.length,
    nested: inv.stacks.length - inv.roots.length,
    unmanaged: inv.unmanaged,
    environments: judged.environments,
    plan: judged.plan,
    errors: [
      ...aws.errors,
      ...withAffectedStacks(gitlab.errors, judged.environments),
      ...(cost?.errors ?? []),
      ...(judged.usage?.errors ?? []),
      ...(environmentFindings?.errors ?? []).map((e) => ({
        ...e,
        service: 'gitlab',
        effect: 'less-reported' as const,
      })),
    ],
  };
}
