import { createHash } from 'node:crypto';
import type { AccountTarget, FailedResource } from '../aws/ports.js';
import { mergeRequestFor } from '../core/match.js';
import type { StackFacts } from '../core/model.js';
import type { EnvironmentRecord } from '../core/run-result.js';
import { stopJobEndOf, type Teardown } from '../core/teardown.js';
import { failureLine, failureWord } from '../errors/failure.js';
import type { Logger } from '../log/logger.js';
import type { DeletionRecord } from '../state/state.js';
import type { AuditEntry } from './audit-events.js';
import type { ExecutionContext } from './context.js';
import { gitlabFollowUp } from './gitlab-side.js';
import { followingStopJob } from './lifecycle.js';
import type { ExecutionCode, ExecutionError, ExecutionOutcome, PollResult, Repair } from './outcome.js';
import { pollError } from './outcome.js';
import { evidenceDigest } from './plan-file.js';
import { checkBeforeFallback, recheckBeforeWrite } from './recheck.js';
import { emptyForRetry } from './repair.js';
import { followStopJob, teardownOf } from './stop-job.js';

/**
 * One stack's deletion: last checks (stop requested, reviewed plan, re-read by id, re-verified
 * evidence) → the deletion recorded in state → DeleteStack with a run-derived token → polling to a
 * final status (one retry on DELETE_FAILED when `onDeleteFailed` says so) → the GitLab follow-up.
 */

/** A run-derived ClientRequestToken: `[a-zA-Z0-9][-a-zA-Z0-9]*`, ≤ 128 chars, one per run and stack. */
export function requestToken(runId: string, stackId: string, suffix = ''): string {
  const h = createHash('sha256').update(stackId).digest('hex').slice(0, 16);
  return `env-reaper-${runId.replace(/[^a-zA-Z0-9-]/g, '-')}-${h}${suffix}`.slice(0, 128);
}

/**
 * Polls a deletion to a final status with backoff, up to `deleteTimeoutMs`. Not the SDK waiter: it hangs
 * when CloudFormation goes back to a stable status instead of deleting.
 */
export async function poll(
  ctx: ExecutionContext,
  target: AccountTarget,
  region: string,
  stackId: string,
): Promise<PollResult> {
  const { deps, options, sleep, now } = ctx;
  const deadline = now() + options.deleteTimeoutMs;
  let wait = options.poll.minMs;
  let last = 'DELETE_IN_PROGRESS';
  for (;;) {
    const s = await deps.aws.describeStack(target, region, stackId);
    // By id, AWS keeps answering for deleted stacks; `null` means it no longer knows the stack at all.
    if (!s || s.status === 'DELETE_COMPLETE') return { kind: 'deleted' };
    last = s.status;
    const reason = s.statusReason ? { reason: s.statusReason } : {};
    if (s.status === 'DELETE_FAILED') return { kind: 'failed', status: s.status, ...reason };
    if (!s.status.endsWith('_IN_PROGRESS'))
      return {
        kind: 'rolled-back',
        status: s.status,
        ...reason,
        ...(s.statusCause ? { cause: s.statusCause } : {}),
      };
    if (now() + wait > deadline) return { kind: 'timeout', status: last };
    await sleep(wait);
    wait = Math.min(options.poll.maxMs, Math.ceil(wait * 1.5));
  }
}

/** Records the end of a deletion (state, audit log, log line) and returns its outcome. */
export async function finish(
  ctx: ExecutionContext,
  deletion: DeletionRecord,
  stack: { stackId: string; name: string },
  error?: ExecutionError,
): Promise<ExecutionOutcome> {
  const { deps, save, audit, now } = ctx;
  const result = error ? 'failed' : 'deleted';
  deletion.status = result;
  deletion.finishedAt = new Date(now()).toISOString();
  if (error) deletion.error = error;
  await save();
  await audit(
    error
      ? { event: 'delete-failed', stackId: stack.stackId, name: stack.name, error }
      : { event: 'delete-complete', stackId: stack.stackId, name: stack.name },
  );
  const fields = { stack: stack.name, stackId: stack.stackId, ...(error ? { error } : {}) };
  if (error) deps.logger.error(fields, 'stack deletion failed');
  else deps.logger.info(fields, 'stack deleted');
  return error ? { result, error } : { result };
}

