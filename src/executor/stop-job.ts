import type { AccountTarget } from '../aws/ports.js';
import type { EnvironmentRecord } from '../core/run-result.js';
import type { Logger } from '../log/logger.js';
import type { DeletionRecord } from '../state/state.js';
import type { ExecutionContext, ExecutorOptions } from './context.js';

/**
 * The GitLab way to tear a review app down: stop its environment without `force`, so GitLab runs the
 * project's `on_stop` job, and follow the stack until the job has deleted it. The stop is recorded in
 * state before it is sent; a killed run resumes following the job, never stops twice.
 */

/** The teardown mode of a stack: per project (path or id), else the policy's. */
export function teardownOf(
  record: EnvironmentRecord,
  options: ExecutorOptions,
): 'delete-stack' | 'stop-job' | 'stop-job-then-delete' {
  // Stopping an unused environment is the GitLab way only: its MR is open, DeleteStack is never used.
  if (record.plan.action === 'stop') return 'stop-job';
  const per = options.teardownProjects;
  const project = record.evidence.project?.ok ? record.evidence.project.value : null;
  const keys = [project?.path, project ? String(project.id) : undefined, record.owner.projectPath];
  for (const k of keys) if (k !== undefined && per[k] !== undefined) return per[k];
  return options.teardown;
}

/** How following an on_stop job ended. */
export type StopJobEnd =
  | { kind: 'deleted' }
  | { kind: 'deleting' }
  | {
      kind: 'fallback';
      code: 'STOP_JOB_FAILED' | 'STOP_JOB_TIMEOUT' | 'STOP_JOB_LEFT_STACK';
      message: string;
    };

/**
 * Follows a stopped environment's on_stop job through the stack: gone or `DELETE_COMPLETE` is done;
 * `DELETE_IN_PROGRESS` means the job's deletion runs (the caller polls it to the end like its own);
 * the environment back to `available` means the job failed; `stopped` with the stack still in place
 * means the job did not delete it; past `stopJobTimeout` (from the recorded stop) it took too long.
 */
export async function followStopJob(
  ctx: ExecutionContext,
  target: AccountTarget,
  d: DeletionRecord,
  stackId: string,
  log: Logger,
): Promise<StopJobEnd> {
  const { deps, options, sleep, now } = ctx;
  const deadline = Date.parse(d.stopRequestedAt ?? new Date(now()).toISOString()) + options.stopJobTimeoutMs;
  let wait = options.poll.minMs;
  for (;;) {
    const s = await deps.aws.describeStack(target, d.region, stackId);
    if (!s || s.status === 'DELETE_COMPLETE') return { kind: 'deleted' };
    if (s.status === 'DELETE_IN_PROGRESS') return { kind: 'deleting' };
    if (s.status === 'DELETE_FAILED')
      return {
        kind: 'fallback',
        code: 'STOP_JOB_FAILED',
        message: `the on_stop job's deletion failed: ${s.statusReason ?? ''}`,
      };
    const env =
      d.projectId !== undefined && d.environmentId !== undefined
        ? await deps.gitlab.environmentState(d.projectId, d.environmentId)
        : null;
    if (env === 'available')
      return {
        kind: 'fallback',
        code: 'STOP_JOB_FAILED',
        message: 'the on_stop job failed: the environment is available again',
      };
    if (env === 'stopped' || env === null)
      return {
        kind: 'fallback',
        code: 'STOP_JOB_LEFT_STACK',
        message: `the on_stop job finished; the stack is still ${s.status}`,
      };
    if (now() + wait > deadline)
      return {
        kind: 'fallback',
        code: 'STOP_JOB_TIMEOUT',
        message: `the stack was still ${s.status} ${Math.round(options.stopJobTimeoutMs / 1000)} s after the stop`,
      };
    log.debug({ stack: d.name, environment: env }, 'waiting for the on_stop job');
    await sleep(wait);
    wait = Math.min(options.poll.maxMs, Math.ceil(wait * 1.5));
  }
}
