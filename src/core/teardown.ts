/**
 * The closed lists of how a stack is torn down. Defined once here, below every layer that names them:
 * the config schema, the state file, the executor and the report schema all take these arrays, so a new
 * mode is added in one place and the schemas and docs follow.
 */

/** `policy.teardown`: how a due stack is torn down. */
export const TEARDOWN_MODES = ['delete-stack', 'stop-job', 'stop-job-then-delete'] as const;

/** A teardown mode. */
export type TeardownMode = (typeof TEARDOWN_MODES)[number];

/** `policy.onDeleteFailed`: what happens after a deletion ends `DELETE_FAILED`. */
export const DELETE_FAILED_HANDLINGS = ['report', 'retain', 'force', 'empty-and-retry'] as const;

/** A `policy.onDeleteFailed` value. */
export type DeleteFailedHandling = (typeof DELETE_FAILED_HANDLINGS)[number];

/** How a deletion that started tore the stack down. */
export const TEARDOWN_METHODS = ['stop-job', 'delete-stack'] as const;

/** A teardown method. */
export type Teardown = (typeof TEARDOWN_METHODS)[number];

/** How following an on_stop job can end without the stack gone (each is also an execution code). */
export const STOP_JOB_ENDS = ['STOP_JOB_FAILED', 'STOP_JOB_TIMEOUT', 'STOP_JOB_LEFT_STACK'] as const;

/** A stop-job end. */
export type StopJobEndCode = (typeof STOP_JOB_ENDS)[number];

/**
 * Why DeleteStack was used after a stop-job teardown: the environment had no stop action, the job ended
 * without deleting the stack, or the deletion the job started ended badly (the poll's execution code).
 */
export const FALLBACKS = [
  'NO_STOP_ACTION',
  ...STOP_JOB_ENDS,
  'DELETE_FAILED',
  'DELETE_ROLLED_BACK',
  'DELETE_TIMEOUT',
  'EXPORT_IN_USE',
] as const;

/** A fallback code. */
export type Fallback = (typeof FALLBACKS)[number];

/** The stop-job end a fallback means for `teardown: stop-job` (which never calls DeleteStack). */
export function stopJobEndOf(fallback: Fallback): StopJobEndCode {
  return STOP_JOB_ENDS.find((code) => code === fallback) ?? 'STOP_JOB_FAILED';
}
