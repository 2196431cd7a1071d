import pLimit from 'p-limit';
import { awsRunError } from '../aws/collector.js';
import type { AccountTarget, AwsLeftoverReader, CostReader, TaggedHit } from '../aws/ports.js';
import type { Config } from '../config/schema.js';
import { type Leftover, type Leftovers, leftoverCandidate, leftoverFilters } from '../core/leftovers.js';
import type { RunError, RunResult } from '../core/run-result.js';
import { describeFailure, failureLine } from '../errors/failure.js';
import type { Logger } from '../log/logger.js';
import type { State } from '../state/state.js';

/** What the leftovers step reads with. */
export interface LeftoverDeps {
  leftovers: AwsLeftoverReader;
  logger: Logger;
  targetOf: (account: string) => AccountTarget;
  /** Cost Explorer (`cost.enabled`): monthly cost per leftover. */
  cost?: CostReader;
  /** Whether the configured credentials reach an account (else its deletions are not looked up). */
  reaches?: (account: string, run: RunResult) => boolean;
  /** Receives the lookups that failed (errors of the run). */
  onError?: (error: RunError) => void;
}

/** Cost Explorer keeps resource-level data for 14 days. */
const RESOURCE_COST_DAYS = 14;

/** The ids Cost Explorer may know a resource by: its ARN, and its name (S3 names buckets by name). */
function costIds(arn: string): string[] {
  const resource = arn.split(':').slice(5).join(':');
  const name = resource.replace(/^[^/:]+[/:]/, '');
  return [...new Set([arn, name || resource])];
}

/**
 * Monthly cost per leftover from `GetCostAndUsageWithResources` (last 14 days, scaled to 30), one call
 * per account. Unknown (`null`), never zero, when Cost Explorer fails, e.g. when resource-level data is
 * not enabled.
 */
async function addCosts(config: Config, deps: LeftoverDeps, cost: CostReader, out: Leftovers, now: number) {
  const days = Math.min(config.cost.lookbackDays, RESOURCE_COST_DAYS);
  const end = new Date(now).toISOString().slice(0, 10);
  const start = new Date(now - days * 86_400_000).toISOString().slice(0, 10);
  const byAccount = new Map<string, Leftover[]>();
  for (const l of out.resources) byAccount.set(l.account, [...(byAccount.get(l.account) ?? []), l]);
  for (const [account, list] of byAccount) {
    try {
      const found = await cost.costByResource(
        deps.targetOf(account),
        [...new Set(list.flatMap((l) => costIds(l.arn)))],
        start,
        end,
      );
      for (const l of list) {
        const amount = costIds(l.arn).reduce((sum, id) => sum + (found.get(id) ?? 0), 0);
        l.monthlyCost = Math.round(amount * (30 / days) * 100) / 100;
      }
    } catch (error) {
      deps.logger.warn({ account, err: error }, 'leftovers: Cost Explorer failed, cost unknown');
      for (const l of list) l.monthlyCost = null;
      // Resource-level data not enabled is how the account is set up (cost unknown, as documented),
      // not a failed call; anything else is an error of the run.
      if (describeFailure(error).serviceCode === 'DataUnavailableException') continue;
      deps.onError?.({
        ...awsRunError(error, { scope: `aws:cost-explorer ${account} leftovers`, account }),
        stacks: [...new Set(list.map((l) => l.stackName))],
        effect: 'less-reported',
      });
      for (const l of list) l.monthlyCost = null;
    }
  }
}

function messageOf(error: unknown): string {
  return failureLine(error);
}

/**
 * For every environment deleted within `leftovers.watchFor` (this run's deletions and earlier ones, from
 * state): the resources still tagged with it, each confirmed with its service. Read-only, so it runs in
 * dry-run too; an error skips that environment and is reported, never fails the run.
 */
