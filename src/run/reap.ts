import type { AccountTarget, AwsLeftoverReader } from '../aws/ports.js';
import { policyFromConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StackFacts } from '../core/model.js';
import { plan } from '../core/plan.js';
import type { EnvironmentRecord, RunError, RunResult } from '../core/run-result.js';
import { ExternalServiceError, FormatTooNewError, UsageError } from '../errors/errors.js';
import { describeFailure, failureWord } from '../errors/failure.js';
import { type DeleteProgress, POLL_BOUNDS, runErrorOf } from '../executor/context.js';
import {
  type ExecutorDeps,
  execute,
  type Recheck,
  stopGhostEnvironments,
  updateDashboard,
  writeGate,
} from '../executor/executor.js';
import type { ExecutionOutcome } from '../executor/outcome.js';
import type { PlanFile } from '../executor/plan-file.js';
import { collectGitLab } from '../gitlab/collector.js';
import { parseKeepBoxes } from '../report/dashboard.js';
import { buildReport } from '../report/json-report.js';
import { JsonLinesLog, LockHeldError, StateCorruptError } from '../state/file-store.js';
import type { StateStore } from '../state/ports.js';
import { STATE_RETENTION_MS, type State } from '../state/state.js';
import { audit, type RunDeps, targetsOf, withAffectedStacks } from './audit.js';
import { judge, type RunMemory } from './judge.js';
import { reapLeftoverStep } from './leftover-reap.js';
import { findLeftovers } from './leftovers.js';
import { dashboardBody, lastRunOf, unusedOf } from './reap-summary.js';
import { lastChangeOf } from './usage.js';

/** What `reap` needs beyond an audit. */
export interface ReapDeps extends RunDeps {
  /** The executor's AWS and GitLab sides (writes, and the reads around them). */
  executorIo: Pick<ExecutorDeps, 'aws' | 'gitlab'>;
  store: StateStore;
  shouldStop?: () => boolean;
  /** The leftovers reads (`leftovers.enabled`); without them no leftovers section is made. */
  leftovers?: AwsLeftoverReader;
}

/** Result of one reap run. */
export interface ReapResult {
  run: RunResult;
  outcomes: Map<string, ExecutionOutcome>;
  trend: Trend;
  ghostsStopped: number;
}

/** How this run compares with the previous one (issue #8's trend). */
export interface Trend {
  previousRunId: string | null;
  /** Flagged or planned for deletion now, not in the previous run. */
  new: string[];
  /** Flagged or planned in the previous run, no longer (kept, deleted or gone). */
  resolved: string[];
  /** Flagged or planned for two runs or more in a row. */
  stillFlagged: { name: string; runs: number }[];
  /** Unused environments now and in the previous run, and what they cost per month (null: unknown). */
  unused?: {
    count: number;
    previous: number | null;
    monthlyCost: number | null;
    previousMonthlyCost: number | null;
  };
}

/**
 * Records the verdicts of this run: first-seen clocks, last-seen times and the flagged streak; forgets
 * long-gone stacks; returns the trend against the previous run.
 */
export function recordVerdicts(state: State, run: RunResult): Trend {
  const at = new Date(run.now).toISOString();
  const trend: Trend = {
    previousRunId: state.lastRun?.runId ?? null,
    new: [],
    resolved: [],
    stillFlagged: [],
  };
  const seen = new Set<string>();
  for (const e of run.environments) {
    seen.add(e.stack.stackId);
    const s = state.stacks[e.stack.stackId] ?? { name: e.stack.name, firstSeen: {}, lastSeen: at };
    // The clock this run used is the one every later run must use: persist it, not just "now".
    s.firstSeen[e.classification.verdict] ??= e.classification.since ?? at;
    s.lastVerdict = e.classification.verdict;
    s.lastSeen = at;
    // The reading is kept for the next runs within usage.interval (a reused one keeps its own time).
    if (e.usage) s.usage = { reading: e.usage, lastChange: lastChangeOf(e.stack) };
    const was = s.flaggedRuns ?? 0;
    if (e.plan.action !== 'keep') {
      s.flaggedRuns = was + 1;
      if (was === 0) trend.new.push(e.stack.name);
      else trend.stillFlagged.push({ name: e.stack.name, runs: s.flaggedRuns });
    } else {
      if (was > 0) trend.resolved.push(e.stack.name);
      s.flaggedRuns = 0;
    }
    state.stacks[e.stack.stackId] = s;
  }
  for (const [id, s] of Object.entries(state.stacks)) {
    if (!seen.has(id) && (s.flaggedRuns ?? 0) > 0) {
      trend.resolved.push(s.name);
      s.flaggedRuns = 0;
    }
    if (run.now - Date.parse(s.lastSeen) > STATE_RETENTION_MS && s.deletion?.status !== 'started')
      delete state.stacks[id];
  }
  // A leftover record goes with its stack's (the leftover is no longer looked for), unless unfinished.
  for (const [arn, l] of Object.entries(state.leftovers ?? {}))
    if (!state.stacks[l.stackId] && l.status !== 'started') delete state.leftovers?.[arn];
  for (const list of [trend.new, trend.resolved]) list.sort();
  if (run.usage) {
    const before = state.lastRun?.summary;
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    trend.unused = {
      ...unusedOf(run),
      previous: num(before?.unused),
      previousMonthlyCost: num(before?.unusedMonthlyCost),
    };
  }
  trend.stillFlagged.sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name));
  return trend;
}

