import { z } from 'zod';
import { LEFTOVER_REASONS, LEFTOVER_STATUSES, type LeftoverReasonCode } from '../core/leftover-plan.js';
import { BRAKE_KINDS } from '../core/plan.js';

/** A brake that engaged, with the figures behind it (the stacks' and the leftovers'). */
export const brakeSchema = z.object({
  kind: z.enum(BRAKE_KINDS),
  due: z.number().int(),
  inScope: z.number().int(),
  limit: z.number(),
});

/**
 * The report's `leftovers` section (only from `reap`, `leftovers.enabled`): resources still tagged with an
 * environment deleted within `leftovers.watchFor`, confirmed by their service (`confirmed: false`: a type
 * without a check); with `leftovers.delete`, what was decided about each and what the run did.
 */
export const leftoversSchema = z.object({
  checked: z.number().int(),
  resources: z.array(
    z.object({
      arn: z.string(),
      type: z.string(),
      account: z.string(),
      region: z.string(),
      stackId: z.string(),
      stackName: z.string(),
      deletedAt: z.string(),
      createdAt: z.string().optional(),
      confirmed: z.boolean(),
      monthlyCost: z.number().nullable().optional(),
      tags: z.record(z.string(), z.string()).optional(),
      /** `leftovers.delete` set: due, waiting (deleteAfter), report (a condition fails) or braked. */
      decision: z
        .object({
          status: z.enum(LEFTOVER_STATUSES),
          reason: z.object({
            code: z.enum(Object.keys(LEFTOVER_REASONS) as [LeftoverReasonCode, ...LeftoverReasonCode[]]),
            detail: z.string(),
          }),
          deleteAfter: z.string().optional(),
        })
        .optional(),
      /** What apply did: deleted, gone (before it), failed, cancelled (its re-check), skipped. */
      result: z
        .object({
          result: z.enum(['deleted', 'gone', 'failed', 'cancelled', 'skipped']),
          error: z.object({ code: z.string(), message: z.string() }).optional(),
          removed: z.number().int().optional(),
          deleteMarkers: z.number().int().optional(),
        })
        .optional(),
    }),
  ),
  skipped: z.array(z.object({ stackName: z.string(), reason: z.string() })),
  /** `leftovers.delete` set: leftovers due in this run, and the brake that held them. */
  plan: z
    .object({
      due: z.number().int(),
      brake: brakeSchema.nullable(),
    })
    .optional(),
});
