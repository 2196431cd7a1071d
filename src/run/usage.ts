import pLimit from 'p-limit';
import { awsRunError } from '../aws/collector.js';
import type { AccountTarget, AwsUsageReader, MetricSeries, UsageHit } from '../aws/ports.js';
import type { Evidence, StackFacts } from '../core/model.js';
import type { RunError, UsageReport } from '../core/run-result.js';
import {
  judgeUsage,
  type ResourceUsage,
  USAGE_SPECS,
  USAGE_TAGGING_TYPES,
  type UsageQuery,
  type UsageReading,
  type UsageResource,
  usageQueries,
  usageSpecOf,
} from '../core/usage.js';
import type { Logger } from '../log/logger.js';

/**
 * Step 3b (usage, `usage.enabled`): the request metrics of the live stacks, read in as few calls as the
 * APIs allow — one tagging listing per account × region (CloudFront's in us-east-1), one GetRestApis per
 * region that has a REST API, one GetMetricData per 500 metrics — or reused from state within
 * `usage.interval`. A failed call makes the usage of the stacks it was for unknown (never unused) and is
 * an error of the run.
 */

const DAY_MS = 86_400_000;
const CLOUDFRONT = 'cloudfront:distribution';
const METRICS_PER_CALL = 500;

/** A reading kept in state, with the stack change it was read for. */
export interface CachedUsage {
  reading: UsageReading;
  /** The stack's last change (creation or update) when read: a later change makes it stale. */
  lastChange: string;
}

/** What the usage step needs. */
export interface UsageDeps {
  usage: AwsUsageReader;
  logger: Logger;
  /** The reading state kept for a stack, if any. */
  cached?: ((stackId: string) => CachedUsage | undefined) | undefined;
  /** The configured credentials of an account. */
  targetOf: (account: string) => AccountTarget;
}

/** The usage settings of a run. */
export interface UsageSettings {
  windowDays: number;
  intervalMs: number;
  /** `policy.unused: stop`: a cached reading that says unused is read again before anything is stopped. */
  stops: boolean;
  concurrency: number;
}

/** What the step found. */
export interface UsageCollection {
  readings: Map<string, Evidence<UsageReading>>;
  errors: RunError[];
  report: UsageReport;
}

/** The stack's last change: creation or update, whichever is later. */
export function lastChangeOf(stack: StackFacts): string {
  return stack.updatedAt !== undefined && stack.updatedAt > stack.createdAt
    ? stack.updatedAt
    : stack.createdAt;
}

/** Days read per reading: twice the window, so the last day with traffic before it can be named. */
export function daysRead(windowDays: number): number {
  return 2 * windowDays;
}

function reusable(
  cached: CachedUsage | undefined,
  stack: StackFacts,
  settings: UsageSettings,
  now: number,
): UsageReading | undefined {
  if (!cached) return undefined;
  const { reading } = cached;
  if (now - Date.parse(reading.readAt) >= settings.intervalMs) return undefined;
  if (cached.lastChange !== lastChangeOf(stack) || reading.days !== daysRead(settings.windowDays))
    return undefined;
  // A reading that would stop an environment is never an old one.
  if (
    settings.stops &&
    judgeUsage({ ok: true, value: reading }, cached.lastChange, settings.windowDays, now).state === 'unused'
  )
    return undefined;
  return reading;
}