/** What this run reads from state before the audit: clocks and notices as they stood (copied). */
export function memoryOf(state: State): RunMemory {
  // The grace clocks as they stood before this run: the plan and every re-check must read the same ones.
  const clocks = structuredClone(
    Object.fromEntries(Object.entries(state.stacks).map(([id, s]) => [id, s.firstSeen])),
  );
  const notices = structuredClone(
    Object.fromEntries(Object.entries(state.stacks).map(([id, s]) => [id, s.notices ?? {}])),
  );
  return {
    usageCache: (stackId) => state.stacks[stackId]?.usage,
    firstSeen: (stackId) => clocks[stackId],
    noticePostedAt: (stackId, verdict) => notices[stackId]?.[verdict]?.at,
    keptUntil: (stackId) => state.stacks[stackId]?.keptUntil,
  };
}

/**
 * The dashboard issue as read at the start of the run; `unreadable` when the read failed (then it is
 * neither created nor edited this run: a failed read is not "no issue", and must not make a second one).
 */
type DashboardIssue = { iid: number; description: string } | null | 'unreadable';

/**
 * Reads the dashboard first: a box ticked since the last run keeps its stack in this very run; an
 * unticked box or an expired keep ends it.
 */
async function readDashboardKeeps(
  config: Config,
  deps: ReapDeps,
  state: State,
  errors: RunError[],
): Promise<DashboardIssue> {
  const dash = config.notify.dashboard;
  if (dash.project === undefined) return null;
  let issue: DashboardIssue = null;
  try {
    issue = await deps.executorIo.gitlab.findIssue(dash.project, dash.label);
  } catch (error) {
    deps.logger.error(
      { err: error },
      'dashboard issue could not be read; keeps from it are not renewed and it is not updated this run',
    );
    errors.push(
      runErrorOf(error, {
        what: 'dashboard issue read',
        stacks: [],
        effect: 'not-done',
        project: dash.project,
      }),
    );
    issue = 'unreadable';
  }
  const startedAt = deps.now();
  // Unreadable: the keeps already in state stand; none is renewed or ended by a box nobody could read.
  const boxes =
    issue === 'unreadable' ? new Map<string, boolean>() : parseKeepBoxes(issue?.description ?? '');
  for (const [id, ticked] of boxes) {
    const st = state.stacks[id];
    if (!st) continue;
    if (ticked && !st.keptUntil)
      st.keptUntil = new Date(startedAt + dash.keepDays * 86_400_000).toISOString();
    if (!ticked) delete st.keptUntil;
  }
  for (const st of Object.values(state.stacks))
    if (st.keptUntil && Date.parse(st.keptUntil) <= startedAt) delete st.keptUntil;
  return issue;
}

/**
 * The executor's re-check: reads one stack's GitLab evidence again and judges it the way the audit did
 * (same function, same memory); brakes were judged on the whole plan, this only asks "still due?".
 */
function recheckWith(config: Config, deps: ReapDeps, memory: RunMemory) {
  const policy = policyFromConfig(config);
  return async (record: EnvironmentRecord, fresh: StackFacts): Promise<Recheck> => {
    const gitlab = await collectGitLab(
      [{ stackId: record.stack.stackId, owner: record.owner }],
      deps.gitlab,
      {
        projectConcurrency: 1,
        logger: deps.logger,
      },
    );
    const now = deps.now();
    const evidence = gitlab.evidence.get(record.stack.stackId) ?? {};
    // Usage is this run's reading (one that stops an environment is never reused from state).
    const usage = record.usage ? { ok: true as const, value: record.usage } : undefined;
    const j = judge(fresh, record.owner, evidence, memory, policy, now, usage);
    const item = plan([j.input], policy, { maxDeletionsPerRun: 1, maxDeletionPercent: 100 }, now).items[0];
    return {
      verdict: j.classification.verdict,
      status: item?.status ?? 'keep',
      reasons: j.classification.reasons,
      ...(gitlab.errors.length > 0
        ? { errors: withAffectedStacks(gitlab.errors, [{ ...record, evidence }]) }
        : {}),
    };
  };
}

