import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { VERDICTS } from '../core/model.js';
import type { Report } from '../report/json-report.js';

/** Run outcomes as the metrics and /healthz see them. */
export type RunOutcome = 'ok' | 'partial' | 'brake' | 'error';

/** The daemon's Prometheus metrics (prom-client), on a registry of its own. */
export class ReaperMetrics {
  readonly registry = new Registry();
  private readonly runs = new Counter({
    name: 'env_reaper_runs_total',
    help: 'Runs by outcome (ok, partial: some lookups or deletions failed, brake, error: the run crashed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'env_reaper_run_duration_seconds',
    help: 'Wall time of a run.',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  private readonly stacks = new Gauge({
    name: 'env_reaper_stacks',
    help: 'In-scope stacks by verdict, as of the last completed run.',
    labelNames: ['verdict'],
    registers: [this.registry],
  });
  private readonly deletions = new Counter({
    name: 'env_reaper_deletions_total',
    help: 'Stack deletions by result (deleted, failed, cancelled).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly apiCalls = new Counter({
    name: 'env_reaper_api_calls_total',
    help: 'API calls by service (every HTTP attempt, retries included).',
    labelNames: ['service'],
    registers: [this.registry],
  });
  private readonly apiErrors = new Counter({
    name: 'env_reaper_api_errors_total',
    help: 'Failed API calls by service.',
    labelNames: ['service'],
    registers: [this.registry],
  });
  private readonly runErrors = new Counter({
    name: 'env_reaper_run_errors_total',
    help: 'Errors of degraded runs (the report errors[]) by service and operation; no stack names.',
    labelNames: ['service', 'operation'],
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'env_reaper_last_success_timestamp_seconds',
    help: 'Unix time of the last run that completed.',
    registers: [this.registry],
  });

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
