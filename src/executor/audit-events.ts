import { z } from 'zod';

/**
 * The audit log's vocabulary: every event the executor writes, its fields and what it means. The log is
 * the operator's record of every write, so it is a closed table: the context's `audit()` takes only
 * these shapes, `docs/reaping.md` lists them (generated, `npm run gen`), and the tests read every line
 * a run wrote back through `auditLineSchema`. Each line also carries the run id (`runId`) and is one
 * JSON object (`state.auditLog`, JSON lines).
 */

const stackId = z.string();
const projectId = z.union([z.number(), z.string()]);
const emptied = z.object({
  type: z.string(),
  physicalId: z.string(),
  removed: z.number(),
  bytes: z.number(),
});
const failedResource = z.object({ logicalId: z.string(), type: z.string(), reason: z.string() });

/** Each event: its fields (zod, so the log can be checked) and its meaning. */
export const AUDIT_EVENTS = {
  'delete-attempt': {
    meaning:
      'DeleteStack is about to be sent (state saved first), with the verdict and reasons that decided it; a retry after DELETE_FAILED says its mode and why',
    payload: z.object({
      stackId,
      name: z.string(),
      token: z.string(),
      evidence: z.object({ verdict: z.string(), reasons: z.array(z.unknown()) }).optional(),
      teardown: z.string().optional(),
      mode: z.string().optional(),
      emptied: z.array(emptied).optional(),
      failed: z.array(failedResource).optional(),
    }),
  },
  'delete-complete': {
    meaning: 'the stack is gone (DELETE_COMPLETE or no longer listed)',
    payload: z.object({ stackId, name: z.string() }),
  },
  'delete-failed': {
    meaning: 'the deletion ended without the stack gone; `error` says why (an execution code)',
    payload: z.object({
      stackId,
      name: z.string(),
      error: z.object({ code: z.string(), message: z.string() }),
    }),
  },
  'delete-cancelled': {
    meaning: 'a deletion was not started, or its fallback DeleteStack was not sent, after a check before it',
    payload: z.object({ stackId, code: z.string(), detail: z.string() }),
  },
  'delete-poll-failed': {
    meaning: 'DeleteStack was sent but its status could not be read: the next run resumes it',
    payload: z.object({ stackId, error: z.object({ code: z.string(), message: z.string() }) }),
  },
  'environment-stop-requested': {
    meaning:
      "the environment's on_stop job was asked to run (a stop-job teardown); `state` is GitLab's answer",
    payload: z.object({ stackId, environmentId: z.number(), state: z.string() }),
  },
  'stop-job-ended': {
    meaning: 'the on_stop job ended without deleting the stack; `fallback` says how',
    payload: z.object({ stackId, fallback: z.string() }),
  },
  'empty-attempt': {
    meaning: 'a bucket or repository of a DELETE_FAILED stack is about to be emptied (empty-and-retry)',
    payload: z.object({ stackId, logicalId: z.string(), type: z.string(), physicalId: z.string() }),
  },
  'empty-complete': {
    meaning: 'the emptying ended: what was removed, and what the service refused (`errors`)',
    payload: z.object({
      stackId,
      logicalId: z.string(),
      type: z.string(),
      physicalId: z.string(),
      removed: z.number(),
      deleteMarkers: z.number(),
      bytes: z.number(),
      errors: z.array(z.string()),
    }),
  },
  'leftover-delete-attempt': {
    meaning:
      'a leftover is about to be emptied and deleted (state saved first), with the stack it was left by and the reason that decided it',
    payload: z.object({
      arn: z.string(),
      type: z.string(),
      stackId,
      stackName: z.string(),
      reason: z.string(),
      attempt: z.number(),
    }),
  },
  'leftover-deleted': {
    meaning: 'the leftover is gone: what emptying it removed (object versions or images, delete markers)',
    payload: z.object({
      arn: z.string(),
      stackId,
      removed: z.number(),
      deleteMarkers: z.number(),
      bytes: z.number(),
    }),
  },
  'leftover-delete-failed': {
    meaning: 'the leftover deletion failed part way; `error` says why (the next run finishes it)',
    payload: z.object({
      arn: z.string(),
      stackId,
      removed: z.number(),
      error: z.object({ code: z.string(), message: z.string() }),
    }),
  },
  'leftover-delete-cancelled': {
    meaning:
      'a leftover deletion was not started after its re-check (tags, keep tag, GitLab, MFA delete, a recent pull)',
    payload: z.object({ arn: z.string(), stackId, code: z.string(), detail: z.string() }),
  },
  'environment-stopped': {
    meaning: "the stack's GitLab environment was stopped after the deletion",
    payload: z.object({ stackId, projectId, environmentId: z.number(), state: z.string() }),
  },
  'environment-deleted': {
    meaning: "the stack's GitLab environment was deleted (`notify.deleteEnvironments`)",
    payload: z.object({ stackId, projectId, environmentId: z.number() }),
  },
  'mr-note-posted': {
    meaning: 'the note saying the stack was deleted was posted on its MR',
    payload: z.object({ stackId, projectId, mrIid: z.number() }),
  },
  'mr-notice-posted': {
    meaning: 'the advance notice (deletion due after `deleteAfter`) was posted on the MR',
    payload: z.object({
      stackId,
      projectId,
      mrIid: z.number(),
      verdict: z.string(),
      deleteAfter: z.string().optional(),
    }),
  },
  'gitlab-followup-failed': {
    meaning: 'a GitLab step after a deletion failed (stop, delete, note): the next run finishes it',
    payload: z.object({ stackId, step: z.string(), error: z.string() }),
  },
  'ghost-environment-stopped': {
    meaning: 'an environment without a stack (a ghost) was stopped (`notify.stopGhostEnvironments`)',
    payload: z.object({ projectId, environmentId: z.number(), name: z.string(), state: z.string() }),
  },
  'dashboard-updated': {
    meaning: 'the dashboard issue was created (`issue: new`) or edited',
    payload: z.object({ project: projectId, issue: z.union([z.number(), z.literal('new')]) }),
  },
} as const;

/** An audit event's name. */
export type AuditEvent = keyof typeof AUDIT_EVENTS;

/** One entry the executor writes: the event's name and its payload. */
export type AuditEntry = {
  [K in AuditEvent]: { event: K } & z.input<(typeof AUDIT_EVENTS)[K]['payload']>;
}[AuditEvent];

/** Every event name, in the table's order. */
export const AUDIT_EVENT_NAMES = Object.keys(AUDIT_EVENTS) as AuditEvent[];

/** One line of the audit log, as read back: the run id, a known event, and that event's fields. */
export const auditLineSchema = z
  .object({ runId: z.string(), event: z.enum(AUDIT_EVENT_NAMES) })
  .loose()
  .superRefine((line, ctx) => {
    const read = AUDIT_EVENTS[line.event].payload.safeParse(line);
    if (!read.success)
      for (const issue of read.error.issues)
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