/** The configured credentials of an account (the ambient ones when accounts are not listed). */
function targetResolver(config: Config, deps: ReapDeps): (account: string) => AccountTarget {
  const targets = targetsOf(config, deps.env);
  return (account) =>
    targets.find((t) => t.id === account) ??
    targets.find((t) => t.id === undefined) ?? { id: account, regions: [] };
}

/**
 * Whether the configured credentials reach an account: a listed account, or (accounts not listed) the
 * ambient credentials' account, as this run's scan found it. Lookups about a stack of any other account
 * would read the wrong account.
 */
function reachable(config: Config, deps: ReapDeps): (account: string, run: RunResult) => boolean {
  const targets = targetsOf(config, deps.env);
  return (account, run) =>
    targets.some((t) => t.id === account) ||
    (targets.some((t) => t.id === undefined) && run.scanned.some((x) => x.account === account));
}

/** A reviewed plan must be applied with credentials reaching exactly the accounts it was made for. */
function checkPlanAccounts(run: RunResult, planFile: PlanFile): void {
  const now = [...new Set(run.scanned.map((x) => x.account))].sort();
  if (now.join(',') !== planFile.accounts.join(','))
    throw new UsageError(
      `the plan was made for account(s) ${planFile.accounts.join(', ')}, these credentials reach ${now.join(', ') || 'none'}; nothing done`,
    );
}

/** Planned stacks that are no longer due at all: the evidence changed (an MR reopened, a keep label…). */
function cancelNoLongerDue(
  run: RunResult,
  planFile: PlanFile,
  outcomes: Map<string, ExecutionOutcome>,
): void {
  for (const p of planFile.stacks) {
    const now = run.environments.find((e) => e.stack.stackId === p.id);
    if (now && !outcomes.has(p.id))
      outcomes.set(p.id, {
        result: 'cancelled',
        error: {
          code: 'EVIDENCE_CHANGED',
          message: `planned as ${p.verdict}, now ${now.classification.verdict} (${now.plan.status})`,
        },
      });
  }
}

/** Options of one reap run. */
export interface ReapOptions {
  runId: string;
  apply: boolean;
  waitLock?: boolean;
  shard?: { index: number; count: number } | undefined;
  /** `--apply-plan`: delete only these stacks (checked plan file). */
  plan?: PlanFile | undefined;
}

/**
 * `reap`: lock → load state → dashboard keeps → audit (memory from state) → record verdicts → execute
 * (dry-run or apply, decided in the executor) → ghosts → dashboard → save state. The lock is held
 * throughout, so runs never overlap.
 */
