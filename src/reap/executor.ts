import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { AccountTarget } from '../aws/collector.js';
import type { AwsWriter, FailedResource } from '../aws/writer.js';
import { mergeRequestFor } from '../core/match.js';
import type { Reason, StackFacts, Verdict } from '../core/model.js';
import type { PlanStatus } from '../core/plan.js';
import type { GitLabWriter } from '../gitlab/writer.js';
import type { Logger } from '../log/logger.js';
import type { ExecutionOutcome } from '../report/json-report.js';
import type { EnvironmentRecord, RunResult } from '../run/audit.js';
import type { JsonLinesLog } from '../state/file-store.js';
import type { DeletionRecord, State } from '../state/state.js';
import { deletedNoteBody, noteMarker, noticeBody, noticeMarker } from './notes.js';
import { evidenceDigest } from './plan-file.js';

/**
 * The executor: the only code that writes to AWS or GitLab (docs/design.md §5), and the only place that knows
 * about dry-run. It takes a plan that already passed both brakes, and for each due stack:
 * account guard → re-read the stack by id → re-verify the GitLab evidence → export/import check
 * (importers first) → DeleteStack with a run-derived token → its own polling until a final status →
 * the GitLab side (stop the environment, note on the MR). Every write is recorded in state before it is
 * made and in the audit log after, so a run killed at any point can be run again and converge.
 */

/** What re-verification found for one stack right before its deletion. */
export interface Recheck {
  verdict: Verdict;
  status: PlanStatus;
  reasons: Reason[];
}

/** Dependencies of the executor; tests pass fakes. */
export interface ExecutorDeps {
  aws: AwsWriter;
  gitlab: GitLabWriter;
  logger: Logger;
  auditLog: JsonLinesLog;
  state: State;
  /** Persists `state` (serialised by the executor). */
  saveState: () => Promise<void>;
  /** Re-reads the GitLab evidence for one stack and classifies it again. */
  recheck: (record: EnvironmentRecord, fresh: StackFacts) => Promise<Recheck>;
  /** The configured target (credentials) of an account. */
  targetOf: (account: string) => AccountTarget;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Options of one execution. */
export interface ExecutorOptions {
  apply: boolean;
  runId: string;
  concurrency: number;
  deleteTimeoutMs: number;
  onDeleteFailed: 'report' | 'retain' | 'force';
  deleteEnvironments: boolean;
  mergeRequestNotes: boolean;
  /** Advance notices on the MR for stacks that will be deleted later. */
  mergeRequestNotices?: boolean;
  /** The keep labels, for the notice text. */
  keepLabels?: string[];
  /** Polling bounds (ms); tests shorten them. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Checked before each write: a stopping daemon lets operations in flight finish but starts none. */
  shouldStop?: () => boolean;
  /**
   * `reap --apply-plan`: only these stacks may be deleted (stack id → evidence digest at plan time); a
   * stack whose evidence changed since is cancelled with `EVIDENCE_CHANGED`.
   */
  planned?: Map<string, string>;
}

/** A run-derived ClientRequestToken: `[a-zA-Z0-9][-a-zA-Z0-9]*`, ≤ 128 chars, one per run and stack. */
export function requestToken(runId: string, stackId: string, suffix = ''): string {
  const h = createHash('sha256').update(stackId).digest('hex').slice(0, 16);
  return `env-reaper-${runId.replace(/[^a-zA-Z0-9-]/g, '-')}-${h}${suffix}`.slice(0, 128);
}

/** Everything the per-stack steps share within one execution. */
interface Ctx {
  deps: ExecutorDeps;
  options: ExecutorOptions;
  save: () => Promise<void>;
  audit: (entry: Record<string, unknown>) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

interface StackTask {
  record: EnvironmentRecord;
  importers: string[];
}

/** Terminal statuses of a deletion as seen by polling. */
type PollResult =
  | { kind: 'deleted' }
  | { kind: 'failed'; status: string; reason?: string }
  | { kind: 'rolled-back'; status: string; reason?: string }
  | { kind: 'timeout'; status: string };

/** Executes the deletions of a run (or, without `apply`, says what it would do). */
export async function execute(
  run: RunResult,
  deps: ExecutorDeps,
  options: ExecutorOptions,
): Promise<Map<string, ExecutionOutcome>> {
  const outcomes = new Map<string, ExecutionOutcome>();
  const log = deps.logger;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? (() => Date.now());
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
      if (env && env.state !== 'stopped')
        log.info({ environment: env.name }, 'DRY-RUN: would stop environment');
      if (options.mergeRequestNotes && mrOf(e) !== undefined)
        log.info({ mrIid: mrOf(e) }, 'DRY-RUN: would note the merge request');
    }
    return outcomes;
  }

