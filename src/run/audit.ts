import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { type AccountTarget, type AwsReader, collectAws } from '../aws/collector.js';
import { type CostReader, costKeyOf } from '../aws/cost.js';
import { limitsFromConfig, policyFromConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { classify } from '../core/classify.js';
import { isRootStack, matchOwner, mergeRequestFor } from '../core/match.js';
import {
  type Classification,
  type GitLabEvidence,
  type Owner,
  type ProjectFacts,
  projectKey,
  type StackFacts,
  type StackSnapshot,
  type Verdict,
} from '../core/model.js';
import { type Plan, type PlanInput, type PlanItem, plan } from '../core/plan.js';
import { UsageError } from '../errors/errors.js';
import { collectGitLab, type OwnedStack } from '../gitlab/collector.js';
import { type EnvironmentFindings, findEnvironmentFindings } from '../gitlab/ghosts.js';
import type { GitLabReader } from '../gitlab/reader.js';
import type { Logger } from '../log/logger.js';
import type { ApiStats } from '../util/api-stats.js';

/** Everything a run needs from the outside world: swapped whole in tests. */
export interface RunDeps {
  aws: AwsReader;
  gitlab: GitLabReader;
  logger: Logger;
  stats: ApiStats;
  /** The run's clock: read once, so classification and plan share one `now`. */
  now: () => number;
  env: NodeJS.ProcessEnv;
  /** First-seen times per stack and verdict, from state (grace clocks). */
  firstSeen?: (stackId: string) => Partial<Record<Verdict, string>> | undefined;
  /** Cost Explorer, when `cost.enabled`. */
  cost?: CostReader;
  /** Kept from the dashboard issue until (ISO), from state. */
  keptUntil?: (stackId: string) => string | undefined;
  /** When the advance notice for this stack and verdict was posted, from state. */
  noticePostedAt?: (stackId: string, verdict: Verdict) => string | undefined;
  /** Progress callback (TTY progress line or periodic log lines). */
  progress?: (event: { phase: 'aws' | 'gitlab'; done: number; total: number }) => void;
}

/** One in-scope stack with everything known about it. */
export interface EnvironmentRecord {
  stack: StackFacts;
  owner: Owner;
  evidence: GitLabEvidence;
  classification: Classification;
  plan: PlanItem;
}

/** A run's complete result; reports render it, the executor acts on it. */
export interface RunResult {
  runId: string;
  generatedAt: string;
  now: number;
  mode: 'dry-run' | 'apply';
  scanned: { account: string; region: string }[];
  stacksScanned: number;
  nested: number;
  unmanaged: { name: string; stackId: string; account: string; region: string }[];
  environments: EnvironmentRecord[];
  plan: Plan;
  errors: { scope: string; code: string; message: string }[];
  /** Ghost and stuck GitLab environments (`notify.ghostEnvironments`). */
  environmentFindings?: EnvironmentFindings;
  /** Monthly cost per stack id (`cost.enabled`); `known: false` when the tag is not activated or CE failed. */
  costs?: { known: boolean; monthly: Record<string, number> };
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

/**
 * The naive baseline the benchmark compares against: every stack looks its own project, branch and
 * MRs up, sharing nothing. Never the default.
 */
async function collectPerStack(owned: OwnedStack[], deps: RunDeps, concurrency: number) {
  const evidence = new Map<string, GitLabEvidence>();
  const errors: RunResult['errors'] = [];
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
  let stacks = aws.stacks.filter((s) => s.status !== 'DELETE_COMPLETE');
  if (options.onlyStack !== undefined) {
    const only = options.onlyStack;
    stacks = stacks.filter((s) => s.name === only || s.stackId === only);
  }
  const shard = options.shard;
  const rootOf = new Map(stacks.map((s) => [s.stackId, s]));
  const shardKey = (s: StackFacts): string => {
    const root = s.rootId ? (rootOf.get(s.rootId) ?? s) : s;
    const owner = isRootStack(root) ? matchOwner(root, policy.ownership) : undefined;
    return owner && !owner.unresolved ? `project:${projectKey(owner)}` : `stack:${root.stackId}`;
  };
  if (shard) stacks = stacks.filter((s) => shardOf(shardKey(s), shard.count) === shard.index);
  const roots = stacks.filter(isRootStack);
  const owned: OwnedStack[] = [];
  const unmanaged: RunResult['unmanaged'] = [];
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
  deps.progress?.({
    phase: 'aws',
    done: aws.scanned.length,
    total: targets.reduce((n, t) => n + t.regions.length, 0),
  });
  deps.logger.info(
    { stacks: stacks.length, inScope: owned.length, unmanaged: unmanaged.length },
    'stacks listed',
  );

  const gitlab =
    config.gitlab.fetchStrategy === 'per-stack'
      ? await collectPerStack(owned, deps, config.gitlab.concurrency)
      : await collectGitLab(owned, deps.gitlab, {
          projectConcurrency: config.gitlab.concurrency,
          logger: deps.logger,
          onProject: (done, total) => deps.progress?.({ phase: 'gitlab', done, total }),
        });

  const inputs = roots
    .filter((s) => owners.has(s.stackId))
    .map((stack) => {
      const snapshot: StackSnapshot = {
        stack,
        owner: owners.get(stack.stackId) as Owner,
        gitlab: gitlab.evidence.get(stack.stackId) ?? {},
      };
      const seen = deps.firstSeen?.(stack.stackId);
      if (seen) snapshot.firstSeen = seen;
      const kept = deps.keptUntil?.(stack.stackId);
      if (kept) snapshot.keptUntil = kept;
      return { snapshot, classification: classify(snapshot, policy, now) };
    });
  // Brakes judge a whole run: a one-stack explain would always trip the percentage, so it plans without them.
  const limits =
    options.onlyStack === undefined
      ? limitsFromConfig(config)
      : { maxDeletionsPerRun: Number.POSITIVE_INFINITY, maxDeletionPercent: 100 };
  const thePlan = plan(
    inputs.map((i) => {
      const input: PlanInput = { stack: i.snapshot.stack, classification: i.classification };
      // The notice window applies where a notice can be posted: a stack with a known MR.
      if (
        policy.noticeMs > 0 &&
        mergeRequestFor(i.snapshot.owner as Owner, i.snapshot.gitlab) !== undefined
      ) {
        const postedAt = deps.noticePostedAt?.(i.snapshot.stack.stackId, i.classification.verdict);
        input.notice = postedAt !== undefined ? { postedAt } : {};
      }
      return input;
    }),
    policy,
    limits,
    now,
  );
  const items = new Map(thePlan.items.map((i) => [i.stackId, i]));
  const environments: EnvironmentRecord[] = inputs
    .map((i) => ({
      stack: i.snapshot.stack,
      owner: i.snapshot.owner as Owner,
      evidence: i.snapshot.gitlab,
      classification: i.classification,
      plan: items.get(i.snapshot.stack.stackId) as PlanItem,
    }))
    .sort((a, b) => (a.stack.stackId < b.stack.stackId ? -1 : 1));

  let costs: RunResult['costs'];
  const costErrors: RunResult['errors'] = [];
  if (config.cost.enabled && deps.cost && options.onlyStack === undefined) {
    const end = new Date(now).toISOString().slice(0, 10);
    const start = new Date(now - config.cost.lookbackDays * 86_400_000).toISOString().slice(0, 10);
    const scale = 30 / config.cost.lookbackDays;
    costs = { known: true, monthly: {} };
    for (const target of targets) {
      try {
        const byTag = await deps.cost.costByTag(target, config.cost.tagKey, start, end);
        if (byTag === null) {
          costs.known = false;
          continue;
        }
        for (const e of inputs) {
          const key = costKeyOf(e.snapshot.stack, config.cost.tagKey);
          const amount = key !== undefined ? (byTag.get(key) ?? 0) : 0;
          costs.monthly[e.snapshot.stack.stackId] =
            (costs.monthly[e.snapshot.stack.stackId] ?? 0) + Math.round(amount * scale * 100) / 100;
        }
      } catch (error) {
        costs.known = false;
        costErrors.push({
          scope: `aws:cost-explorer ${target.id ?? 'ambient'}`,
          code: (error as Error).name ?? 'COST_ERROR',
          message: (error as Error).message,
        });
      }
    }
    if (!costs.known) costs.monthly = {};
  }

  let environmentFindings: EnvironmentFindings | undefined;
  if (config.notify.ghostEnvironments && options.onlyStack === undefined) {
    const readable = [...gitlab.projects.values()].filter((p): p is ProjectFacts => p !== null);
    environmentFindings = await findEnvironmentFindings(
      readable,
      [...owners.values()],
      deps.gitlab,
      now,
      config.gitlab.concurrency,
    );
  }

  return {
    ...(environmentFindings ? { environmentFindings } : {}),
    ...(costs ? { costs } : {}),
    runId: options.runId,
    generatedAt: new Date(now).toISOString(),
    now,
    mode: options.mode,
    scanned: aws.scanned,
    stacksScanned: stacks.length,
    nested: stacks.length - roots.length,
    unmanaged,
    environments,
    plan: thePlan,
    errors: [...aws.errors, ...gitlab.errors, ...costErrors, ...(environmentFindings?.errors ?? [])],
  };
}
