import type { StackFacts } from '../core/model.js';
import type { Fallback, Teardown } from '../core/teardown.js';

/**
 * What the executor did with one stack. The codes are a closed union, like the reason codes of the
 * classifier: reports, metrics and scripts match on them, so each is documented here and in
 * docs/reaping.md, and a new one is a deliberate change.
 */

/** Every execution code: the result it comes with, and what it means for the operator. */
export const EXECUTION_CODES = {
  STOPPING: { result: 'skipped', meaning: 'the daemon was shutting down; the deletion was not started' },
  NOT_IN_PLAN: {
    result: 'skipped',
    meaning: 'due now, but not in the reviewed plan given to `--apply-plan`',
  },
  ACCOUNT_MISMATCH: {
    result: 'cancelled',
    meaning: "the credentials no longer belong to the stack's account (account guard)",
  },
  PRECHECK_FAILED: {
    result: 'cancelled',
    meaning:
      'a safety check could not be made (account guard, export graph, re-read of the stack, re-check of its GitLab evidence); the failed call is in `errors[]`',
  },
  EXPORT_IN_USE: {
    result: 'cancelled or failed',
    meaning: 'an export of the stack is imported by a stack that is not being deleted',
  },
  STACK_CHANGED: {
    result: 'cancelled',
    meaning: 'the stack changed since it was read (status, update time, tags or protection)',
  },
  EVIDENCE_CHANGED: {
    result: 'cancelled',
    meaning: 'the GitLab evidence changed since the plan; the stack is no longer due',
  },
  ALREADY_GONE: {
    result: 'skipped',
    meaning: 'the stack no longer existed when the deletion was about to start',
  },
  DELETE_REQUEST_FAILED: {
    result: 'failed',
    meaning: "AWS refused the `DeleteStack` call itself; the message starts with AWS's error name",
  },
  DELETE_FAILED: {
    result: 'failed',
    meaning: 'CloudFormation reached `DELETE_FAILED`; the message lists the failed resources',
  },
  DELETE_ROLLED_BACK: {
    result: 'failed',
    meaning: 'CloudFormation went back to a stable status without deleting',
  },
  DELETE_TIMEOUT: {
    result: 'failed',
    meaning:
      'still deleting at `limits.deleteTimeout`; CloudFormation goes on: the next runs see the stack `busy`, and the first to find it gone records the deletion and does its GitLab follow-up',
  },
  POLL_FAILED: {
    result: 'failed',
    meaning:
      "the deletion or `on_stop` job was started, but the stack's status could not be read; the next run resumes following it",
  },
  STOP_JOB_FAILED: {
    result: 'failed',
    meaning: "teardown `stop-job`: the environment's `on_stop` job failed and the stack is still there",
  },
  STOP_JOB_TIMEOUT: {
    result: 'failed',
    meaning: 'teardown `stop-job`: the stack was still there at `limits.stopJobTimeout`',
  },
  STOP_JOB_LEFT_STACK: {
    result: 'failed',
    meaning: 'teardown `stop-job`: the `on_stop` job finished and left the stack in place',
  },
  NO_STOP_ENVIRONMENT: {
    result: 'cancelled',
    meaning:
      '`policy.unused: stop`: the stack has no available GitLab environment to stop, so no `on_stop` job can run; it is left in place (never DeleteStack)',
  },
  EXECUTOR_ERROR: {
    result: 'failed',
    meaning: 'an unexpected error in the executor; nothing further was done for this stack',
  },
} as const satisfies Record<string, { result: string; meaning: string }>;

/** A stable execution code. */
export type ExecutionCode = keyof typeof EXECUTION_CODES;

/** Outcome of the executor for one stack, when `reap --apply` ran. */
export interface ExecutionOutcome {
  result: 'deleted' | 'failed' | 'cancelled' | 'skipped';
  error?: ExecutionError;
  /** For a deletion that started: the project's on_stop job, or DeleteStack. */
  teardown?: Teardown;
  /** Why DeleteStack was used after a stop-job teardown (a STOP_JOB_* code, or NO_STOP_ACTION). */
  fallback?: Fallback;
  /** `onDeleteFailed: empty-and-retry`: what was emptied before the retry, or why nothing was. */
  repair?: Repair;
}

/** Why empty-and-retry emptied nothing, as a stable code. */
export const REPAIR_REFUSALS = {
  NOT_REPAIRABLE:
    'a failed resource is not an S3 bucket or ECR repository the stack owns (by ListStackResources); nothing was emptied, since the retry would fail anyway',
  REPAIR_BRAKE:
    'emptying would exceed limits.maxDeletionsPerRun (each emptied resource counts as a deletion)',
  NO_FAILED_RESOURCES: 'the stack events name no failed resource',
} as const;

/** The repair refusal codes, for schemas. */
export const REPAIR_REFUSAL_CODES = Object.keys(REPAIR_REFUSALS) as [
  keyof typeof REPAIR_REFUSALS,
  ...(keyof typeof REPAIR_REFUSALS)[],
];

/** empty-and-retry for one stack. */
export interface Repair {
  /** emptied: everything was emptied and DeleteStack retried · refused: nothing emptied · failed: emptying failed, no retry. */
  status: 'emptied' | 'refused' | 'failed';
  refusal?: keyof typeof REPAIR_REFUSALS;
  detail?: string;
  resources: RepairedResource[];
}

/** One bucket or repository emptied (or attempted). */
export interface RepairedResource {
  logicalId: string;
  type: string;
  physicalId: string;
  /** Object versions or images removed. */
  removed: number;
  deleteMarkers: number;
  bytes: number;
  errors: string[];
}

/** Why a stack was not deleted: a stable code and a human message. */
export interface ExecutionError {
  code: ExecutionCode;
  message: string;
}

/** A deletion's terminal state as the executor's polling saw it. */
export type PollResult =
  | { kind: 'deleted' }
  | { kind: 'failed'; status: string; reason?: string }
  | { kind: 'rolled-back'; status: string; reason?: string; cause?: StackFacts['statusCause'] }
  | { kind: 'timeout'; status: string };

/**
 * The one mapping from a poll result to an execution error (the first deletion and a resumed one use
 * it alike). `detail` replaces the message when the caller knows more (the failed resources).
 */
export function pollError(
  result: Exclude<PollResult, { kind: 'deleted' }>,
  timeoutMs: number,
  detail?: string,
): ExecutionError & { code: Extract<Fallback, ExecutionCode> } {
  switch (result.kind) {
    case 'failed':
      return { code: 'DELETE_FAILED', message: detail || result.reason || result.status };
    case 'rolled-back':
      // An export still imported (the AWS boundary read CloudFormation's words: `statusCause`).
      return result.cause === 'EXPORT_IN_USE'
        ? { code: 'EXPORT_IN_USE', message: result.reason ?? '' }
        : { code: 'DELETE_ROLLED_BACK', message: result.reason ?? `back to ${result.status}` };
    case 'timeout':
      return {
        code: 'DELETE_TIMEOUT',
        message: `still ${result.status} after ${Math.round(timeoutMs / 1000)} s`,
      };
  }
}