  // Saves are serialised: tasks run concurrently, the file is written whole.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(deps.saveState, deps.saveState);
    return saving;
  };
  const audit = (entry: Record<string, unknown>) => deps.auditLog.append({ runId: options.runId, ...entry });
  const ctx: Ctx = { deps, options, save, audit, sleep, now };

  await resumeUnfinished(run, ctx, outcomes);
  for (const e of waiting) await postNotice(e, ctx);

  // Account guard: the credentials must still belong to the account before anything is written there.
  const accounts = [...new Set(due.map((e) => e.stack.account))];
  const refused = new Set<string>();
  for (const account of accounts) {
    try {
      const actual = await deps.aws.callerAccount(deps.targetOf(account));
      if (actual !== account) refused.add(account);
    } catch (error) {
      log.error({ account, err: (error as Error).message }, 'account guard could not confirm the account');
      refused.add(account);
    }
  }

  // Export/import dependencies: importers go first; an importer that is not being deleted blocks.
  const tasks = new Map<string, StackTask>();
  const byName = new Map<string, EnvironmentRecord>();
  for (const e of due) byName.set(`${e.stack.account}/${e.stack.region}/${e.stack.name}`, e);
  const regions = [
    ...new Set(
      due.filter((e) => !refused.has(e.stack.account)).map((e) => `${e.stack.account}/${e.stack.region}`),
    ),
  ];
  const blocked = new Map<string, string>();
  for (const key of regions) {
    const [account, region] = key.split('/') as [string, string];
    const target = deps.targetOf(account);
    try {
      const exports = await deps.aws.listExports(target, region);
      for (const e of due.filter((x) => x.stack.account === account && x.stack.region === region)) {
        const importers: string[] = [];
        for (const ex of exports.filter((x) => x.exportingStackId === e.stack.stackId)) {
          for (const importer of await deps.aws.listImports(target, region, ex.name)) {
            const dep = byName.get(`${account}/${region}/${importer}`);
            if (dep) importers.push(dep.stack.stackId);
            else
              blocked.set(
                e.stack.stackId,
                `export ${ex.name} is imported by ${importer}, which is not being deleted`,
              );
          }
        }
        tasks.set(e.stack.stackId, { record: e, importers });
      }
    } catch (error) {
      for (const e of due.filter((x) => x.stack.account === account && x.stack.region === region)) {
        blocked.set(e.stack.stackId, `exports could not be checked: ${(error as Error).message}`);
        tasks.set(e.stack.stackId, { record: e, importers: [] });
      }
    }
  }

  const limit = pLimit(options.concurrency);
  const done = new Map<string, Promise<ExecutionOutcome>>();
  const runTask = (stackId: string): Promise<ExecutionOutcome> => {
    const existing = done.get(stackId);
    if (existing) return existing;
    const task = tasks.get(stackId);
    const promise = (async (): Promise<ExecutionOutcome> => {
      if (!task)
        return {
          result: 'cancelled',
          error: { code: 'ACCOUNT_MISMATCH', message: 'credentials do not belong to the stack account' },
        };
      // Importers first; if one of them is not deleted, neither is this exporter.
      const deps2 = await Promise.all(task.importers.map(runTask));
      if (deps2.some((o) => o.result !== 'deleted')) {
        return {
          result: 'cancelled',
          error: { code: 'EXPORT_IN_USE', message: 'an importing stack was not deleted' },
        };
      }
      const why = blocked.get(stackId);
      if (why) return { result: 'cancelled', error: { code: 'EXPORT_IN_USE', message: why } };
      return limit(() => deleteOne(task.record, ctx));
    })().catch((error: unknown) => ({
      result: 'failed' as const,
      error: { code: 'EXECUTOR_ERROR', message: (error as Error).message },
    }));
    done.set(stackId, promise);
    return promise;
  };
  for (const e of due) {
    if (refused.has(e.stack.account)) {
      outcomes.set(e.stack.stackId, {
        result: 'cancelled',
        error: {
          code: 'ACCOUNT_MISMATCH',
          message: `credentials no longer belong to account ${e.stack.account}`,
        },
      });
    }
  }
  const pending = due.filter((e) => !refused.has(e.stack.account));
  const results = await Promise.all(pending.map((e) => runTask(e.stack.stackId)));
  for (const [i, e] of pending.entries()) outcomes.set(e.stack.stackId, results[i] as ExecutionOutcome);
  await save();
  return outcomes;
}

