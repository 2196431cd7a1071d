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
  // A notice goes to every stack that waits for its deletion or stop, and to a flagged unused one (its
  // notice is what the flag does on the MR).
  const waiting = run.environments.filter(
    (e) =>
      (e.plan.status === 'waiting' || (e.classification.verdict === 'unused' && e.plan.action === 'flag')) &&
      options.mergeRequestNotices &&
      mrOf(e) !== undefined &&
      !deps.state.stacks[e.stack.stackId]?.notices?.[e.classification.verdict],
  );
  const gate = writeGate(options.apply);
  // A dry run (and the plan it writes) shows what apply would refuse: the same read-only checks, made
  // now. Apply makes them itself, in their place among its writes, and re-checks everything anyway.
  const preview = await gate.preview(() => preflight(due, executionContext(deps, options)));
  if (preview) for (const [id, o] of refusals(due, preview)) outcomes.set(id, o);
  const lines = dryRunLines(
    due.filter((e) => !outcomes.has(e.stack.stackId)),
    waiting,
    options,
  );
  return gate.pass(log, lines, outcomes, () => applyAll(run, due, waiting, deps, options, outcomes));
}

/**
 * What apply would call off, from its preflight, as apply would say it: an account the guard refuses, a
 * check that could not be made, an outside importer; then, as apply deletes importers first, every
 * exporter whose importer is called off.
 */
export function refusals(
  due: EnvironmentRecord[],
  { refused, tasks, blocked }: Awaited<ReturnType<typeof preflight>>,
): Map<string, ExecutionOutcome> {
  const out = new Map<string, ExecutionOutcome>();
  for (const e of due) {
    const id = e.stack.stackId;
    if (refused.has(e.stack.account))
      out.set(id, {
        result: 'cancelled',
        error: {
          code: 'ACCOUNT_MISMATCH',
          message: `credentials no longer belong to account ${e.stack.account}`,
        },
      });
    else {
      const why = blocked.get(id);
      if (why) out.set(id, { result: 'cancelled', error: why });
    }
  }
  const names = new Map(due.map((e) => [e.stack.stackId, e.stack.name]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, task] of tasks) {
      const stopped = task.importers.find((i) => out.has(i));
      if (out.has(id) || stopped === undefined) continue;
      out.set(id, {
        result: 'cancelled',
        error: {
          code: 'EXPORT_IN_USE',
          message: `an importing stack, ${names.get(stopped) ?? stopped}, would not be deleted`,
        },
      });
      changed = true;
    }
  }
  return out;
}

/** Every write the executor can say it would make: a closed list, so each log message stays static. */
type WouldDo =
  | 'delete bucket (every object version and delete marker, then the bucket)'
  | 'delete repository (with its images)'
  | 'delete log group'
  | 'post an advance notice'
  | 'post an unused-environment notice'
  | 'delete stack'
  | 'stop the unused environment so its on_stop job tears the stack down (never DeleteStack)'
  | 'stop environment so its on_stop job tears the stack down'
  | 'stop environment'
  | 'note the merge request'
  | 'stop ghost environment'
  | 'update the dashboard issue';

/** What would be written, as one line each: the `DRY-RUN: would …` lines of the gate. */
export interface DryRunLine {
  fields: Record<string, unknown>;
  what: WouldDo;
}

/**
 * The gate every write path of a run goes through: it either makes the writes or says each one as a
 * `DRY-RUN: would …` line and reads and writes nothing, answering `skipped`. Its `mode` is the report's
 * name for the run, so the name and the behaviour cannot disagree.
 */
export interface WriteGate {
  readonly mode: 'apply' | 'dry-run';
  pass<T>(log: ExecutorDeps['logger'], lines: DryRunLine[], skipped: T, writes: () => Promise<T>): Promise<T>;
  /**
   * The read-only checks apply makes before its writes, made ahead so a dry run can show what apply
   * would refuse; `undefined` with apply, which makes them in their place.
   */
  preview<T>(reads: () => Promise<T>): Promise<T | undefined>;
}

const OPEN: WriteGate = {
  mode: 'apply',
  pass: (_log, _lines, _skipped, writes) => writes(),
  preview: async () => undefined,
};

const CLOSED: WriteGate = {
  mode: 'dry-run',
  pass: async (log, lines, skipped) => {
    for (const line of lines) log.info(line.fields, `DRY-RUN: would ${line.what}`);
    return skipped;
  },
  preview: (reads) => reads(),
};