const notStarted: ExecutionOutcome = {
  result: 'skipped',
  error: { code: 'STOPPING', message: 'shutting down: not started' },
};

/** The last checks before a write; an outcome when the deletion must not start. */
async function lastChecks(
  record: EnvironmentRecord,
  ctx: ExecutionContext,
  target: AccountTarget,
): Promise<ExecutionOutcome | StackFacts> {
  const { deps, options, audit } = ctx;
  const { stack } = record;
  // A deletion called off before any write: audit-logged, reported as cancelled with its code.
  const cancel = async (code: ExecutionCode, message: string): Promise<ExecutionOutcome> => {
    deps.logger.warn(
      { stack: stack.name, stackId: stack.stackId, code, detail: message },
      'deletion cancelled',
    );
    await audit({ event: 'delete-cancelled', stackId: stack.stackId, code, detail: message });
    return { result: 'cancelled', error: { code, message } };
  };
  if (options.shouldStop?.()) return notStarted;
  const plannedDigest = options.planned?.get(stack.stackId);
  if (options.planned && plannedDigest === undefined)
    return {
      result: 'skipped',
      error: { code: 'NOT_IN_PLAN', message: 'due now, but not in the applied plan' },
    };
  if (plannedDigest !== undefined && plannedDigest !== evidenceDigest(record)) {
    const codes = record.classification.reasons.map((r) => r.code).join(', ');
    return cancel(
      'EVIDENCE_CHANGED',
      `evidence differs from the plan: now ${record.classification.verdict} (${codes})`,
    );
  }
  const checked = await recheckBeforeWrite(ctx, record, target);
  if (checked === 'gone')
    return { result: 'skipped', error: { code: 'ALREADY_GONE', message: 'the stack no longer exists' } };
  if ('code' in checked) return cancel(checked.code, checked.message);
  const fresh = checked;
  if (options.shouldStop?.()) return notStarted;
  return fresh;
}

/** The deletion as recorded in state before DeleteStack, so a killed run knows what to finish. */
function deletionRecord(record: EnvironmentRecord, ctx: ExecutionContext): DeletionRecord {
  const { deps, options, now } = ctx;
  const { stack } = record;
  const env = record.evidence.environment?.ok ? record.evidence.environment.value : null;
  const mrIid = mergeRequestFor(record.owner, record.evidence);
  const previous = deps.state.stacks[stack.stackId];
  const projectId = record.evidence.project?.ok ? record.evidence.project.value?.id : record.owner.projectId;
  return {
    status: 'started',
    runId: options.runId,
    token: requestToken(options.runId, stack.stackId),
    attempts: (previous?.deletion?.attempts ?? 0) + 1,
    startedAt: new Date(now()).toISOString(),
    account: stack.account,
    region: stack.region,
    name: stack.name,
    tags: stack.tags,
    verdict: record.classification.verdict,
    reasons: record.classification.reasons,
    ...(record.owner.projectId !== undefined || record.evidence.project?.ok ? { projectId } : {}),
    ...(env && env.state !== 'stopped' ? { environmentId: env.id } : {}),
    ...(mrIid !== undefined ? { mrIid } : {}),
  };
}

