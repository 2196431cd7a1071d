import type { Leftovers } from './leftovers.js';
import type { Classification, GitLabEvidence, Owner, StackFacts } from './model.js';
import type { Plan, PlanItem } from './plan.js';

/**
 * The data a run produces: what collection found, how each stack was classified and planned. The audit
 * builds it, reports render it, the executor acts on it, so it belongs to none of them.
 */

/** One in-scope stack with everything known about it. */
export interface EnvironmentRecord {
  stack: StackFacts;
  owner: Owner;
  evidence: GitLabEvidence;
  classification: Classification;
  plan: PlanItem;
}

/** One GitLab environment reported beside the stacks (a ghost or a stuck one). */
export interface EnvironmentFinding {
  projectId: number;
  projectPath: string;
  id: number;
  name: string;
  state: string;
  updatedAt?: string;
}

/** A problem met while collecting, kept in the report instead of aborting the run. */
export interface RunError {
  scope: string;
  code: string;
  message: string;
}

/** Ghost and stuck environments of the projects a run read. */
export interface EnvironmentFindings {
  ghosts: EnvironmentFinding[];
  stuck: EnvironmentFinding[];
  errors: RunError[];
}

/** A stack without ownership: listed, never touched. */
export interface UnmanagedStack {
  name: string;
  stackId: string;
  account: string;
  region: string;
}

/** A run's complete result; reports render it, the executor acts on it. */
export interface RunResult {
  runId: string;
  generatedAt: string;
  now: number;
  mode: 'dry-run' | 'apply';
  scanned: { account: string; region: string }[];
  stacksScanned: number;
  nested: number;
  unmanaged: UnmanagedStack[];
  environments: EnvironmentRecord[];
  plan: Plan;
  errors: RunError[];
  /** Ghost and stuck GitLab environments (`notify.ghostEnvironments`). */
  environmentFindings?: EnvironmentFindings;
  /** Monthly cost per stack id (`cost.enabled`); `known: false` when the tag is not activated or CE failed. */
  costs?: { known: boolean; monthly: Record<string, number> };
  /** What environments deleted by this run or earlier ones left behind (`reap`, `leftovers.enabled`). */
  leftovers?: Leftovers;
}
