import type { AccountTarget } from '../aws/collector.js';
import type { AwsWriter } from '../aws/writer.js';
import { policyFromConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { classify } from '../core/classify.js';
import { parseDuration } from '../core/duration.js';
import type { Verdict } from '../core/model.js';
import { type PlanInput, plan } from '../core/plan.js';
import { UsageError } from '../errors/errors.js';
import { collectGitLab } from '../gitlab/collector.js';
import type { GitLabWriter } from '../gitlab/writer.js';
import { execute, type Recheck, stopGhostEnvironments, updateDashboard } from '../reap/executor.js';
import type { PlanFile } from '../reap/plan-file.js';
import { parseKeepBoxes, renderDashboard } from '../report/dashboard.js';
import type { ExecutionOutcome } from '../report/json-report.js';
import { buildReport } from '../report/json-report.js';
import { JsonLinesLog } from '../state/file-store.js';
import { STATE_RETENTION_MS, type State, type StateStore } from '../state/state.js';
import { audit, type RunDeps, type RunResult, targetsOf } from './audit.js';

/** What `reap` needs beyond an audit. */
export interface ReapDeps extends RunDeps {
  awsWriter: AwsWriter;
  gitlabWriter: GitLabWriter;
  store: StateStore;
  shouldStop?: () => boolean;
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
  for (const list of [trend.new, trend.resolved]) list.sort();
  trend.stillFlagged.sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name));
  return trend;
}

/**
 * `reap`: lock → load state → audit (grace clocks from state) → record verdicts → execute (dry-run
 * or apply, decided in the executor) → save state. The lock is held throughout, so runs never overlap.
 */