/** Deletes one due stack (all checks, the teardown, polling, one optional retry, the GitLab follow-up). */
export async function deleteStack(
  record: EnvironmentRecord,
  ctx: ExecutionContext,
): Promise<ExecutionOutcome> {
  const { deps, options, save, audit, now } = ctx;
  const { stack } = record;
  const log = deps.logger.child({ stack: stack.name, stackId: stack.stackId });
  const target = deps.targetOf(stack.account);
  const checked = await lastChecks(record, ctx, target);
  if ('result' in checked) return checked;

  const deletion = deletionRecord(record, ctx);
  const mode = teardownOf(record, options);
  // Stopping an unused environment goes through its on_stop job or not at all: without an environment
  // to stop, nothing is written (the stack of an open MR is never given to DeleteStack).
  if (
    record.plan.action === 'stop' &&
    (deletion.environmentId === undefined || deletion.projectId === undefined)
  ) {
    const message =
      'no available GitLab environment to stop: no on_stop job can run, and a stop never calls DeleteStack';
    log.warn({ code: 'NO_STOP_ENVIRONMENT' }, 'stop cancelled');
    await audit({
      event: 'delete-cancelled',
      stackId: stack.stackId,
      code: 'NO_STOP_ENVIRONMENT',
      detail: message,
    });
    return { result: 'cancelled', error: { code: 'NO_STOP_ENVIRONMENT', message } };
  }
  // The GitLab way needs an environment to stop; without one the stack is deleted directly.
  if (mode !== 'delete-stack' && deletion.environmentId !== undefined && deletion.projectId !== undefined) {
    deletion.teardown = mode;
    deletion.stopRequestedAt = new Date(now()).toISOString();
  }
  const previous = deps.state.stacks[stack.stackId];
  // Keep everything else this stack's state holds (clocks, notices, trend); only the deletion is new.
  deps.state.stacks[stack.stackId] = {
    ...previous,
    name: stack.name,
    firstSeen: previous?.firstSeen ?? {},
    lastSeen: new Date(now()).toISOString(),
    deletion,
  };
  // Recorded before any write: a run killed after the stop or DeleteStack still knows what to finish.
  await save();
  const evidence = { verdict: deletion.verdict, reasons: deletion.reasons };
  await audit({
    event: 'delete-attempt',
    stackId: stack.stackId,
    name: stack.name,
    token: deletion.token,
    evidence,
    ...(deletion.teardown ? { teardown: deletion.teardown } : {}),
  });
  return tearDown(ctx, deletion, stack.stackId, target, log, record);
}

/**
 * From a recorded deletion to its end: the on_stop job first when the teardown says so (stopping the
 * environment once), DeleteStack when there is no job, it failed or took too long and the mode allows
 * it, polling, one optional retry, and the GitLab follow-up. A resumed deletion enters here too.
 */
