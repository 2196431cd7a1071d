import { z } from 'zod';
import type { EnvironmentRecord, UsageReport } from '../core/run-result.js';
import { dailyTotals, USAGE_UNKNOWN } from '../core/usage.js';

/**
 * The usage parts of the JSON report (issue #35): each live environment's reading (state, last day
 * with traffic, requests per day for the sparkline) and what the check cost. Additive: version 2
 * readers ignore them.
 */

/**
 * CloudWatch's published price of GetMetricData, USD per 1,000 metrics requested (us-east-1; most
 * regions charge the same). The report multiplies the metrics a run requested by it: an estimate, not
 * a bill.
 */
export const USD_PER_1000_METRICS = 0.01;

/** One environment's usage as reported. */
export const environmentUsage = z.object({
  state: z.enum(['used', 'unused', 'unknown']),
  /** Why it is unknown (`docs/usage.md`). */
  why: z.enum(USAGE_UNKNOWN).optional(),
  /** The last UTC day with a request (`YYYY-MM-DD`) among the days read; `null`: none. */
  lastUsed: z.string().nullable(),
  /** When the reading was made (reused from state within `usage.interval`). */
  readAt: z.string().optional(),
  /** The first day read, and the requests per day from it (all measured resources summed). */
  from: z.string().optional(),
  daily: z.array(z.number()),
  /** Resources of the stack the check found (measured or not). */
  resources: z.number().int(),
});

/** The summary of the usage check. */
export const usageSummary = z.object({
  windowDays: z.number().int(),
  stacks: z.number().int(),
  read: z.number().int(),
  reused: z.number().int(),
  unused: z.number().int(),
  metricsRequested: z.number().int(),
  calls: z.object({
    getMetricData: z.number().int(),
    getResources: z.number().int(),
    getRestApis: z.number().int(),
  }),
  /** metricsRequested × USD_PER_1000_METRICS / 1000: what this run's metrics cost, estimated. */
  estimatedCostUsd: z.number(),
});

/** The usage of one environment, from its reasons and reading; absent when usage was not read for it. */
export function usageOf(e: EnvironmentRecord): z.output<typeof environmentUsage> | undefined {
  const reason = e.classification.reasons.find((r) =>
    ['NO_TRAFFIC', 'RECENT_TRAFFIC', 'USAGE_UNKNOWN'].includes(r.code),
  );
  if (!reason) return undefined;
  const reading = e.usage;
  const daily = reading ? dailyTotals(reading) : [];
  let last = -1;
  for (let i = daily.length - 1; i >= 0 && last < 0; i--) if ((daily[i] ?? 0) > 0) last = i;
  const lastUsed =
    reading && last >= 0
      ? new Date(Date.parse(reading.from) + last * 86_400_000).toISOString().slice(0, 10)
      : null;
  const why = USAGE_UNKNOWN.find((w) => reason.detail.startsWith(`${w}:`));
  return {
    state: reason.code === 'NO_TRAFFIC' ? 'unused' : reason.code === 'RECENT_TRAFFIC' ? 'used' : 'unknown',
    ...(reason.code === 'USAGE_UNKNOWN' && why ? { why } : {}),
    lastUsed,
    ...(reading ? { readAt: reading.readAt, from: reading.from } : {}),
    daily,
    resources: reading?.resources.length ?? 0,
  };
}

/** The usage summary of a run. */
export function usageSummaryOf(u: UsageReport): z.output<typeof usageSummary> {
  return {
    ...u,
    estimatedCostUsd: Math.round(u.metricsRequested * USD_PER_1000_METRICS * 1000) / 1_000_000,
  };
}