/** Groups a list by a key, keeping the order (a Map of arrays, built in one pass). */
function groupBy<T>(list: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of list) {
    const k = key(x);
    const group = out.get(k);
    if (group) group.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/**
 * Which candidate stack a tagged resource belongs to: by the stack-id tag, else by name in its account
 * (and region, when the ARN has one). Indexed once per account: an estate lists tens of thousands.
 */
function stackIndex(stacks: StackFacts[]): (hit: UsageHit) => StackFacts | undefined {
  const byId = new Map(stacks.map((s) => [s.stackId, s]));
  const byName = groupBy(stacks, (s) => s.name);
  return (hit) => {
    if (hit.stackId !== undefined) return byId.get(hit.stackId);
    const region = hit.arn.split(':')[3];
    const named = (byName.get(hit.stackName ?? '') ?? []).filter((s) => region === '' || region === s.region);
    // A name without its id, shared by two stacks (two regions, CloudFront), is nobody's: never guessed.
    return named.length === 1 ? named[0] : undefined;
  };
}

/** Reads the usage of the candidate stacks (live ones), reusing recent readings from state. */
export async function collectUsage(
  candidates: StackFacts[],
  deps: UsageDeps,
  settings: UsageSettings,
  now: number,
): Promise<UsageCollection> {
  const readings = new Map<string, Evidence<UsageReading>>();
  const errors: RunError[] = [];
  const report: UsageReport = {
    windowDays: settings.windowDays,
    stacks: candidates.length,
    read: 0,
    reused: 0,
    metricsRequested: 0,
    calls: { getMetricData: 0, getResources: 0, getRestApis: 0 },
    unused: 0,
  };
  const fresh: StackFacts[] = [];
  for (const stack of candidates) {
    const again = reusable(deps.cached?.(stack.stackId), stack, settings, now);
    if (again) {
      readings.set(stack.stackId, { ok: true, value: again });
      report.reused++;
    } else fresh.push(stack);
  }
  const byAccount = groupBy(fresh, (s) => s.account);
  const limit = pLimit(settings.concurrency);
  const days = daysRead(settings.windowDays);
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const window = { from: today - (days - 1) * DAY_MS, to: today + DAY_MS, days };
  await Promise.all(
    [...byAccount].map(([account, stacks]) =>
      readAccount(account, stacks, deps, limit, window, now, { readings, errors, report }),
    ),
  );
  report.read = fresh.length;
  return { readings, errors, report };
}

interface Window {
  from: number;
  to: number;
  days: number;
}

interface Sink {
  readings: Map<string, Evidence<UsageReading>>;
  errors: RunError[];
  report: UsageReport;
}

/** One account: a listing per region (CloudFront's in us-east-1), then names and metrics per region. */
async function readAccount(
  account: string,
  stacks: StackFacts[],
  deps: UsageDeps,
  limit: ReturnType<typeof pLimit>,
  window: Window,
  now: number,
  sink: Sink,
): Promise<void> {
  const target = deps.targetOf(account);
  const regions = [...new Set(stacks.map((s) => s.region))].sort();
  const fail = (error: unknown, region: string, operation: string, who: StackFacts[]) => {
    const e = awsRunError(error, { scope: `aws:usage ${account}/${region}`, account, region });
    sink.errors.push({
      ...e,
      operation: e.operation ?? operation,
      stacks: who.map((s) => s.name),
      effect: 'less-reported',
    });
    for (const s of who)
      if (!sink.readings.has(s.stackId))
        sink.readings.set(s.stackId, {
          ok: false,
          error: { code: e.code, message: e.message, ...(e.operation ? { operation: e.operation } : {}) },
        });
  };
  const listings = [...regions];
  if (!listings.includes('us-east-1')) listings.push('us-east-1');
  const hits: UsageHit[] = [];
  await Promise.all(
    listings.map((region) =>
      limit(async () => {
        const own = regions.includes(region);
        const types = own
          ? region === 'us-east-1'
            ? USAGE_TAGGING_TYPES
            : USAGE_TAGGING_TYPES.filter((t) => t !== CLOUDFRONT)
          : [CLOUDFRONT];
        try {
          const listed = await deps.usage.listResources(target, region, types);
          sink.report.calls.getResources += listed.pages;
          hits.push(...listed.hits);
        } catch (error) {
          // CloudFront's listing is global: any stack of the account may own a distribution.
          fail(
            error,
            region,
            'GetResources',
            own && region !== 'us-east-1' ? stacks.filter((s) => s.region === region) : stacks,
          );
        }
      }),
    ),
  );
  const resources = new Map<string, UsageResource[]>(stacks.map((s) => [s.stackId, []]));
  const owningStack = stackIndex(stacks);
  for (const hit of hits) {
    const stack = owningStack(hit);
    if (!stack) continue;
    const kind = usageSpecOf(hit.type, hit.arn)?.kind ?? 'other';
    resources.get(stack.stackId)?.push({ arn: hit.arn, kind });
  }
  const byRegion = groupBy(stacks, (s) => s.region);
  await Promise.all(
    regions.map((region) =>
      readRegion(
        region,
        (byRegion.get(region) ?? []).filter((s) => !sink.readings.has(s.stackId)),
        resources,
        { target, deps, limit, window, now, sink, fail },
      ),
    ),
  );
}

/** The names a region's REST APIs need, then its metrics in batches of 500, then one reading per stack. */
async function readRegion(
  region: string,
  stacks: StackFacts[],
  resources: Map<string, UsageResource[]>,
  ctx: {
    target: AccountTarget;
    deps: UsageDeps;
    limit: ReturnType<typeof pLimit>;
    window: Window;
    now: number;
    sink: Sink;
    fail: (error: unknown, region: string, operation: string, who: StackFacts[]) => void;
  },
): Promise<void> {
  if (stacks.length === 0) return;
  const { target, deps, limit, window, sink } = ctx;
  const names = new Map<string, string>();
  const needNames = stacks.filter((s) => (resources.get(s.stackId) ?? []).some((r) => r.kind === 'rest-api'));
  if (needNames.length > 0) {
    try {
      const listed = await limit(() => deps.usage.restApiNames(target, region));
      sink.report.calls.getRestApis += listed.pages;
      for (const r of needNames.flatMap((s) => resources.get(s.stackId) ?? []))
        if (r.kind === 'rest-api') {
          const id = r.arn.split('/').pop() ?? '';
          const name = listed.names.get(id);
          if (name !== undefined) names.set(r.arn, name);
        }
    } catch (error) {
      ctx.fail(error, region, 'GetRestApis', needNames);
    }
  }
  const live = stacks.filter((s) => !sink.readings.has(s.stackId));
  const perStack = new Map<string, UsageQuery[]>();
  const all: { stackId: string; query: UsageQuery }[] = [];
  for (const s of live) {
    const { queries } = usageQueries(resources.get(s.stackId) ?? [], region, names);
    perStack.set(s.stackId, queries);
    for (const q of queries) all.push({ stackId: s.stackId, query: q });
  }
  // One call per 500 metrics and metric region; ids are unique within a call.
  const byRegion = groupBy(all, (x) => x.query.region);
  const series = new Map<UsageQuery, MetricSeries>();
  const failed = new Set<string>();
  const calls: Promise<void>[] = [];
  for (const [metricRegion, list] of byRegion)
    for (let i = 0; i < list.length; i += METRICS_PER_CALL) {
      const batch = list.slice(i, i + METRICS_PER_CALL);
      const wire = batch.map((x, n) => ({ ...x.query, id: `m${n}` }));
      calls.push(
        limit(async () => {
          sink.report.metricsRequested += wire.length;
          try {
            const got = await deps.usage.metricData(target, metricRegion, wire, window.from, window.to);
            sink.report.calls.getMetricData += got.calls;
            // Every further page requests the same metrics again, and is billed for them.
            sink.report.metricsRequested += (got.calls - 1) * wire.length;
            for (const [n, x] of batch.entries()) {
              const s = got.series.get(`m${n}`);
              if (s) series.set(x.query, s);
            }
          } catch (error) {
            sink.report.calls.getMetricData++;
            const ids = new Set(batch.map((x) => x.stackId));
            const who = live.filter((s) => ids.has(s.stackId));
            for (const s of who) failed.add(s.stackId);
            ctx.fail(error, metricRegion, 'GetMetricData', who);
          }
        }),
      );
    }
  await Promise.all(calls);
  for (const s of live) {
    if (failed.has(s.stackId) || sink.readings.has(s.stackId)) continue;
    sink.readings.set(s.stackId, {
      ok: true,
      value: readingOf(
        resources.get(s.stackId) ?? [],
        perStack.get(s.stackId) ?? [],
        series,
        window,
        ctx.now,
      ),
    });
  }
}

/** One stack's reading: each resource's daily sums over its metrics; incomplete when any metric was. */
function readingOf(
  resources: UsageResource[],
  queries: UsageQuery[],
  series: Map<UsageQuery, MetricSeries>,
  window: Window,
  now: number,
): UsageReading {
  const measured = new Set(USAGE_SPECS.filter((s) => s.namespace).map((s) => s.kind));
  const out: ResourceUsage[] = resources.map((r) => {
    if (!measured.has(r.kind)) return { arn: r.arn, kind: r.kind, daily: [], complete: true };
    const mine = queries.filter((q) => q.arn === r.arn);
    const daily = Array.from({ length: window.days }, () => 0);
    // A resource without a query (a REST API whose name was not listed) was not read.
    let complete = mine.length > 0;
    for (const q of mine) {
      const s = series.get(q);
      if (!s?.complete) complete = false;
      for (const p of s?.points ?? []) {
        const i = Math.floor((p.at - window.from) / DAY_MS);
        if (i >= 0 && i < window.days) daily[i] = (daily[i] ?? 0) + p.sum;
      }
    }
    return { arn: r.arn, kind: r.kind, daily, complete };
  });
  out.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  return {
    readAt: new Date(now).toISOString(),
    from: new Date(window.from).toISOString(),
    days: window.days,
    resources: out,
    metrics: queries.length,
  };
}