export async function tearDown(
  ctx: ExecutionContext,
  d: DeletionRecord,
  stackId: string,
  target: AccountTarget,
  log: Logger,
  /** The stack as this run audited it: needed to re-check before a fallback DeleteStack. */
  record?: EnvironmentRecord,
): Promise<ExecutionOutcome> {
  const { deps, save, audit } = ctx;
  const stack = { stackId, name: d.name };
  const done = async (by: Teardown) => {
    const out = await finish(ctx, d, stack);
    await gitlabFollowUp(ctx, stackId, d, log);
    return { ...out, teardown: by, ...(d.fallback ? { fallback: d.fallback } : {}) };
  };
  if (followingStopJob(d) && d.projectId !== undefined && d.environmentId !== undefined) {
    if (!d.environmentStopped) {
      let state: string;
      try {
        state = await deps.gitlab.stopEnvironment(d.projectId, d.environmentId, { force: false });
      } catch (error) {
        state = 'error';
        ctx.fail(error, {
          what: 'environment stop (on_stop teardown)',
          stacks: [d.name],
          effect: d.teardown === 'stop-job' ? 'kept' : 'not-done',
          project: d.projectId,
        });
      }
      d.environmentStopped = state !== 'error';
      await save();
      await audit({ event: 'environment-stop-requested', stackId, environmentId: d.environmentId, state });
      // `stopped` at once: the environment has no stop action, so no job will run.
      if (state === 'stopped') d.fallback = 'NO_STOP_ACTION';
      if (state === 'error') d.fallback = 'STOP_JOB_FAILED';
    }
    // `stop-job` never calls DeleteStack: an environment that could not be stopped, or has no stop
    // action (no job will run), ends here as a failure, the stack left in place.
    if (d.fallback && d.teardown === 'stop-job') {
      const message =
        d.fallback === 'NO_STOP_ACTION'
          ? 'the environment has no stop action: no on_stop job tears the stack down, and stop-job never calls DeleteStack'
          : 'the environment could not be stopped, so no on_stop job runs; stop-job never calls DeleteStack';
      const out = await finish(ctx, d, stack, { code: 'STOP_JOB_FAILED', message });
      return { ...out, teardown: 'stop-job' };
    }
    if (!d.fallback) {
      log.info({ environmentId: d.environmentId }, 'following the on_stop job');
      let end: Awaited<ReturnType<typeof followStopJob>>;
      try {
        end = await followStopJob(ctx, target, d, stackId, log);
      } catch (error) {
        return { ...(await pollFailed(ctx, d, stackId, error)), teardown: 'stop-job' };
      }
      if (end.kind === 'deleted') return done('stop-job');
      if (end.kind === 'deleting') {
        let result: PollResult;
        try {
          result = await poll(ctx, target, d.region, stackId);
        } catch (error) {
          return { ...(await pollFailed(ctx, d, stackId, error)), teardown: 'stop-job' };
        }
        if (result.kind === 'deleted') return done('stop-job');
        d.fallback = pollError(result, ctx.options.deleteTimeoutMs).code;
      } else d.fallback = end.code;
      const fallback = d.fallback;
      log.warn({ fallback }, 'the on_stop job did not delete the stack');
      await audit({ event: 'stop-job-ended', stackId, fallback });
      if (d.teardown === 'stop-job') {
        const out = await finish(ctx, d, stack, {
          code: stopJobEndOf(fallback),
          message: end.kind === 'fallback' ? end.message : fallback,
        });
        return { ...out, teardown: 'stop-job' };
      }
      await save();
      // The job may have run for minutes: the stack and its evidence are checked again, as right before
      // any deletion, and a resumed teardown whose stack this run did not audit is not deleted.
      const again = await checkBeforeFallback(ctx, target, record);
      if (again === 'gone') return done('stop-job');
      if (again) {
        d.status = 'cancelled';
        d.finishedAt = new Date(ctx.now()).toISOString();
        d.error = again;
        await save();
        await audit({ event: 'delete-cancelled', stackId, code: again.code, detail: again.message });
        log.warn({ code: again.code, detail: again.message }, 'fallback DeleteStack cancelled');
        return { result: 'cancelled', error: again, teardown: 'stop-job', fallback: d.fallback };
      }
    }
  }
  // After an on_stop job that did not delete the stack the environment may be available again (the job
  // failed) or still stopping: DeleteStack's follow-up stops it (with force), unless the job left it
  // stopped.
  if (d.fallback !== undefined && d.fallback !== 'NO_STOP_ACTION' && d.fallback !== 'STOP_JOB_LEFT_STACK')
    d.environmentStopped = false;
  return deleteWithCloudFormation(ctx, d, stackId, target, log, done);
}

/** AWS refused a DeleteStack call (the first or the retry): an error of the run, and the deletion's end. */
async function requestFailed(
  ctx: ExecutionContext,
  d: DeletionRecord,
  stackId: string,
  error: unknown,
  prefix: '' | 'retry: ',
): Promise<ExecutionOutcome> {
  ctx.fail(error, {
    what: prefix ? 'DeleteStack retry' : 'DeleteStack',
    stacks: [d.name],
    effect: 'kept',
    account: d.account,
    region: d.region,
  });
  return finish(
    ctx,
    d,
    { stackId, name: d.name },
    { code: 'DELETE_REQUEST_FAILED', message: `${prefix}${failureLine(error)}` },
  );
}

/**
 * A deletion (or on_stop job) that was started but whose progress could not be read: the run error is
 * recorded, and the deletion stays `started` in state, so the next run resumes following it.
 */
async function pollFailed(
  ctx: ExecutionContext,
  d: DeletionRecord,
  stackId: string,
  error: unknown,
): Promise<ExecutionOutcome> {
  const e = ctx.fail(error, {
    what: 'status of a started deletion',
    stacks: [d.name],
    effect: 'not-done',
    account: d.account,
    region: d.region,
    // Following an on_stop job also reads the environment: that failure is the project's.
    project: d.projectId,
  });
  await ctx.save();
  const failure = {
    code: 'POLL_FAILED' as const,
    message: `started, but its status could not be read (${e.operation ?? 'call'}: ${failureWord(e)}); the next run resumes it`,
  };
  await ctx.audit({ event: 'delete-poll-failed', stackId, error: failure });
  return { result: 'failed', error: failure };
}

