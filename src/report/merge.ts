import { costSummary } from './cost-summary.js';
import type { Report, ReportEnvironment } from './json-report.js';
import { USD_PER_1000_METRICS } from './usage-report.js';

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function addCounts(
  into: Record<string, Record<string, number>>,
  from: Record<string, Record<string, number>>,
): void {
  for (const [service, ops] of Object.entries(from)) {
    const target = into[service] ?? {};
    for (const [op, n] of Object.entries(ops)) target[op] = (target[op] ?? 0) + n;
    into[service] = target;
  }
}

/**
 * Merges shard reports (`--shard i/n`) into one report. Totals are recomputed from the merged
 * environments, so they equal an unsharded run's over the same world. A stack reported by two shards
 * (overlapping inputs) is kept once. Brakes were judged per shard: the merged `brake` is the first one
 * any shard hit.
 */
export function mergeReports(given: Report[]): Report {
  // The same shard's report given twice counts once (a glob that matches a file twice, a re-run copy).
  const reports = [...new Map(given.map((r) => [r.runId, r])).values()];
  const byId = new Map<string, ReportEnvironment>();
  for (const r of reports) for (const e of r.environments) if (!byId.has(e.stack.id)) byId.set(e.stack.id, e);
  const environments = [...byId.values()].sort((a, b) => (a.stack.id < b.stack.id ? -1 : 1));
  // In the order one run lists them: stacks by id, regions by account and name.
  const unmanaged = [...new Map(reports.flatMap((r) => r.unmanaged).map((u) => [u.id, u])).values()].sort(
    (a, b) => (a.id < b.id ? -1 : 1),
  );
  const scanned = [
    ...new Map(reports.flatMap((r) => r.scanned).map((s) => [`${s.account}/${s.region}`, s])).values(),
  ].sort((a, b) => `${a.account}/${a.region}`.localeCompare(`${b.account}/${b.region}`));
  const calls: Record<string, Record<string, number>> = {};
  const errors: Record<string, Record<string, number>> = {};
  for (const r of reports) {
    addCounts(calls, r.apiCalls.calls);
    addCounts(errors, r.apiCalls.errors);
  }
  const totals: Record<string, number> = {};
  for (const [service, ops] of Object.entries(calls))
    totals[service] = Object.values(ops).reduce((a, b) => a + b, 0);
  const latest =
    reports
      .map((r) => r.generatedAt)
      .sort()
      .at(-1) ?? new Date(0).toISOString();
  const generator = reports.find((r) => r.generator)?.generator;
  return {
    schemaVersion: 2,
    // The shards' env-reaper (they run one build); the merge itself adds nothing to say.
    ...(generator ? { generator } : {}),
    runId: `merged-${reports.length}-${reports[0]?.runId ?? 'none'}`,
    generatedAt: latest,
    mode: reports.some((r) => r.mode === 'apply') ? 'apply' : 'dry-run',
    summary: {
      stacksScanned: reports.reduce((n, r) => n + r.summary.stacksScanned, 0),
      inScope: environments.length,
      unmanaged: unmanaged.length,
      nested: reports.reduce((n, r) => n + r.summary.nested, 0),
      byVerdict: tally(environments.map((e) => e.verdict)),
      byAction: tally(environments.map((e) => e.action)),
      due: environments.filter((e) => e.plan.status === 'due').length,
      deleted: environments.filter((e) => e.result === 'deleted').length,
      failed: environments.filter((e) => e.result === 'failed').length,
      brake: reports.find((r) => r.summary.brake)?.summary.brake ?? null,
      apiCalls: totals,
      ...(reports.some((r) => r.summary.cost)
        ? {
            cost: costSummary(
              environments,
              reports.every((r) => r.summary.cost?.known !== false),
            ),
          }
        : {}),
      ...mergedUsage(reports, environments),
    },
    scanned,
    environments,
    unmanaged,
    // Every shard lists every region: the same failed listing is one error, not one per shard.
    errors: [...new Map(reports.flatMap((r) => r.errors).map((e) => [JSON.stringify(e), e])).values()],
    apiCalls: { calls, errors },
    ...mergedTrend(reports),
    ...mergedLeftovers(reports),
    ...mergedEnvironments(reports),
    ...mergedGitLabApi(reports),
  };
}

/**
 * Which API served what, over every shard: requests and projects add up (each project is read by one
 * shard), the highest complexity is the highest of any, and a fallback any shard made is said once.
 */
function mergedGitLabApi(reports: Report[]): Pick<Report, 'gitlabApi'> {
  const parts = reports.flatMap((r) => (r.gitlabApi ? [r.gitlabApi] : []));
  const first = parts[0];
  if (!first) return {};
  const served: NonNullable<Report['gitlabApi']>['served'] = {};
  for (const p of parts)
    for (const [c, n] of Object.entries(p.served)) {
      const s = served[c] ?? { graphql: 0, rest: 0 };
      served[c] = { graphql: s.graphql + n.graphql, rest: s.rest + n.rest };
    }
  return {
    gitlabApi: {
      mode: first.mode,
      graphqlRequests: parts.reduce((n, p) => n + p.graphqlRequests, 0),
      maxComplexity: Math.max(...parts.map((p) => p.maxComplexity)),
      served,
      fallbacks: Object.assign({}, ...parts.map((p) => p.fallbacks)),
    },
  };
}