function mrOf(e: EnvironmentRecord): number | undefined {
  return mergeRequestFor(e.owner, e.evidence);
}

function changed(before: StackFacts, after: StackFacts): string | undefined {
  if (after.status !== before.status) return `status is now ${after.status}`;
  if ((after.updatedAt ?? '') !== (before.updatedAt ?? '')) return `stack was updated at ${after.updatedAt}`;
  if (after.terminationProtection && !before.terminationProtection)
    return 'termination protection was enabled';
  if (JSON.stringify(after.tags) !== JSON.stringify(before.tags)) return 'stack tags changed';
  return undefined;
}

async function poll(ctx: Ctx, target: AccountTarget, region: string, stackId: string): Promise<PollResult> {
  const { deps, options, sleep, now } = ctx;
  const deadline = now() + options.deleteTimeoutMs;
  let wait = options.pollMinMs ?? 500;
  let last = 'DELETE_IN_PROGRESS';
  for (;;) {
    const s = await deps.aws.describeStack(target, region, stackId);
    // By id, AWS keeps answering for deleted stacks; `null` means it no longer knows the stack at all.
    if (!s || s.status === 'DELETE_COMPLETE') return { kind: 'deleted' };
    last = s.status;
    if (s.status === 'DELETE_FAILED')
      return { kind: 'failed', status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) };
    // Back to a stable status: CloudFormation refused (exports still imported). The SDK waiter hangs here.
    if (!s.status.endsWith('_IN_PROGRESS')) {
      return { kind: 'rolled-back', status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) };
    }
    if (now() + wait > deadline) return { kind: 'timeout', status: last };
    await sleep(wait);
    wait = Math.min(options.pollMaxMs ?? 15_000, Math.ceil(wait * 1.5));
  }
}