/** DeleteStack with the run's token, polling to a final status, one retry on DELETE_FAILED if asked. */
async function deleteWithCloudFormation(
  ctx: ExecutionContext,
  d: DeletionRecord,
  stackId: string,
  target: AccountTarget,
  log: Logger,
  done: (by: Teardown) => Promise<ExecutionOutcome>,
): Promise<ExecutionOutcome> {
  const { deps, options, save, audit } = ctx;
  const stack = { stackId, name: d.name };
  let repair: Repair | undefined;
  const withTeardown = (out: ExecutionOutcome): ExecutionOutcome => ({
    ...out,
    teardown: 'delete-stack',
    ...(d.fallback ? { fallback: d.fallback } : {}),
    ...(repair ? { repair } : {}),
  });
  d.deleteRequested = true;
  await save();
  log.info({ token: d.token, ...(d.fallback ? { fallback: d.fallback } : {}) }, 'deleting stack');
  try {
    await deps.aws.deleteStack(target, d.region, stackId, { token: d.token });
  } catch (error) {
    return withTeardown(await requestFailed(ctx, d, stackId, error, ''));
  }
  let result: PollResult;
  try {
    result = await poll(ctx, target, d.region, stackId);
  } catch (error) {
    return withTeardown(await pollFailed(ctx, d, stackId, error));
  }

  const failedResources = () =>
    deps.aws.failedResources(target, d.region, stackId).catch((error: unknown) => {
      ctx.fail(error, {
        what: 'failed resources of a deletion',
        stacks: [d.name],
        effect: 'less-reported',
        account: d.account,
        region: d.region,
      });
      return [] as FailedResource[];
    });
  if (result.kind === 'failed' && options.onDeleteFailed !== 'report') {
    // One retry: after emptying what the stack owns, retaining what failed, or forced.
    let retry:
      | {
          params: { retainResources?: string[]; force?: boolean };
          why: Pick<Extract<AuditEntry, { event: 'delete-attempt' }>, 'emptied' | 'failed'>;
        }
      | undefined;
    if (options.onDeleteFailed === 'empty-and-retry') {
      repair = await emptyForRetry(ctx, d, stackId, target, log);
      if (repair.status === 'emptied') {
        d.emptied = repair.resources.map((r) => ({
          type: r.type,
          physicalId: r.physicalId,
          removed: r.removed + r.deleteMarkers,
          bytes: r.bytes,
        }));
        retry = { params: {}, why: { emptied: d.emptied } };
      }
    } else {
      const failed = await failedResources();
      retry = {
        params:
          options.onDeleteFailed === 'retain'
            ? { retainResources: failed.map((f) => f.logicalId) }
            : { force: true },
        why: { failed },
      };
    }
    if (retry) {
      const retryToken = requestToken(options.runId, stackId, '-retry');
      await audit({
        event: 'delete-attempt',
        stackId,
        name: d.name,
        token: retryToken,
        mode: options.onDeleteFailed,
        ...retry.why,
      });
      log.warn({ mode: options.onDeleteFailed, ...retry.why }, 'DELETE_FAILED: retrying');
      d.attempts++;
      await save();
      try {
        await deps.aws.deleteStack(target, d.region, stackId, { token: retryToken, ...retry.params });
      } catch (error) {
        return withTeardown(await requestFailed(ctx, d, stackId, error, 'retry: '));
      }
      try {
        result = await poll(ctx, target, d.region, stackId);
      } catch (error) {
        return withTeardown(await pollFailed(ctx, d, stackId, error));
      }
    }
  }
  if (result.kind === 'deleted') return withTeardown(await done('delete-stack'));
  const failedText =
    result.kind === 'failed'
      ? (await failedResources()).map((f) => `${f.logicalId} (${f.type}): ${f.reason}`).join('; ')
      : undefined;
  const detail =
    repair && repair.status !== 'emptied' && failedText !== undefined
      ? `${failedText} (empty-and-retry ${repair.status}: ${repair.detail ?? ''})`
      : failedText;
  return withTeardown(await finish(ctx, d, stack, pollError(result, options.deleteTimeoutMs, detail)));
}
