import { keepReason } from './classify.js';
import type { Leftover, TagFilter } from './leftovers.js';
import type { Brake } from './plan.js';
import type { Limits, OwnershipTags } from './policy.js';

/**
 * Which leftovers may be deleted (issue #36, docs/leftovers.md): pure. A leftover is deleted only when
 * every condition holds; the first that does not is its reason, and it is only reported. The conditions
 * are fail-closed: anything not known (GitLab unread, existence unconfirmed) keeps it.
 */

/** The leftover types env-reaper can delete (`leftovers.delete`), each with its own IAM actions. */
export const LEFTOVER_DELETABLE_TYPES = ['s3:bucket', 'ecr:repository', 'logs:log-group'] as const;

/** A deletable leftover type. */
export type LeftoverType = (typeof LEFTOVER_DELETABLE_TYPES)[number];

/** Why a leftover is (or is not) deleted: stable codes, each with its meaning (docs/leftovers.md). */
export const LEFTOVER_REASONS = {
  DUE: 'every condition holds: deleted by this run (shown as `would delete` in a dry run)',
  RESUME: 'an earlier run started deleting it and was cut: this run finishes it',
  ALREADY_DELETED: 'env-reaper deleted a resource with this ARN before: never deleted twice',
  NOT_OPTED_IN: 'its type is not in leftovers.delete',
  NOT_CONFIRMED: 'its own service could not confirm that it exists',
  OTHER_ACCOUNT: 'its ARN names another account than the deleted stack',
  TAGS_CHANGED: 'it is no longer tagged with the project and environment of the deleted stack',
  KEEP_TAG: 'it carries the keep tag',
  TOO_RECENT: 'its stack was deleted less than leftovers.deleteAfter ago',
  EVIDENCE_UNKNOWN: 'GitLab could not be read to confirm that the branch and the MR are still gone',
  ENVIRONMENT_BACK: 'the branch exists again, or an MR from it is open',
  NOT_IN_PLAN: 'not in the reviewed plan being applied',
  BRAKED: 'a brake held every leftover deletion of this run',
} as const;

/** A leftover reason code. */
export type LeftoverReasonCode = keyof typeof LEFTOVER_REASONS;

/** Where a leftover stands: due now, waiting for `deleteAfter`, only reported, or held by a brake. */
export const LEFTOVER_STATUSES = ['due', 'waiting', 'report', 'braked'] as const;

/** A leftover status. */
export type LeftoverStatus = (typeof LEFTOVER_STATUSES)[number];

/** The decision about one leftover. */
export interface LeftoverDecision {
  status: LeftoverStatus;
  reason: { code: LeftoverReasonCode; detail: string };
  /** When it may be deleted (stack deletion + deleteAfter), ISO-8601. */
  deleteAfter?: string;
}

/** What env-reaper's state says about an earlier deletion of the same ARN. */
export type PreviousDeletion = 'started' | 'deleted' | 'failed';

/** Whether the environment's branch and MR are still gone, as GitLab answered (read only when needed). */
export type EnvironmentGone = 'gone' | 'back' | 'unknown';

/** Everything one leftover's decision rests on. */
export interface LeftoverInput {
  leftover: Leftover;
  /** The project and environment tags the deleted stack's resources are found by. */
  filters: TagFilter[];
  previous?: PreviousDeletion;
  /** Absent: not read (then never due). */
  gitlab?: EnvironmentGone;
}

/** The leftover side of the policy (`leftovers.*`, the keep tag). */
export interface LeftoverPolicy {
  delete: readonly string[];
  deleteAfterMs: number;
  tags: OwnershipTags;
}

/** The account an ARN names; empty for S3 buckets (their ARNs name none). */
export function arnAccount(arn: string): string {
  return arn.split(':')[4] ?? '';
}

function reason(code: LeftoverReasonCode, detail: string = LEFTOVER_REASONS[code]) {
  return { code, detail };
}

/**
 * Every condition but GitLab's, in order; `undefined` when they all hold (then GitLab decides). The run
 * reads GitLab only for leftovers this returns `undefined` for.
 */
