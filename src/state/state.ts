import { z } from 'zod';
import { FALLBACKS, TEARDOWN_MODES } from '../core/teardown.js';
import { USAGE_KINDS } from '../core/usage.js';
import { upgrade } from '../errors/versioned.js';

/**
 * Run state (docs/design.md §5): what one run must hand to the next. First-seen times are the grace clock for
 * verdicts without their own evidence time; deletion records let a killed run's successor finish the
 * GitLab side of a deletion; notes posted make MR notes idempotent even across crashes (the note
 * itself also carries a hidden marker, which is checked first).
 */

const deletionSchema = z.object({
  status: z.enum(['started', 'deleted', 'failed', 'cancelled']),
  runId: z.string(),
  token: z.string(),
  attempts: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** What the GitLab side needs after DELETE_COMPLETE, saved before DeleteStack so a rerun can finish it. */
  account: z.string(),
  region: z.string(),
  name: z.string(),
  projectId: z.number().int().optional(),
  environmentId: z.number().int().optional(),
  mrIid: z.number().int().optional(),
  /** The stack's tags at deletion: the leftovers check finds what is still tagged like it. */
  tags: z.record(z.string(), z.string()).optional(),
  verdict: z.string(),
  reasons: z.array(z.object({ code: z.string(), detail: z.string(), at: z.string().optional() })),
  environmentStopped: z.boolean().optional(),
  /**
   * A stop-job teardown: when the environment was stopped (its on_stop job started), which mode was
   * chosen, and why DeleteStack was used after all. Saved before the stop, so a killed run resumes
   * following the job instead of stopping twice.
   */
  teardown: z.enum(TEARDOWN_MODES.filter((m) => m !== 'delete-stack')).optional(),
  stopRequestedAt: z.string().optional(),
  fallback: z.enum(FALLBACKS).optional(),
  /** empty-and-retry: what was emptied before the retry (for the MR note). */
  emptied: z
    .array(z.object({ type: z.string(), physicalId: z.string(), removed: z.number(), bytes: z.number() }))
    .optional(),
  /** DeleteStack was sent (a stop-job teardown that fell back, or never started one). */
  deleteRequested: z.boolean().optional(),
  environmentDeleted: z.boolean().optional(),
  notePosted: z.boolean().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/** The last usage reading of a stack (`usage.interval`): reused until it is that old or the stack changes. */
const usageSchema = z.object({
  reading: z.object({
    readAt: z.string(),
    from: z.string(),
    days: z.number().int(),
    resources: z.array(
      z.object({
        arn: z.string(),
        // A kind this version does not know (a newer env-reaper wrote it) is `other`: never measured.
        kind: z.string().transform((k) => USAGE_KINDS.find((x) => x === k) ?? 'other'),
        daily: z.array(z.number()),
        complete: z.boolean(),
      }),
    ),
    metrics: z.number().int(),
  }),
  lastChange: z.string(),
});

const stackStateSchema = z.object({
  name: z.string(),
  /** First time seen in each verdict (ISO). */
  firstSeen: z.record(z.string(), z.string()).default({}),
  lastVerdict: z.string().optional(),
  lastSeen: z.string(),
  /** Kept from the dashboard issue until then (ISO). */
  keptUntil: z.string().optional(),
  /** Consecutive runs in which the stack was flagged or planned for deletion (the trend). */
  flaggedRuns: z.number().int().optional(),
  /** Advance notices posted on the MR, per verdict (one per stack per state change). */
  notices: z.record(z.string(), z.object({ at: z.string(), mrIid: z.number().int() })).optional(),
  usage: usageSchema.optional(),
  deletion: deletionSchema.optional(),
});

/**
 * How the state file is versioned: this env-reaper writes version 1; older versions are migrated on
 * read (none yet: 1 is the first released format), newer ones refused (`util/versioned.ts`).
 */
export const STATE_VERSIONING = { what: 'the state', field: 'version', current: 1, migrations: {} } as const;

/** Parses a state document as read (JSON), upgraded to the current format first. */
export function parseState(raw: unknown, where: string): State {
  return stateSchema.parse(upgrade(raw, { ...STATE_VERSIONING, what: `state ${where}` }));
}

/**
 * A leftover deletion (issue #36), keyed by ARN: saved as `started` before the first write, so a run
 * killed while emptying is finished by the next one, and `deleted` after, so no ARN is deleted twice.
 */
const leftoverStateSchema = z.object({
  status: z.enum(['started', 'deleted', 'failed']),
  type: z.string(),
  account: z.string(),
  region: z.string(),
  stackId: z.string(),
  stackName: z.string(),
  runId: z.string(),
  attempts: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  removed: z.number().int().default(0),
  deleteMarkers: z.number().int().default(0),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const stateSchema = z.object({
  version: z.literal(1),
  stacks: z.record(z.string(), stackStateSchema).default({}),
  leftovers: z.record(z.string(), leftoverStateSchema).optional(),
  lastRun: z
    .object({
      runId: z.string(),
      at: z.string(),
      mode: z.string(),
      summary: z.record(z.string(), z.unknown()),
    })
    .optional(),
});

/** The persisted state. */
export type State = z.output<typeof stateSchema>;
/** A leftover deletion record. */
export type LeftoverDeletionRecord = z.output<typeof leftoverStateSchema>;
/** A deletion record. */
export type DeletionRecord = z.output<typeof deletionSchema>;

/** An empty state. */
export function emptyState(): State {
  return { version: 1, stacks: {} };
}

/** Forgets stacks not seen for this long (deleted ones included), so state stays small. */
export const STATE_RETENTION_MS = 30 * 86_400_000;