/**
 * The one place dry-run is decided (docs/design.md §2): the only test of `apply` in the code. Every
 * write path and the report's mode ask the gate it returns.
 */
export function writeGate(apply: boolean): WriteGate {
  return apply ? OPEN : CLOSED;
}

/** The deletions of a run with `apply`: resume what an earlier run left, notices, then each due stack. */
async function applyAll(
  run: RunResult,
  due: EnvironmentRecord[],
  waiting: EnvironmentRecord[],
  deps: ExecutorDeps,
  options: ExecutorOptions,
  outcomes: Map<string, ExecutionOutcome>,
): Promise<Map<string, ExecutionOutcome>> {
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
  // The longest phase of a reap: each deletion's end is counted for the terminal (done / total).
  const count = { done: 0, deleted: 0, failed: 0 };
  const total = pending.length;
  if (total > 0) deps.progress?.({ ...count, total });
  const results = await Promise.all(
    pending.map(async (e) => {
      const out = await runTask(e.stack.stackId);
      count.done++;
      if (out.result === 'deleted') count.deleted++;
      else if (out.result === 'failed') count.failed++;
      deps.progress?.({ ...count, total });
      return out;
    }),
  );
  for (const [i, e] of pending.entries()) outcomes.set(e.stack.stackId, results[i] as ExecutionOutcome);
  await ctx.save();
  return outcomes;
}

function mrOf(e: EnvironmentRecord): number | undefined {
  return mergeRequestFor(e.owner, e.evidence);
}

/** Every write the run would make, in order: what the gate says in a dry-run. */
function dryRunLines(
  due: EnvironmentRecord[],
  waiting: EnvironmentRecord[],
  options: ExecutorOptions,
): DryRunLine[] {
  const lines: DryRunLine[] = waiting.map((e) => ({
    fields: { stack: e.stack.name, mrIid: mrOf(e), deleteAfter: e.plan.deleteAfter },
    what:
      e.classification.verdict === 'unused' ? 'post an unused-environment notice' : 'post an advance notice',
  }));
  for (const e of due) {
    if (e.plan.action === 'stop') {
      const env = e.evidence.environment?.ok ? e.evidence.environment.value : null;
      lines.push({
        fields: { stack: e.stack.name, stackId: e.stack.stackId, environment: env?.name, verdict: 'unused' },
        what: 'stop the unused environment so its on_stop job tears the stack down (never DeleteStack)',
      });
      if (options.mergeRequestNotes && mrOf(e) !== undefined)
        lines.push({ fields: { mrIid: mrOf(e) }, what: 'note the merge request' });
      continue;
    }
    lines.push({
      fields: { stack: e.stack.name, stackId: e.stack.stackId, verdict: e.classification.verdict },
      what: 'delete stack',
    });
    const env = e.evidence.environment?.ok ? e.evidence.environment.value : null;
    const teardown = teardownOf(e, options);
    if (env && env.state === 'available' && teardown !== 'delete-stack')
      lines.push({
        fields: { environment: env.name, teardown },
        what: 'stop environment so its on_stop job tears the stack down',
      });
    else if (env && env.state !== 'stopped')
      lines.push({ fields: { environment: env.name }, what: 'stop environment' });
    if (options.mergeRequestNotes && mrOf(e) !== undefined)
      lines.push({ fields: { mrIid: mrOf(e) }, what: 'note the merge request' });
  }
  return lines;
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
  const lines = ghosts.map(
    (g): DryRunLine => ({
      fields: { project: g.projectPath, environment: g.name },
      what: 'stop ghost environment',
    }),
  );
  return writeGate(options.apply).pass(deps.logger, lines, 0, async () => {
    let stopped = 0;
    for (const g of ghosts) if (await stopGhost(g, deps, options.runId)) stopped++;
    return stopped;
  });
}

/** Creates or edits the dashboard issue in place (dry-run: only says it would). */
export async function updateDashboard(
  deps: GitLabSideDeps,
  options: DashboardUpdate & { apply: boolean },
): Promise<void> {
  const line: DryRunLine = {
    fields: { project: options.project, issue: options.existing },
    what: 'update the dashboard issue',
  };
  await writeGate(options.apply).pass(deps.logger, [line], undefined, () => writeDashboard(deps, options));
}