async function deleteOne(record: EnvironmentRecord, ctx: Ctx): Promise<ExecutionOutcome> {
  const { deps, options, save, audit, now } = ctx;
  const { stack } = record;
  const log = deps.logger.child({ stack: stack.name, stackId: stack.stackId });
  const target = deps.targetOf(stack.account);
  if (options.shouldStop?.())
    return { result: 'skipped', error: { code: 'STOPPING', message: 'shutting down: not started' } };
  const plannedDigest = options.planned?.get(stack.stackId);
  if (options.planned && plannedDigest === undefined)
    return {
      result: 'skipped',
      error: { code: 'NOT_IN_PLAN', message: 'due now, but not in the applied plan' },
    };
  // A deletion called off before any write: audit-logged, reported as cancelled with its code.
  const cancel = async (
    code: 'STACK_CHANGED' | 'EVIDENCE_CHANGED',
    message: string,
  ): Promise<ExecutionOutcome> => {
    log.warn({ code, detail: message }, 'deletion cancelled');
    await audit({ event: 'delete-cancelled', stackId: stack.stackId, code, detail: message });
    return { result: 'cancelled', error: { code, message } };
  };
  if (plannedDigest !== undefined && plannedDigest !== evidenceDigest(record)) {
    const codes = record.classification.reasons.map((r) => r.code).join(', ');
    return cancel(
      'EVIDENCE_CHANGED',
      `evidence differs from the plan: now ${record.classification.verdict} (${codes})`,
    );
  }

  // Re-read the stack by id, right before deleting.
  const fresh = await deps.aws.describeStack(target, stack.region, stack.stackId);
  if (!fresh || fresh.status === 'DELETE_COMPLETE') {
    return { result: 'skipped', error: { code: 'ALREADY_GONE', message: 'the stack no longer exists' } };
  }
  const diff = changed(stack, fresh);
  if (diff) return cancel('STACK_CHANGED', diff);
  // Re-verify the GitLab evidence: any change of answer cancels this deletion.
  const again = await deps.recheck(record, fresh);
  if (again.verdict !== record.classification.verdict || again.status !== 'due')
    return cancel(
      'EVIDENCE_CHANGED',
      `now ${again.verdict} (${again.status}): ${again.reasons.map((r) => r.code).join(', ')}`,
    );
  if (options.shouldStop?.())
    return { result: 'skipped', error: { code: 'STOPPING', message: 'shutting down: not started' } };

  const env = record.evidence.environment?.ok ? record.evidence.environment.value : null;
  const mrIid = mrOf(record);
  const previous = deps.state.stacks[stack.stackId];
  const token = requestToken(options.runId, stack.stackId);
  const deletion: DeletionRecord = {
    status: 'started',
    runId: options.runId,
    token,
    attempts: (previous?.deletion?.attempts ?? 0) + 1,
    startedAt: new Date(now()).toISOString(),
    account: stack.account,
    region: stack.region,
    name: stack.name,
    verdict: record.classification.verdict,
    reasons: record.classification.reasons,
    ...(record.owner.projectId !== undefined || record.evidence.project?.ok
      ? {
          projectId: record.evidence.project?.ok ? record.evidence.project.value?.id : record.owner.projectId,
        }
      : {}),
    ...(env && env.state !== 'stopped' ? { environmentId: env.id } : {}),
    ...(mrIid !== undefined ? { mrIid } : {}),
  };
  // Keep everything else this stack's state holds (clocks, notices, trend); only the deletion is new.
  deps.state.stacks[stack.stackId] = {
    ...previous,
    name: stack.name,
    firstSeen: previous?.firstSeen ?? {},
    lastSeen: new Date(now()).toISOString(),
    deletion,
  };
  // Recorded before the write: a run killed after DeleteStack still knows what to finish.
  await save();
  const evidence = { verdict: deletion.verdict, reasons: deletion.reasons };
  await audit({ event: 'delete-attempt', stackId: stack.stackId, name: stack.name, token, evidence });
  log.info({ token }, 'deleting stack');
  try {
    await deps.aws.deleteStack(target, stack.region, stack.stackId, { token });
  } catch (error) {
    const e = error as { name?: string; message?: string };
    return finish(ctx, deletion, stack, 'failed', {
      code: e.name ?? 'DELETE_ERROR',
      message: e.message ?? '',
    });
  }
  let result = await poll(ctx, target, stack.region, stack.stackId);

  if (result.kind === 'failed' && options.onDeleteFailed !== 'report') {
    const failed = await deps.aws
      .failedResources(target, stack.region, stack.stackId)
      .catch(() => [] as FailedResource[]);
    const retry =
      options.onDeleteFailed === 'retain'
        ? { retainResources: failed.map((f) => f.logicalId) }
        : { force: true };
    const retryToken = requestToken(options.runId, stack.stackId, '-retry');
    await audit({
      event: 'delete-attempt',
      stackId: stack.stackId,
      name: stack.name,
      token: retryToken,
      mode: options.onDeleteFailed,
      failed,
    });
    log.warn({ failed, mode: options.onDeleteFailed }, 'DELETE_FAILED: retrying');
    deletion.attempts++;
    await deps.aws.deleteStack(target, stack.region, stack.stackId, { token: retryToken, ...retry });
    result = await poll(ctx, target, stack.region, stack.stackId);
  }
  if (result.kind === 'deleted') {
    const out = await finish(ctx, deletion, stack, 'deleted');
    await gitlabSide(ctx, stack.stackId, deletion, log);
    return out;
  }
  if (result.kind === 'failed') {
    const failed = await deps.aws
      .failedResources(target, stack.region, stack.stackId)
      .catch(() => [] as FailedResource[]);
    const detail =
      failed.map((f) => `${f.logicalId} (${f.type}): ${f.reason}`).join('; ') ||
      result.reason ||
      'DELETE_FAILED';
    return finish(ctx, deletion, stack, 'failed', { code: 'DELETE_FAILED', message: detail });
  }
  if (result.kind === 'rolled-back') {
    const inUse = /in use by/i.test(result.reason ?? '');
    const error = {
      code: inUse ? 'EXPORT_IN_USE' : 'DELETE_ROLLED_BACK',
      message: result.reason ?? `back to ${result.status}`,
    };
    return finish(ctx, deletion, stack, 'failed', error);
  }
  return finish(ctx, deletion, stack, 'failed', {
    code: 'DELETE_TIMEOUT',
    message: `still ${result.status} after ${Math.round(options.deleteTimeoutMs / 1000)} s`,
  });
}