export async function reap(config: Config, deps: ReapDeps, options: ReapOptions): Promise<ReapResult> {
  const lock = await unavailable('lock', () =>
    deps.store.lock({ runId: options.runId }, { wait: options.waitLock === true }),
  );
  let result: ReapResult | undefined;
  try {
    const state = await unavailable('load', () => deps.store.load());
    const earlyErrors: RunError[] = [];
    const dashboardIssue = await readDashboardKeeps(config, deps, state, earlyErrors);
    const memory = memoryOf(state);
    const run = await audit(
      config,
      { ...deps, ...memory },
      { runId: options.runId, mode: writeGate(options.apply).mode, shard: options.shard },
    );
    run.errors.push(...earlyErrors);
    const onError = (e: RunError) => {
      run.errors.push(e);
    };
    const trend = recordVerdicts(state, run);
    // A state that cannot be written stops every deletion (each is recorded before it is made): the run
    // goes on to report, and says so.
    await saveOrReport(deps, state, onError);
    if (options.plan) checkPlanAccounts(run, options.plan);

    const auditLog = new JsonLinesLog(config.state.auditLog);
    const planned = options.plan
      ? new Map(options.plan.stacks.map((p) => [p.id, p.evidenceDigest]))
      : undefined;
    const outcomes = await execute(
      run,
      {
        ...deps.executorIo,
        logger: deps.logger,
        auditLog,
        state,
        saveState: () => deps.store.save(state),
        recheck: recheckWith(config, deps, memory),
        targetOf: targetResolver(config, deps),
        reaches: (account) => reachable(config, deps)(account, run),
        onError,
        ...(deps.progress
          ? { progress: (p: DeleteProgress) => deps.progress?.({ phase: 'delete', ...p }) }
          : {}),
      },
      {
        apply: options.apply,
        runId: options.runId,
        concurrency: config.limits.concurrency,
        deleteTimeoutMs: config.limits.deleteTimeout,
        teardown: config.policy.teardown,
        teardownProjects: config.policy.teardownProjects,
        stopJobTimeoutMs: config.limits.stopJobTimeout,
        onDeleteFailed: config.policy.onDeleteFailed,
        // Emptying destroys data like a deletion: it shares the deletion brake with this run's plan.
        maxRepairs: Math.max(0, config.limits.maxDeletionsPerRun - run.plan.due),
        deleteEnvironments: config.policy.deleteEnvironments,
        mergeRequestNotes: config.notify.mergeRequestNotes,
        mergeRequestNotices: config.notify.warnBeforeDelete,
        keepLabels: config.policy.protect.mrLabels,
        unusedWindowDays: Math.round(config.usage.window / 86_400_000),
        poll: POLL_BOUNDS,
        ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
        ...(planned ? { planned } : {}),
      },
    );
    if (options.plan) cancelNoLongerDue(run, options.plan, outcomes);
    const gitlabSide = { gitlab: deps.executorIo.gitlab, logger: deps.logger, auditLog, onError };
    const ghostsStopped = await stopGhostEnvironments(run, gitlabSide, {
      apply: options.apply,
      runId: options.runId,
      enabled: config.policy.stopGhostEnvironments,
    });
    if (config.leftovers.enabled && deps.leftovers)
      run.leftovers = await findLeftovers(
        config,
        {
          leftovers: deps.leftovers,
          logger: deps.logger,
          targetOf: targetResolver(config, deps),
          reaches: reachable(config, deps),
          onError,
          ...(deps.cost ? { cost: deps.cost } : {}),
        },
        state,
        run,
      );
    if (run.leftovers)
      await reapLeftoverStep(
        config,
        {
          aws: deps.executorIo.aws,
          gitlab: deps.gitlab,
          logger: deps.logger,
          auditLog,
          state,
          saveState: () => deps.store.save(state),
          targetOf: targetResolver(config, deps),
          onError,
          ...(deps.progress
            ? {
                progress: (p: { removed: number }) =>
                  deps.progress?.({ phase: 'empty', done: p.removed, total: p.removed }),
              }
            : {}),
        },
        state,
        run,
        {
          apply: options.apply,
          runId: options.runId,
          now: deps.now(),
          ...(options.plan ? { only: new Set((options.plan.leftovers ?? []).map((l) => l.arn)) } : {}),
          ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
        },
      );
    const dash = config.notify.dashboard;
    if (dash.project !== undefined && dashboardIssue !== 'unreadable') {
      const report = buildReport(run, deps.stats.snapshot(), outcomes, trend, ghostsStopped);
      await updateDashboard(gitlabSide, {
        apply: options.apply,
        runId: options.runId,
        project: dash.project,
        title: dash.title,
        label: dash.label,
        existing: dashboardIssue?.iid,
        body: dashboardBody(config, state, report, run.now),
      });
    }
    state.lastRun = lastRunOf(run, outcomes);
    await saveOrReport(deps, state, onError);
    result = { run, outcomes, trend, ghostsStopped };
    return result;
  } finally {
    try {
      await lock.release();
    } catch (error) {
      // An unreleased lock expires after state.lockTtl; the next run says who holds it meanwhile.
      deps.logger.error({ err: error }, 'the state lock could not be released');
      result?.run.errors.push(
        runErrorOf(error, { what: 'state lock release', stacks: [], effect: 'not-done' }),
      );
    }
  }
}

/** Saves state; a failure is an error of the run, not the end of it. */
async function saveOrReport(deps: ReapDeps, state: State, onError: (e: RunError) => void): Promise<void> {
  try {
    await deps.store.save(state);
  } catch (error) {
    deps.logger.error({ err: error }, 'state could not be saved');
    onError(runErrorOf(error, { what: 'state save', stacks: [], effect: 'not-done' }));
  }
}

/**
 * A state that cannot be locked or read ends the run before anything is read or written: without the
 * clocks and unfinished deletions it holds, no deletion is safe. A typed error (exit 1) naming the call.
 */
async function unavailable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (
      error instanceof LockHeldError ||
      error instanceof StateCorruptError ||
      error instanceof FormatTooNewError
    )
      throw error;
    const f = describeFailure(error);
    throw new ExternalServiceError(
      f.service ?? 'state',
      'STATE_UNAVAILABLE',
      `state ${what} failed (${f.operation ?? 'call'}: ${failureWord(f)}): ${f.message}; nothing was read or deleted`,
      { cause: error },
    );
  }
}
