import pLimit from 'p-limit';
import { mergeRequestFor } from '../core/match.js';
import type { EnvironmentRecord, RunResult } from '../core/run-result.js';
import { type ExecutorDeps, type ExecutorOptions, executionContext } from './context.js';
import { deleteStack } from './delete-stack.js';
import {
  type DashboardUpdate,
  type GitLabSideDeps,
  postNotice,
  stopGhost,
  writeDashboard,
} from './gitlab-side.js';
import type { ExecutionOutcome } from './outcome.js';
import { preflight } from './preflight.js';
import { resumeUnfinished } from './recovery.js';
import { teardownOf } from './stop-job.js';

export type { ExecutorDeps, ExecutorOptions, Recheck } from './context.js';
export { requestToken } from './delete-stack.js';

/**
 * The executor: the only code that writes to AWS or GitLab (docs/design.md §5), and the only place that
 * decides dry-run. Its parts: preflight.ts (account guard, export graph), delete-stack.ts (last checks,
 * DeleteStack, polling), gitlab-side.ts (environment, notes, notices, ghosts, dashboard), recovery.ts
 * (what a killed run left) and notes.ts (the texts). Every write is recorded in state before it is made
 * and in the audit log after, so a run killed at any point can be run again and converge.
 */

/** Executes the deletions of a run (or, without `apply`, says what it would do). */
export async function execute(
  run: RunResult,
  deps: ExecutorDeps,
  options: ExecutorOptions,
): Promise<Map<string, ExecutionOutcome>> {
  const outcomes = new Map<string, ExecutionOutcome>();
  const log = deps.logger;
  if (run.plan.brake) {
    log.warn({ brake: run.plan.brake }, 'brake engaged: nothing is deleted');
    return outcomes;
  }
  const due = run.environments.filter((e) => e.plan.status === 'due');
  const waiting = run.environments.filter(
    (e) =>
      e.plan.status === 'waiting' &&
      options.mergeRequestNotices &&
      mrOf(e) !== undefined &&
      !deps.state.stacks[e.stack.stackId]?.notices?.[e.classification.verdict],
  );
  if (!options.apply) {
    dryRun(due, waiting, deps, options);
    return outcomes;
  }

  const ctx = executionContext(deps, options);
  await resumeUnfinished(run, ctx, outcomes);
  for (const e of waiting) await postNotice(e, ctx);

  const { refused, tasks, blocked } = await preflight(due, ctx);
  const limit = pLimit(options.concurrency);
  const started = new Map<string, Promise<ExecutionOutcome>>();
  const runTask = (stackId: string): Promise<ExecutionOutcome> => {
    const existing = started.get(stackId);
    if (existing !== undefined) return existing;
    const task = tasks.get(stackId);
    const promise = (async (): Promise<ExecutionOutcome> => {
      if (!task)
        return {
          result: 'cancelled',
          error: { code: 'ACCOUNT_MISMATCH', message: 'credentials do not belong to the stack account' },
        };
      // A check that could not be made, or an outside importer, calls the deletion off before anything.
      const why = blocked.get(stackId);
      if (why) return { result: 'cancelled', error: why };
      // Importers first; if one of them is not deleted, neither is this exporter.
      const importers = await Promise.all(task.importers.map(runTask));
      if (importers.some((o) => o.result !== 'deleted'))
        return {
          result: 'cancelled',
          error: { code: 'EXPORT_IN_USE', message: 'an importing stack was not deleted' },
        };
      return limit(() => deleteStack(task.record, ctx));
    })().catch((error: unknown): ExecutionOutcome => {
      const record = tasks.get(stackId)?.record;
      ctx.fail(error, {
        what: 'deletion',
        stacks: [record?.stack.name ?? stackId],
        effect: 'kept',
        account: record?.stack.account,
        region: record?.stack.region,
        project: record?.owner.projectPath ?? record?.owner.projectId,
      });
      return { result: 'failed', error: { code: 'EXECUTOR_ERROR', message: (error as Error).message } };
    });
    started.set(stackId, promise);
    return promise;
  };
  for (const e of due.filter((x) => refused.has(x.stack.account) && !outcomes.has(x.stack.stackId)))
    outcomes.set(e.stack.stackId, {
      result: 'cancelled',
      error: {
        code: 'ACCOUNT_MISMATCH',
        message: `credentials no longer belong to account ${e.stack.account}`,
      },
    });
  // Stacks whose unfinished teardown was resumed above already have their outcome.
  const pending = due.filter((e) => !refused.has(e.stack.account) && !outcomes.has(e.stack.stackId));
  const results = await Promise.all(pending.map((e) => runTask(e.stack.stackId)));
  for (const [i, e] of pending.entries()) outcomes.set(e.stack.stackId, results[i] as ExecutionOutcome);
  await ctx.save();
  return outcomes;
}

function mrOf(e: EnvironmentRecord): number | undefined {
  return mergeRequestFor(e.owner, e.evidence);
}

/** Dry-run: every write the run would make, as `DRY-RUN: would …` lines, and nothing else. */
function dryRun(
  due: EnvironmentRecord[],
  waiting: EnvironmentRecord[],
  deps: ExecutorDeps,
  options: ExecutorOptions,
) {
  const log = deps.logger;
  for (const e of waiting)
    log.info(
      { stack: e.stack.name, mrIid: mrOf(e), deleteAfter: e.plan.deleteAfter },
      'DRY-RUN: would post an advance notice',
    );
  for (const e of due) {
    log.info(
      { stack: e.stack.name, stackId: e.stack.stackId, verdict: e.classification.verdict },
      'DRY-RUN: would delete stack',
    );
    const env = e.evidence.environment?.ok ? e.evidence.environment.value : null;
    const teardown = teardownOf(e, options);
    if (env && env.state === 'available' && teardown !== 'delete-stack')
      log.info(
        { environment: env.name, teardown },
        'DRY-RUN: would stop environment so its on_stop job tears the stack down',
      );
    else if (env && env.state !== 'stopped')
      log.info({ environment: env.name }, 'DRY-RUN: would stop environment');
    if (options.mergeRequestNotes && mrOf(e) !== undefined)
      log.info({ mrIid: mrOf(e) }, 'DRY-RUN: would note the merge request');
  }
}

/**
 * Stops ghost environments (available in `review/`, stack gone) when the policy says so. Dry-run only
 * logs. Returns how many were stopped.
 */
export async function stopGhostEnvironments(
  run: RunResult,
  deps: GitLabSideDeps,
  options: { apply: boolean; runId: string; enabled: boolean },
): Promise<number> {
  const ghosts = run.environmentFindings?.ghosts ?? [];
  if (!options.enabled) return 0;
  let stopped = 0;
  for (const g of ghosts) {
    if (!options.apply)
      deps.logger.info(
        { project: g.projectPath, environment: g.name },
        'DRY-RUN: would stop ghost environment',
      );
    else if (await stopGhost(g, deps, options.runId)) stopped++;
  }
  return stopped;
}

/** Creates or edits the dashboard issue in place (dry-run: only says it would). */
export async function updateDashboard(
  deps: GitLabSideDeps,
  options: DashboardUpdate & { apply: boolean },
): Promise<void> {
  if (!options.apply) {
    deps.logger.info(
      { project: options.project, issue: options.existing },
      'DRY-RUN: would update the dashboard issue',
    );
    return;
  }
  await writeDashboard(deps, options);
}