async function finish(
  ctx: Ctx,
  deletion: DeletionRecord,
  stack: { stackId: string; name: string },
  result: 'deleted' | 'failed',
  error?: { code: string; message: string },
): Promise<ExecutionOutcome> {
  const { deps, save, audit, now } = ctx;
  deletion.status = result;
  deletion.finishedAt = new Date(now()).toISOString();
  if (error) deletion.error = error;
  await save();
  await audit({
    event: result === 'deleted' ? 'delete-complete' : 'delete-failed',
    stackId: stack.stackId,
    name: stack.name,
    ...(error ? { error } : {}),
  });
  const level = result === 'deleted' ? 'info' : 'error';
  deps.logger[level](
    { stack: stack.name, stackId: stack.stackId, ...(error ? { error } : {}) },
    result === 'deleted' ? 'stack deleted' : 'stack deletion failed',
  );
  return error ? { result, error } : { result };
}

/** After DELETE_COMPLETE: stop (and maybe delete) the environment, note the MR. Each step idempotent. */
async function gitlabSide(ctx: Ctx, stackId: string, d: DeletionRecord, log: Logger): Promise<void> {
  const { deps, options, save, audit } = ctx;
  if (d.projectId === undefined) return;
  const pid = d.projectId;
  try {
    if (d.environmentId !== undefined && !d.environmentStopped) {
      const state = await deps.gitlab.stopEnvironment(pid, d.environmentId);
      d.environmentStopped = true;
      await save();
      await audit({
        event: 'environment-stopped',
        stackId,
        projectId: pid,
        environmentId: d.environmentId,
        state,
      });
    }
    if (d.environmentId !== undefined && options.deleteEnvironments && !d.environmentDeleted) {
      await deps.gitlab.deleteEnvironment(pid, d.environmentId);
      d.environmentDeleted = true;
      await save();
      await audit({ event: 'environment-deleted', stackId, projectId: pid, environmentId: d.environmentId });
    }
    if (options.mergeRequestNotes && d.mrIid !== undefined && !d.notePosted) {
      // GitLab is the source of truth: a note posted by a run killed before it saved state is found here.
      const bodies = await deps.gitlab.mergeRequestNoteBodies(pid, d.mrIid);
      if (!bodies.some((b) => b.includes(noteMarker(stackId)))) {
        await deps.gitlab.createMergeRequestNote(
          pid,
          d.mrIid,
          deletedNoteBody(
            { stackId, name: d.name, account: d.account, region: d.region },
            d.verdict,
            d.reasons,
            d.runId,
          ),
        );
        await audit({ event: 'mr-note-posted', stackId, projectId: pid, mrIid: d.mrIid });
      }
      d.notePosted = true;
      await save();
    }
  } catch (error) {
    // The stack is gone either way; the next run finishes what is missing here.
    log.warn(
      { err: (error as Error).message },
      'GitLab follow-up after deletion failed; the next run retries it',
    );
    await audit({ event: 'gitlab-followup-failed', stackId, error: (error as Error).message });
  }
}

/** One advance notice on the MR of a stack that will be deleted later; idempotent through its marker. */
async function postNotice(e: EnvironmentRecord, ctx: Ctx): Promise<void> {
  const { deps, options, save, audit } = ctx;
  const pid = e.evidence.project?.ok ? e.evidence.project.value?.id : e.owner.projectId;
  const mrIid = mrOf(e);
  if (pid === undefined || mrIid === undefined) return;
  const verdict = e.classification.verdict;
  try {
    const bodies = await deps.gitlab.mergeRequestNoteBodies(pid, mrIid);
    if (!bodies.some((b) => b.includes(noticeMarker(e.stack.stackId, verdict)))) {
      const body = noticeBody(
        e.stack,
        verdict,
        e.classification.reasons,
        e.plan.deleteAfter,
        options.keepLabels ?? ['env-reaper::keep'],
      );
      await deps.gitlab.createMergeRequestNote(pid, mrIid, body);
      await audit({
        event: 'mr-notice-posted',
        stackId: e.stack.stackId,
        projectId: pid,
        mrIid,
        verdict,
        deleteAfter: e.plan.deleteAfter,
      });
    }
    const s = deps.state.stacks[e.stack.stackId];
    if (s) {
      s.notices = { ...s.notices, [verdict]: { at: new Date(ctx.now()).toISOString(), mrIid } };
      await save();
    }
  } catch (error) {
    deps.logger.warn(
      { stack: e.stack.name, err: (error as Error).message },
      'advance notice failed; the next run retries it',
    );
  }
}