export function leftoverHeld(
  input: LeftoverInput,
  policy: LeftoverPolicy,
  now: number,
): LeftoverDecision | undefined {
  const l = input.leftover;
  if (input.previous === 'deleted') return { status: 'report', reason: reason('ALREADY_DELETED') };
  if (!policy.delete.includes(l.type))
    return { status: 'report', reason: reason('NOT_OPTED_IN', `${l.type} is not in leftovers.delete`) };
  if (!l.confirmed) return { status: 'report', reason: reason('NOT_CONFIRMED') };
  const account = arnAccount(l.arn);
  if (account !== '' && account !== l.account)
    return { status: 'report', reason: reason('OTHER_ACCOUNT', `the ARN names account ${account}`) };
  const tags = l.tags ?? {};
  const missing = input.filters.find((f) => tags[f.key] !== f.value);
  if (input.filters.length === 0 || missing)
    return {
      status: 'report',
      reason: reason(
        'TAGS_CHANGED',
        missing ? `tag ${missing.key} is no longer the environment's` : undefined,
      ),
    };
  const keep = keepReason(tags, policy.tags, now);
  if (keep?.code === 'KEEP_TAG') return { status: 'report', reason: reason('KEEP_TAG', keep.detail) };
  // A deletion an earlier run started is finished whatever the clock: the data is half gone already.
  if (input.previous === 'started') return undefined;
  const after = Date.parse(l.deletedAt) + policy.deleteAfterMs;
  if (!(now >= after))
    return {
      status: 'waiting',
      reason: reason('TOO_RECENT'),
      ...(Number.isFinite(after) ? { deleteAfter: new Date(after).toISOString() } : {}),
    };
  return undefined;
}

/** The decision about one leftover: every condition, then GitLab's answer. */
export function judgeLeftover(input: LeftoverInput, policy: LeftoverPolicy, now: number): LeftoverDecision {
  const held = leftoverHeld(input, policy, now);
  if (held) return held;
  if (input.gitlab === 'back') return { status: 'report', reason: reason('ENVIRONMENT_BACK') };
  if (input.gitlab !== 'gone') return { status: 'report', reason: reason('EVIDENCE_UNKNOWN') };
  return {
    status: 'due',
    reason: input.previous === 'started' ? reason('RESUME') : reason('DUE'),
  };
}

/** What the leftover plan may spend: the brakes, and what the stacks of this run already took. */
export interface LeftoverBudget {
  limits: Limits;
  /** Stacks due in this run's plan (deleted first: leftovers never push a stack out). */
  stacksDue: number;
  /** In-scope stacks (the percentage brake's base, with the leftovers found). */
  inScope: number;
  /** `--apply-plan`: only these ARNs may be deleted. */
  only?: ReadonlySet<string>;
  /** The stacks' brake, when it engaged: it holds every leftover deletion of the run too. */
  stacksBrake?: Brake | null;
}

/** The leftover plan of a run. */
export interface LeftoverPlan {
  /** Decisions in input order. */
  decisions: LeftoverDecision[];
  /** Leftovers due (0 when a brake engaged). */
  due: number;
  brake: Brake | null;
}

/**
 * Decides every leftover, then the brakes on the whole: each leftover counts as one deletion (objects
 * and images in it do not), after the stacks due. `maxDeletionsPerRun` counts stacks and leftovers
 * together; the percentage is taken of in-scope stacks plus leftovers found. A brake holds every leftover
 * deletion of the run, never a subset.
 */
export function planLeftovers(
  inputs: LeftoverInput[],
  policy: LeftoverPolicy,
  budget: LeftoverBudget,
  now: number,
): LeftoverPlan {
  const decisions = inputs.map((input) => {
    const d = judgeLeftover(input, policy, now);
    if (d.status === 'due' && budget.only && !budget.only.has(input.leftover.arn))
      return { status: 'report' as const, reason: reason('NOT_IN_PLAN') };
    return d;
  });
  const due = decisions.filter((d) => d.status === 'due').length;
  const total = budget.stacksDue + due;
  const base = budget.inScope + inputs.length;
  let brake: Brake | null = null;
  if (due > 0 && budget.stacksBrake) brake = budget.stacksBrake;
  else if (due > 0 && total > budget.limits.maxDeletionsPerRun)
    brake = { kind: 'max-deletions', due: total, inScope: base, limit: budget.limits.maxDeletionsPerRun };
  else if (due > 0 && total * 100 > budget.limits.maxDeletionPercent * base)
    brake = { kind: 'max-percent', due: total, inScope: base, limit: budget.limits.maxDeletionPercent };
  if (brake)
    for (const [i, d] of decisions.entries())
      if (d.status === 'due') decisions[i] = { status: 'braked', reason: reason('BRAKED') };
  return { decisions, due: brake ? 0 : due, brake };
}