/** The trend of every shard (each read its own stacks' streaks), sorted as one run sorts it. */
function mergedTrend(reports: Report[]): Pick<Report, 'trend'> {
  const parts = reports.flatMap((r) => (r.trend ? [r.trend] : []));
  if (parts.length === 0) return {};
  const names = (pick: (t: NonNullable<Report['trend']>) => string[]) =>
    [...new Set(parts.flatMap(pick))].sort();
  const still = new Map<string, number>();
  for (const p of parts)
    for (const f of p.stillFlagged) still.set(f.name, Math.max(f.runs, still.get(f.name) ?? 0));
  const unused = parts.flatMap((p) => (p.unused ? [p.unused] : []));
  const add = (a: number | null, b: number | null) =>
    a === null || b === null ? null : Math.round((a + b) * 100) / 100;
  return {
    trend: {
      ...(unused.length > 0
        ? {
            unused: unused.reduce((a, b) => ({
              count: a.count + b.count,
              previous: a.previous === null || b.previous === null ? null : a.previous + b.previous,
              monthlyCost: add(a.monthlyCost, b.monthlyCost),
              previousMonthlyCost: add(a.previousMonthlyCost, b.previousMonthlyCost),
            })),
          }
        : {}),
      previousRunId: parts.find((p) => p.previousRunId !== null)?.previousRunId ?? null,
      new: names((t) => t.new),
      resolved: names((t) => t.resolved),
      stillFlagged: [...still]
        .map(([name, runs]) => ({ name, runs }))
        .sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name)),
    },
  };
}

/**
 * The usage check over every shard: each stack's metrics were read by one shard, so stacks, readings
 * and metrics add up; the calls are what the shards made together (each lists every region).
 */
function mergedUsage(reports: Report[], environments: ReportEnvironment[]): Pick<Report['summary'], 'usage'> {
  const parts = reports.flatMap((r) => (r.summary.usage ? [r.summary.usage] : []));
  const first = parts[0];
  if (!first) return {};
  type Usage = NonNullable<Report['summary']['usage']>;
  const sum = (pick: (u: Usage) => number) => parts.reduce((n, u) => n + pick(u), 0);
  const metricsRequested = sum((u) => u.metricsRequested);
  return {
    usage: {
      windowDays: first.windowDays,
      stacks: sum((u) => u.stacks),
      read: sum((u) => u.read),
      reused: sum((u) => u.reused),
      unused: environments.filter((e) => e.verdict === 'unused').length,
      metricsRequested,
      calls: {
        getMetricData: sum((u) => u.calls.getMetricData),
        getResources: sum((u) => u.calls.getResources),
        getRestApis: sum((u) => u.calls.getRestApis),
      },
      estimatedCostUsd: Math.round(metricsRequested * USD_PER_1000_METRICS * 1000) / 1_000_000,
    },
  };
}

/** Ghost and stuck GitLab environments of every shard (each project is read by one shard). */
function mergedEnvironments(reports: Report[]): Pick<Report, 'gitlabEnvironments'> {
  const parts = reports.flatMap((r) => (r.gitlabEnvironments ? [r.gitlabEnvironments] : []));
  if (parts.length === 0) return {};
  type Finding = NonNullable<Report['gitlabEnvironments']>['ghosts'][number];
  const unique = (list: Finding[]) =>
    [...new Map(list.map((f) => [`${f.projectId}/${f.id}`, f])).values()].sort(
      (a, b) => a.projectPath.localeCompare(b.projectPath) || a.name.localeCompare(b.name) || a.id - b.id,
    );
  return {
    gitlabEnvironments: {
      ghosts: unique(parts.flatMap((p) => p.ghosts)),
      stuck: unique(parts.flatMap((p) => p.stuck)),
      stopped: parts.reduce((n, p) => n + p.stopped, 0),
    },
  };
}

/** Leftovers of every shard, each resource once (shards reading one state look at the same deletions). */
function mergedLeftovers(reports: Report[]): Pick<Report, 'leftovers'> {
  const parts = reports.flatMap((r) => (r.leftovers ? [r.leftovers] : []));
  if (parts.length === 0) return {};
  const resources = [...new Map(parts.flatMap((p) => p.resources).map((l) => [l.arn, l])).values()].sort(
    (a, b) => a.stackName.localeCompare(b.stackName) || a.arn.localeCompare(b.arn),
  );
  const skipped = [
    ...new Map(parts.flatMap((p) => p.skipped).map((x) => [`${x.stackName}\u0000${x.reason}`, x])).values(),
  ].sort((a, b) => a.stackName.localeCompare(b.stackName) || a.reason.localeCompare(b.reason));
  const plans = parts.flatMap((p) => (p.plan ? [p.plan] : []));
  const plan =
    plans.length > 0
      ? { due: plans.reduce((n, p) => n + p.due, 0), brake: plans.find((p) => p.brake)?.brake ?? null }
      : undefined;
  return {
    leftovers: {
      checked: Math.max(...parts.map((p) => p.checked)),
      resources,
      skipped,
      ...(plan ? { plan } : {}),
    },
  };
}
