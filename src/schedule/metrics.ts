import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { VERDICTS } from '../core/model.js';
import type { DocRegion } from '../report/doc-tables.js';
import type { Report } from '../report/json-report.js';

/** Run outcomes as the metrics and /healthz see them. */
export type RunOutcome = 'ok' | 'partial' | 'brake' | 'error';

/**
 * The daemon's own metrics, said once: the class registers them from here, and `npm run gen` writes
 * the table of `docs/deploy.md` from here (a test fails when the page differs).
 */
export const METRICS = {
  runs: {
    name: 'env_reaper_runs_total',
    type: 'counter',
    help: 'Runs by outcome (ok, partial: some lookups or deletions failed, brake, error: the run crashed).',
    labelNames: ['outcome'],
  },
  duration: {
    name: 'env_reaper_run_duration_seconds',
    type: 'histogram',
    help: 'Wall time of a run.',
    labelNames: [],
  },
  stacks: {
    name: 'env_reaper_stacks',
    type: 'gauge',
    help: 'In-scope stacks by verdict, as of the last completed run.',
    labelNames: ['verdict'],
  },
  deletions: {
    name: 'env_reaper_deletions_total',
    type: 'counter',
    help: 'Stack deletions by result (deleted, failed, cancelled).',
    labelNames: ['result'],
  },
  apiCalls: {
    name: 'env_reaper_api_calls_total',
    type: 'counter',
    help: 'API calls by service (every HTTP attempt, retries included).',
    labelNames: ['service'],
  },
  apiErrors: {
    name: 'env_reaper_api_errors_total',
    type: 'counter',
    help: 'Failed API calls by service.',
    labelNames: ['service'],
  },
  runErrors: {
    name: 'env_reaper_run_errors_total',
    type: 'counter',
    help: 'Errors of degraded runs (the report errors[]) by service and operation; no stack names.',
    labelNames: ['service', 'operation'],
  },
  usageMetrics: {
    name: 'env_reaper_usage_metrics_requested_total',
    type: 'counter',
    help: 'CloudWatch metrics requested by the usage check (GetMetricData bills per metric requested; `usage.enabled`).',
    labelNames: [],
  },
  unusedMonthlyCost: {
    name: 'env_reaper_unused_monthly_cost_usd',
    type: 'gauge',
    help: 'What the unused environments cost per month, as of the last completed run (needs cost.enabled; NaN when unknown).',
    labelNames: [],
  },
  lastSuccess: {
    name: 'env_reaper_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last run that completed.',
    labelNames: [],
  },
} as const;

/** The metrics table of `docs/deploy.md` (between its markers). */
export function metricsDocRegion(): DocRegion {
  return {
    path: 'docs/deploy.md',
    name: 'metrics',
    content: [
      '| metric | type | labels | meaning |',
      '| --- | --- | --- | --- |',
      ...Object.values(METRICS).map(
        (m) =>
          `| \`${m.name}\` | ${m.type} | ${m.labelNames.map((l) => `\`${l}\``).join(', ') || '—'} | ${m.help} |`,
      ),
    ].join('\n'),
  };
}

const spec = <K extends keyof typeof METRICS>(key: K, registry: Registry) => {
  const { type: _t, labelNames, ...m } = METRICS[key];
  return { ...m, labelNames: [...labelNames], registers: [registry] };
};

/** The daemon's Prometheus metrics (prom-client), on a registry of its own. */
export class ReaperMetrics {
  readonly registry = new Registry();
  private readonly runs = new Counter(spec('runs', this.registry));
  private readonly duration = new Histogram({
    ...spec('duration', this.registry),
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
  });
  private readonly stacks = new Gauge(spec('stacks', this.registry));
  private readonly deletions = new Counter(spec('deletions', this.registry));
  private readonly apiCalls = new Counter(spec('apiCalls', this.registry));
  private readonly apiErrors = new Counter(spec('apiErrors', this.registry));
  private readonly runErrors = new Counter(spec('runErrors', this.registry));
  private readonly usageMetrics = new Counter(spec('usageMetrics', this.registry));
  private readonly unusedMonthlyCost = new Gauge(spec('unusedMonthlyCost', this.registry));
  private readonly lastSuccess = new Gauge(spec('lastSuccess', this.registry));

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'env_reaper_' });
    for (const verdict of VERDICTS) this.stacks.set({ verdict }, 0);
    for (const outcome of ['ok', 'partial', 'brake', 'error']) this.runs.inc({ outcome }, 0);
  }

  /** Records one finished run. */
  record(outcome: RunOutcome, seconds: number, report?: Report): void {
    this.runs.inc({ outcome });
    this.duration.observe(seconds);
    if (outcome !== 'error') this.lastSuccess.set(Date.now() / 1000);
    if (!report) return;
    for (const verdict of VERDICTS) this.stacks.set({ verdict }, report.summary.byVerdict[verdict] ?? 0);
    if (report.summary.usage) this.usageMetrics.inc(report.summary.usage.metricsRequested);
    const unusedCost = report.summary.cost?.monthlyUnused;
    this.unusedMonthlyCost.set(typeof unusedCost === 'number' ? unusedCost : Number.NaN);
    for (const e of report.environments) {
      if (e.result === 'deleted' || e.result === 'failed' || e.result === 'cancelled')
        this.deletions.inc({ result: e.result });
    }
    for (const [service, ops] of Object.entries(report.apiCalls.calls)) {
      this.apiCalls.inc(
        { service },
        Object.values(ops).reduce((a, b) => a + b, 0),
      );
    }
    for (const e of report.errors)
      this.runErrors.inc({ service: e.service ?? 'env-reaper', operation: e.operation ?? 'unknown' });
    for (const [service, ops] of Object.entries(report.apiCalls.errors)) {
      this.apiErrors.inc(
        { service },
        Object.values(ops).reduce((a, b) => a + b, 0),
      );
    }
  }
}
