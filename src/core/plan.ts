import {
  type Action,
  type Classification,
  DELETABLE_VERDICTS,
  type DeletableVerdict,
  type StackFacts,
  type Verdict,
} from './model.js';
import type { Limits, Policy } from './policy.js';

/**
 * Where a stack stands in this run's plan. keep: policy keeps it · flag: reported for a human, never
 * deleted by this run · due: due for deletion in this run · waiting: will be due later (grace,
 * `minAgeHours` or the notice window) · braked: was due, but a brake stopped every deletion of this run.
 */
export const PLAN_STATUSES = ['keep', 'flag', 'due', 'waiting', 'braked'] as const;

/** A plan status. */
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** Why a `delete` is not due yet. */
export const WAITING_FOR = ['grace', 'min-age', 'notice'] as const;

/** The brakes (docs/design.md §5). */
export const BRAKE_KINDS = ['max-deletions', 'max-percent'] as const;

/** One stack's entry in the plan. */
export interface PlanItem {
  stackId: string;
  verdict: Verdict;
  action: Action;
  status: PlanStatus;
  /** When deletion (or, for `stop`, the stop) becomes allowed (ISO-8601); only for `delete` and `stop`. */
  deleteAfter?: string;
  /** Why a `delete` is not due yet. */
  waitingFor?: (typeof WAITING_FOR)[number];
}

/** Which brake engaged, with the figures behind it. */
export interface Brake {
  kind: (typeof BRAKE_KINDS)[number];
  /** Deletions the plan wanted. */
  due: number;
  /** In-scope stacks the percentage is taken of. */
  inScope: number;
  /** The configured limit (count or percent). */
  limit: number;
}

/** A whole run's plan. Serialises to JSON as is. */
export interface Plan {
  items: PlanItem[];
  /** Stacks due for deletion (0 when a brake engaged). */
  due: number;
  brake: Brake | null;
}

/** Input of plan(): a classification with the stack it is about. */
export interface PlanInput {
  stack: StackFacts;
  classification: Classification;
  /**
   * The advance notice on the MR, when the policy has a notice window and the stack has a known MR:
   * deletion waits until `noticeMs` after the notice was posted (never before it is posted).
   */
  notice?: { postedAt?: string };
}

const HOUR_MS = 3_600_000;

function deletable(verdict: Verdict): verdict is DeletableVerdict {
  return (DELETABLE_VERDICTS as readonly Verdict[]).includes(verdict);
}

/**
 * Decides what happens to every in-scope stack (docs/design.md §4, §5): policy action, grace counted from the
 * verdict's evidence time, `minAgeHours` from the stack's last change, then both brakes on the whole plan.
 * A brake cancels every deletion of the run, never a subset. Pure and deterministic: items are ordered
 * by stack id whatever the input order.
 */
export function plan(inputs: PlanInput[], policy: Policy, limits: Limits, now: number): Plan {
  const items: PlanItem[] = [];
  const sorted = [...inputs].sort((a, b) =>
    a.stack.stackId < b.stack.stackId ? -1 : a.stack.stackId > b.stack.stackId ? 1 : 0,
  );
  for (const { stack, classification, notice } of sorted) {
    const { verdict } = classification;
    const configured = policy.actions[verdict];
    // The config refuses `delete` (and `stop`) for other verdicts; this guard keeps the invariant even
    // if it did not.
    const action: Action =
      (configured === 'delete' && !deletable(verdict)) || (configured === 'stop' && verdict !== 'unused')
        ? 'flag'
        : configured;
    const item: PlanItem = {
      stackId: stack.stackId,
      verdict,
      action,
      status: action === 'delete' || action === 'stop' ? 'due' : action,
    };
    if (action === 'stop') {
      // A stop waits for the stack's minimum age and the notice window, never for a grace: the window of
      // silence was its grace.
      const lastChange = Math.max(
        Date.parse(stack.createdAt),
        Date.parse(stack.updatedAt ?? stack.createdAt),
      );
      const minAge = Number.isNaN(lastChange) ? now : lastChange + policy.minAgeHours * HOUR_MS;
      const noticeAt =
        notice && policy.noticeMs > 0
          ? (notice.postedAt !== undefined ? Date.parse(notice.postedAt) : now) + policy.noticeMs
          : Number.NEGATIVE_INFINITY;
      const after = Math.max(minAge, noticeAt);
      item.deleteAfter = new Date(after).toISOString();
      if (now < after) {
        item.status = 'waiting';
        item.waitingFor = after === noticeAt ? 'notice' : 'min-age';
      }
    }
    if (action === 'delete' && deletable(verdict)) {
      const lastChange = Math.max(
        Date.parse(stack.createdAt),
        Date.parse(stack.updatedAt ?? stack.createdAt),
      );
      const minAgeAt = lastChange + policy.minAgeHours * HOUR_MS;
      const since = classification.since !== undefined ? Date.parse(classification.since) : Number.NaN;
      // No evidence time means no clock to count grace from: start it now, never in the past.
      const graceAt = (Number.isNaN(since) ? now : since) + policy.graceMs[verdict];
      const minAge = Number.isNaN(minAgeAt) ? now : minAgeAt;
      // Not posted yet: it is posted this run, so the window starts now (the time the notice announces).
      const noticeAt =
        notice && policy.noticeMs > 0
          ? (notice.postedAt !== undefined ? Date.parse(notice.postedAt) : now) + policy.noticeMs
          : Number.NEGATIVE_INFINITY;
      const after = Math.max(graceAt, minAge, noticeAt);
      item.deleteAfter = new Date(after).toISOString();
      if (now < after) {
        item.status = 'waiting';
        item.waitingFor = after === noticeAt ? 'notice' : graceAt >= minAge ? 'grace' : 'min-age';
      }
    }
    items.push(item);
  }

  const due = items.filter((i) => i.status === 'due').length;
  const inScope = items.length;
  let brake: Brake | null = null;
  if (due > limits.maxDeletionsPerRun) {
    brake = { kind: 'max-deletions', due, inScope, limit: limits.maxDeletionsPerRun };
  } else if (due > 0 && due * 100 > limits.maxDeletionPercent * inScope) {
    brake = { kind: 'max-percent', due, inScope, limit: limits.maxDeletionPercent };
  }
  if (brake) {
    for (const item of items) if (item.status === 'due') item.status = 'braked';
  }
  return { items, due: brake ? 0 : due, brake };
}
