import { classify } from '../core/classify.js';
import { mergeRequestFor } from '../core/match.js';
import type {
  Classification,
  Evidence,
  GitLabEvidence,
  Owner,
  StackFacts,
  StackSnapshot,
  Verdict,
} from '../core/model.js';
import type { PlanInput } from '../core/plan.js';
import type { Policy } from '../core/policy.js';
import type { UsageReading } from '../core/usage.js';

/**
 * The one way a run turns a stack and its evidence into a classification and a plan input. The audit
 * uses it for every stack, the executor's re-check for one stack right before its deletion: both must
 * ask the same question, or a re-check could answer "due" where the plan said "waiting".
 */

/** What earlier runs remember about stacks (from state): grace clocks, dashboard keeps, notices. */
export interface RunMemory {
  /** First-seen times per stack and verdict (grace clocks). */
  firstSeen?: ((stackId: string) => Partial<Record<Verdict, string>> | undefined) | undefined;
  /** Kept from the dashboard issue until (ISO). */
  keptUntil?: ((stackId: string) => string | undefined) | undefined;
  /** When the advance notice for this stack and verdict was posted. */
  noticePostedAt?: ((stackId: string, verdict: Verdict) => string | undefined) | undefined;
  /** The last usage reading of a stack and the stack change it was read for (`usage.interval`). */
  usageCache?: ((stackId: string) => { reading: UsageReading; lastChange: string } | undefined) | undefined;
}

/** A stack judged: its snapshot, its classification and what the planner gets. */
export interface Judged {
  snapshot: StackSnapshot;
  classification: Classification;
  input: PlanInput;
}

/** Classifies one stack with what earlier runs remember, and builds its plan input. */
export function judge(
  stack: StackFacts,
  owner: Owner,
  evidence: GitLabEvidence,
  memory: RunMemory,
  policy: Policy,
  now: number,
  usage?: Evidence<UsageReading>,
): Judged {
  const snapshot: StackSnapshot = { stack, owner, gitlab: evidence };
  if (usage) snapshot.usage = usage;
  const seen = memory.firstSeen?.(stack.stackId);
  if (seen) snapshot.firstSeen = seen;
  const kept = memory.keptUntil?.(stack.stackId);
  if (kept) snapshot.keptUntil = kept;
  const classification = classify(snapshot, policy, now);
  const input: PlanInput = { stack, classification };
  // The notice window applies where a notice can be posted: a stack with a known MR.
  if (policy.noticeMs > 0 && mergeRequestFor(owner, evidence) !== undefined) {
    const postedAt = memory.noticePostedAt?.(stack.stackId, classification.verdict);
    input.notice = postedAt !== undefined ? { postedAt } : {};
  }
  return { snapshot, classification, input };
}