/**
 * Finishes deletions a killed run left `started`: polls them to a final status and completes the GitLab
 * side, so nothing is lost and nothing is done twice.
 */
async function resumeUnfinished(
  run: RunResult,
  ctx: Ctx,
  outcomes: Map<string, ExecutionOutcome>,
): Promise<void> {
  const { deps, options } = ctx;
  const due = new Set(run.environments.filter((e) => e.plan.status === 'due').map((e) => e.stack.stackId));
  for (const [stackId, s] of Object.entries(deps.state.stacks)) {
    const d = s.deletion;
    const followUpMissing =
      d?.status === 'deleted' &&
      ((d.environmentId !== undefined && !d.environmentStopped) ||
        (options.mergeRequestNotes && d.mrIid !== undefined && !d.notePosted));
    if (!d || due.has(stackId) || (d.status !== 'started' && !followUpMissing)) continue;
    const log = deps.logger.child({ stack: d.name, stackId });
    if (d.status === 'started') {
      log.info({ runId: d.runId }, 'resuming a deletion an earlier run did not finish');
      let result: PollResult;
      try {
        result = await poll(ctx, ctx.deps.targetOf(d.account), d.region, stackId);
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'could not resume deletion');
        continue;
      }
      const error =
        result.kind === 'deleted'
          ? undefined
          : {
              code:
                result.kind === 'rolled-back'
                  ? 'DELETE_ROLLED_BACK'
                  : result.kind === 'failed'
                    ? 'DELETE_FAILED'
                    : 'DELETE_TIMEOUT',
              message: result.status,
            };
      const out = await finish(ctx, d, { stackId, name: d.name }, error ? 'failed' : 'deleted', error);
      if (run.environments.some((e) => e.stack.stackId === stackId)) outcomes.set(stackId, out);
    }
    if (d.status === 'deleted') await gitlabSide(ctx, stackId, d, log);
  }
}

/**
 * Stops ghost environments (available in `review/`, stack gone) when the policy says so. Lives here
 * because it writes: dry-run only logs. Returns how many were stopped.
 */
export async function stopGhostEnvironments(
  run: RunResult,
  deps: Pick<ExecutorDeps, 'gitlab' | 'logger' | 'auditLog'>,
  options: { apply: boolean; runId: string; enabled: boolean },
): Promise<number> {
  const ghosts = run.environmentFindings?.ghosts ?? [];
  if (!options.enabled || ghosts.length === 0) return 0;
  let stopped = 0;
  for (const g of ghosts) {
    if (!options.apply) {
      deps.logger.info(
        { project: g.projectPath, environment: g.name },
        'DRY-RUN: would stop ghost environment',
      );
      continue;
    }
    try {
      const state = await deps.gitlab.stopEnvironment(g.projectId, g.id);
      stopped++;
      await deps.auditLog.append({
        runId: options.runId,
        event: 'ghost-environment-stopped',
        projectId: g.projectId,
        environmentId: g.id,
        name: g.name,
        state,
      });
    } catch (error) {
      deps.logger.warn(
        { environment: g.name, err: (error as Error).message },
        'could not stop ghost environment',
      );
    }
  }
  return stopped;
}

/** Creates or edits the dashboard issue in place (dry-run: only says it would). */
export async function updateDashboard(
  deps: Pick<ExecutorDeps, 'gitlab' | 'logger' | 'auditLog'>,
  options: {
    apply: boolean;
    runId: string;
    project: string | number;
    title: string;
    label: string;
    existing: number | undefined;
    body: string;
  },
): Promise<void> {
  if (!options.apply) {
    deps.logger.info(
      { project: options.project, issue: options.existing },
      'DRY-RUN: would update the dashboard issue',
    );
    return;
  }
  try {
    if (options.existing !== undefined)
      await deps.gitlab.updateIssue(options.project, options.existing, options.body);
    else await deps.gitlab.createIssue(options.project, options.title, options.body, options.label);
    await deps.auditLog.append({
      runId: options.runId,
      event: 'dashboard-updated',
      project: options.project,
      issue: options.existing ?? 'new',
    });
  } catch (error) {
    deps.logger.warn(
      { err: (error as Error).message },
      'dashboard issue update failed; the next run retries it',
    );
  }
}
