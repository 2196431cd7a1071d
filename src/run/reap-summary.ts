import type { Config } from '../config/schema.js';
import type { RunResult } from '../core/run-result.js';
import type { ExecutionOutcome } from '../executor/outcome.js';
import { renderDashboard } from '../report/dashboard.js';
import type { buildReport } from '../report/json-report.js';
import type { State } from '../state/state.js';

/** What a reap run leaves for people and for the next run: the dashboard body and the last-run summary. */

/** The dashboard body after the run: kept stacks, recent deletions, the report. */
export function dashboardBody(
  config: Config,
  state: State,
  report: ReturnType<typeof buildReport>,
  now: number,
): string {
  const kept = new Map(
    Object.entries(state.stacks)
      .filter(([, st]) => st.keptUntil !== undefined)
      .map(([id, st]) => [id, st.keptUntil as string]),
  );
  const since = now - config.notify.dashboard.recentlyDeleted;
  const recentlyDeleted = Object.values(state.stacks)
    .filter((st) => st.deletion?.status === 'deleted' && Date.parse(st.deletion.finishedAt ?? '') >= since)
    .map((st) => ({ name: st.name, at: st.deletion?.finishedAt ?? '', verdict: st.deletion?.verdict ?? '' }))
    .sort((a, b) => b.at.localeCompare(a.at));
  return renderDashboard(report, {
    keptUntil: kept,
    recentlyDeleted,
    keepDays: config.notify.dashboard.keepDays,
  });
}

/** The summary of this run kept in state (the next run's trend and `lastRun`). */
export function lastRunOf(run: RunResult, outcomes: Map<string, ExecutionOutcome>): State['lastRun'] {
  const count = (result: string) => [...outcomes.values()].filter((o) => o.result === result).length;
  return {
    runId: run.runId,
    at: new Date(run.now).toISOString(),
    mode: run.mode,
    summary: {
      inScope: run.environments.length,
      due: run.plan.due,
      brake: run.plan.brake,
      deleted: count('deleted'),
      failed: count('failed'),
      ...(run.usage ? { unused: unusedOf(run).count, unusedMonthlyCost: unusedOf(run).monthlyCost } : {}),
    },
  };
}

/** How many environments are unused in a run, and what they cost per month (null when unknown). */
export function unusedOf(run: RunResult): { count: number; monthlyCost: number | null } {
  const list = run.environments.filter((e) => e.classification.verdict === 'unused');
  const cost = run.costs?.known
    ? Math.round(list.reduce((n, e) => n + (run.costs?.monthly[e.stack.stackId] ?? 0), 0) * 100) / 100
    : null;
  return { count: list.length, monthlyCost: cost };
}