export async function findLeftovers(
  config: Config,
  deps: LeftoverDeps,
  state: State,
  run: RunResult,
): Promise<Leftovers> {
  // With deletion on, an environment is watched for watchFor after its leftovers may go.
  const watchMs =
    config.leftovers.watchFor + (config.leftovers.delete.length > 0 ? config.leftovers.deleteAfter : 0);
  const deleted = Object.entries(state.stacks)
    .flatMap(([stackId, s]) => (s.deletion ? [{ stackId, d: s.deletion }] : []))
    .filter(({ d }) => d.status === 'deleted' && d.finishedAt !== undefined)
    .filter(({ d }) => run.now - Date.parse(d.finishedAt as string) <= watchMs)
    .sort((a, b) => a.d.name.localeCompare(b.d.name));
  const gone = new Set(deleted.map((x) => x.stackId));
  // Stacks still live in this run: their resources are theirs, not leftovers of an older deployment.
  const live = new Set(
    [...run.environments.map((e) => e.stack.stackId), ...run.unmanaged.map((u) => u.stackId)].filter(
      (id) => !gone.has(id),
    ),
  );
  const out: Leftovers = { checked: 0, resources: [], skipped: [] };
  const seen = new Set<string>();
  const limit = pLimit(config.aws.concurrency);
  await Promise.all(
    deleted.map(({ stackId, d }) =>
      limit(async () => {
        const filters = leftoverFilters(d.tags ?? {}, config.ownership.tags);
        if (!filters) {
          out.skipped.push({ stackName: d.name, reason: 'no project and environment tag to look for' });
          return;
        }
        // Every lookup about a deleted stack uses its own account's credentials; an account the config
        // no longer reaches is said so, never searched with another account's credentials.
        if (deps.reaches && !deps.reaches(d.account, run)) {
          out.skipped.push({
            stackName: d.name,
            reason: `account ${d.account} is not reached by the configured credentials: not looked up`,
          });
          return;
        }
        const target = deps.targetOf(d.account);
        const where = { account: d.account, region: d.region };
        let hits: TaggedHit[];
        try {
          hits = await deps.leftovers.tagged(target, d.region, filters);
        } catch (error) {
          deps.logger.warn({ stack: d.name, err: error }, 'leftovers: tagging API failed');
          out.skipped.push({ stackName: d.name, reason: messageOf(error) });
          deps.onError?.({
            ...awsRunError(error, { scope: `aws:${d.account}/${d.region} leftovers`, ...where }),
            stacks: [d.name],
            effect: 'less-reported',
          });
          return;
        }
        out.checked++;
        for (const hit of hits) {
          if (!leftoverCandidate(hit, stackId, live) || seen.has(hit.arn)) continue;
          seen.add(hit.arn);
          let confirmed = true;
          let createdAt: string | undefined;
          try {
            const e = await deps.leftovers.exists(target, d.region, hit);
            // The tagging index lags behind deletions: a hit its service no longer knows is not reported.
            if (e.state === 'gone') continue;
            if (e.state === 'unverified') confirmed = false;
            if (e.state === 'exists' && e.createdAt) createdAt = e.createdAt;
          } catch (error) {
            // Not confirmed either way: not listed (a 5xx is no proof the resource exists), and said so.
            deps.logger.warn({ arn: hit.arn, err: error }, 'leftovers: existence check failed');
            deps.onError?.({
              ...awsRunError(error, { scope: `aws:${d.account}/${d.region} leftovers ${hit.arn}`, ...where }),
              stacks: [d.name],
              effect: 'less-reported',
            });
            out.skipped.push({
              stackName: d.name,
              reason: `${hit.arn} could not be checked: ${messageOf(error)}`,
            });
            continue;
          }
          const leftover: Leftover = {
            arn: hit.arn,
            type: hit.type,
            account: d.account,
            region: d.region,
            stackId,
            stackName: d.name,
            deletedAt: d.finishedAt as string,
            confirmed,
            tags: hit.tags,
            ...(createdAt ? { createdAt } : {}),
          };
          out.resources.push(leftover);
        }
      }),
    ),
  );
  if (config.cost.enabled && deps.cost && out.resources.length > 0)
    await addCosts(config, deps, deps.cost, out, run.now);
  // Lookups finish in any order; the report is the same for the same world.
  out.resources.sort((a, b) => a.stackName.localeCompare(b.stackName) || a.arn.localeCompare(b.arn));
  out.skipped.sort((a, b) => a.stackName.localeCompare(b.stackName) || a.reason.localeCompare(b.reason));
  if (out.resources.length > 0)
    deps.logger.warn({ leftovers: out.resources.length }, 'deleted environments left resources behind');
  return out;
}