export async function reap(
  config: Config,
  deps: ReapDeps,
  options: {
    runId: string;
    apply: boolean;
    waitLock?: boolean;
    shard?: { index: number; count: number } | undefined;
    /** `--apply-plan`: delete only these stacks (checked plan file). */
    plan?: PlanFile | undefined;
  },
): Promise<ReapResult> {
  const lock = await deps.store.lock({ runId: options.runId }, { wait: options.waitLock === true });
  try {
    const state = await deps.store.load();
    // The grace clocks as they stood before this run: the plan and every re-check must read the same ones.
    const clocks = structuredClone(
      Object.fromEntries(Object.entries(state.stacks).map(([id, s]) => [id, s.firstSeen])),
    );
    const firstSeen = (stackId: string) => clocks[stackId] as Partial<Record<Verdict, string>> | undefined;
    const notices = structuredClone(
      Object.fromEntries(Object.entries(state.stacks).map(([id, s]) => [id, s.notices ?? {}])),
    );
    const noticePostedAt = (stackId: string, verdict: Verdict) => notices[stackId]?.[verdict]?.at;
    // Dashboard first: a box ticked since the last run keeps its stack in this very run.
    const dash = config.notify.dashboard;
    let dashboardIssue: { iid: number; description: string } | null = null;
    if (dash.project !== undefined) {
      try {
        dashboardIssue = await deps.gitlabWriter.findIssue(dash.project, dash.label);
      } catch (error) {
        deps.logger.warn(
          { err: (error as Error).message },
          'dashboard issue could not be read; keeps from it are not renewed this run',
        );
      }
      const startedAt = deps.now();
      for (const [id, ticked] of parseKeepBoxes(dashboardIssue?.description ?? '')) {
        const st = state.stacks[id];
        if (!st) continue;
        if (ticked && !st.keptUntil)
          st.keptUntil = new Date(startedAt + dash.keepDays * 86_400_000).toISOString();
        if (!ticked) delete st.keptUntil;
      }
      for (const st of Object.values(state.stacks))
        if (st.keptUntil && Date.parse(st.keptUntil) <= startedAt) delete st.keptUntil;
    }
    const keptUntil = (stackId: string) => state.stacks[stackId]?.keptUntil;
    const run = await audit(
      config,
      { ...deps, firstSeen, noticePostedAt, keptUntil },
      { runId: options.runId, mode: options.apply ? 'apply' : 'dry-run', shard: options.shard },
    );
    const trend = recordVerdicts(state, run);
    await deps.store.save(state);

    const policy = policyFromConfig(config);
    const targets = targetsOf(config, deps.env);
    const targetOf = (account: string): AccountTarget =>
      targets.find((t) => t.id === account) ??
      targets.find((t) => t.id === undefined) ?? { id: account, regions: [] };
    const recheck = async (
      record: RunResult['environments'][number],
      fresh: RunResult['environments'][number]['stack'],
    ): Promise<Recheck> => {
      const gitlab = await collectGitLab(
        [{ stackId: record.stack.stackId, owner: record.owner }],
        deps.gitlab,
        {
          projectConcurrency: 1,
          logger: deps.logger,
        },
      );
      const now = deps.now();
      const kept = keptUntil(record.stack.stackId);
      const snapshot = {
        stack: fresh,
        owner: record.owner,
        gitlab: gitlab.evidence.get(record.stack.stackId) ?? {},
        ...(kept ? { keptUntil: kept } : {}),
      };
      const seen = firstSeen(record.stack.stackId);
      const c = classify(seen ? { ...snapshot, firstSeen: seen } : snapshot, policy, now);
      // Brakes were judged on the whole plan; this only re-asks "is this one still due?".
      // The same notice window as the plan: deletion still waits for it.
      const input: PlanInput = { stack: fresh, classification: c };
      if (
        record.plan.waitingFor === 'notice' ||
        noticePostedAt(record.stack.stackId, c.verdict) !== undefined
      ) {
        const postedAt = noticePostedAt(record.stack.stackId, c.verdict);
        input.notice = postedAt !== undefined ? { postedAt } : {};
      }
      const item = plan([input], policy, { maxDeletionsPerRun: 1, maxDeletionPercent: 100 }, now).items[0];
      return { verdict: c.verdict, status: item?.status ?? 'keep', reasons: c.reasons };
    };
    const planned = options.plan
      ? new Map(options.plan.stacks.map((p) => [p.id, p.evidenceDigest]))
      : undefined;
    if (options.plan) {
      const now = [...new Set(run.scanned.map((x) => x.account))].sort();
      if (now.join(',') !== options.plan.accounts.join(','))
        throw new UsageError(
          `the plan was made for account(s) ${options.plan.accounts.join(', ')}, these credentials reach ${now.join(', ') || 'none'}; nothing done`,
        );
    }
    const outcomes = await execute(
      run,
      {
        aws: deps.awsWriter,
        gitlab: deps.gitlabWriter,
        logger: deps.logger,
        auditLog: new JsonLinesLog(config.state.auditLog),
        state,
        saveState: () => deps.store.save(state),
        recheck,
        targetOf,
      },
      {
        apply: options.apply,
        runId: options.runId,
        concurrency: config.limits.concurrency,
        deleteTimeoutMs: parseDuration(config.limits.deleteTimeout) ?? 1_800_000,
        onDeleteFailed: config.policy.onDeleteFailed,
        deleteEnvironments: config.policy.deleteEnvironments,
        mergeRequestNotes: config.notify.mergeRequestNotes,
        mergeRequestNotices: config.notify.mergeRequestNotices,
        keepLabels: config.policy.protect.mrLabels,
        ...(deps.shouldStop ? { shouldStop: deps.shouldStop } : {}),
        ...(planned ? { planned } : {}),
      },
    );
    // Planned stacks that are no longer due at all: the evidence changed (an MR reopened, a keep label…).
    for (const p of options.plan?.stacks ?? []) {
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
    const ghostsStopped = await stopGhostEnvironments(
      run,
      { gitlab: deps.gitlabWriter, logger: deps.logger, auditLog: new JsonLinesLog(config.state.auditLog) },
      { apply: options.apply, runId: options.runId, enabled: config.policy.stopGhostEnvironments },
    );
    if (dash.project !== undefined) {
      const kept = new Map(
        Object.entries(state.stacks)
          .filter(([, st]) => st.keptUntil !== undefined)
          .map(([id, st]) => [id, st.keptUntil as string]),
      );
      const weekAgo = run.now - 7 * 86_400_000;
      const recentlyDeleted = Object.values(state.stacks)
        .filter(
          (st) => st.deletion?.status === 'deleted' && Date.parse(st.deletion.finishedAt ?? '') >= weekAgo,
        )
        .map((st) => ({
          name: st.name,
          at: st.deletion?.finishedAt ?? '',
          verdict: st.deletion?.verdict ?? '',
        }))
        .sort((a, b) => b.at.localeCompare(a.at));
      const report = buildReport(run, deps.stats.snapshot(), outcomes, trend, ghostsStopped);
      await updateDashboard(
        { gitlab: deps.gitlabWriter, logger: deps.logger, auditLog: new JsonLinesLog(config.state.auditLog) },
        {
          apply: options.apply,
          runId: options.runId,
          project: dash.project,
          title: dash.title,
          label: dash.label,
          existing: dashboardIssue?.iid,
          body: renderDashboard(report, { keptUntil: kept, recentlyDeleted, keepDays: dash.keepDays }),
        },
      );
    }
    state.lastRun = {
      runId: run.runId,
      at: new Date(run.now).toISOString(),
      mode: run.mode,
      summary: {
        inScope: run.environments.length,
        due: run.plan.due,
        brake: run.plan.brake,
        deleted: [...outcomes.values()].filter((o) => o.result === 'deleted').length,
        failed: [...outcomes.values()].filter((o) => o.result === 'failed').length,
      },
    };
    await deps.store.save(state);
    return { run, outcomes, trend, ghostsStopped };
  } finally {
    await lock.release();
  }
}
