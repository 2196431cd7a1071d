import type { DeletionRecord } from '../state/state.js';

/**
 * A deletion's lifecycle, named. The state file keeps a deletion as its status and a few flags, saved
 * before each write (so a killed run's successor knows where it stood); this module says once what
 * those mean together: the phase, what may follow it, and the questions the executor asks of it. The
 * executor tests check that every saved change of a deletion is one of these transitions.
 */

/** Every phase, in the order a deletion goes through them. */
export const DELETION_PHASES = {
  requested: {
    meaning: 'recorded (state saved) before DeleteStack is sent',
    next: ['delete-sent', 'failed'],
  },
  'stop-requested': {
    meaning:
      "recorded before the environment is stopped: its on_stop job tears the stack down, env-reaper follows the job (a killed run's successor follows it, never stops twice)",
    next: ['delete-sent', 'done', 'follow-up', 'failed', 'cancelled'],
  },
  'delete-sent': {
    meaning:
      'DeleteStack was sent (first, or after the on_stop job); env-reaper polls until the stack is gone or failed',
    next: ['done', 'follow-up', 'failed'],
  },
  'follow-up': {
    meaning:
      'the stack is gone; a GitLab step after it (environment stop or deletion, MR note) is still to do',
    next: ['done'],
  },
  done: { meaning: 'the stack is gone and every GitLab step after it is done', next: [] },
  failed: {
    meaning:
      'the deletion ended without the stack gone (an execution code says why); judged again next run, and a timed-out one is followed to its end',
    next: ['done', 'follow-up', 'requested', 'stop-requested'],
  },
  cancelled: {
    meaning: 'a check before the fallback DeleteStack called it off; the stack is judged again next run',
    next: ['requested', 'stop-requested'],
  },
} as const satisfies Record<string, { meaning: string; next: readonly string[] }>;

/** The phases a new deletion starts in. */
export const FIRST_PHASES: readonly DeletionPhase[] = ['requested', 'stop-requested'];

/** A deletion's phase. */
export type DeletionPhase = keyof typeof DELETION_PHASES;

/** Whether the GitLab follow-up steps after a deletion are still to do (as the run is configured). */
export function followUpMissing(d: DeletionRecord, options: { mergeRequestNotes: boolean }): boolean {
  return (
    (d.environmentId !== undefined && !d.environmentStopped) ||
    (options.mergeRequestNotes && d.mrIid !== undefined && !d.notePosted)
  );
}

/** Whether the stack is left to the on_stop job: a stop-job teardown that has not sent DeleteStack. */
export function byStopJob(d: DeletionRecord): boolean {
  return d.teardown !== undefined && !d.deleteRequested;
}

/** Whether an unfinished deletion is following an on_stop job (to resume, never to stop again). */
export function followingStopJob(d: DeletionRecord): boolean {
  return d.status === 'started' && byStopJob(d);
}

/** The phase a saved deletion is in. */
export function deletionPhase(d: DeletionRecord, options = { mergeRequestNotes: true }): DeletionPhase {
  if (d.status === 'deleted') return followUpMissing(d, options) ? 'follow-up' : 'done';
  if (d.status === 'failed' || d.status === 'cancelled') return d.status;
  if (d.deleteRequested) return 'delete-sent';
  return d.teardown !== undefined ? 'stop-requested' : 'requested';
}

/** Whether a deletion may go from one phase to the other (staying is always allowed). */
export function mayFollow(from: DeletionPhase, to: DeletionPhase): boolean {
  return from === to || (DELETION_PHASES[from].next as readonly DeletionPhase[]).includes(to);
}
