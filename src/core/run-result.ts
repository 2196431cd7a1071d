import type { ErrorCode } from './error-codes.js';
import type { Leftovers } from './leftovers.js';
import type { Classification, GitLabEvidence, Owner, StackFacts } from './model.js';
import type { Plan, PlanItem } from './plan.js';
import type { UsageReading } from './usage.js';

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
  /** Its usage reading (`usage.enabled`, live stacks only), for the "last used" column and the sparkline. */
  usage?: UsageReading;
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

/**
 * What a run did about an error: `kept` (stacks not deleted), `not-done` (a follow-up write not made),
 * `less-reported` (the report says less than it would have).
 */
export const ERROR_EFFECTS = ['kept', 'not-done', 'less-reported'] as const;

/** An error effect. */
export type ErrorEffect = (typeof ERROR_EFFECTS)[number];

/**
 * A problem met during a run (a lookup while collecting, a safety check or a write while executing),
 * kept in the report instead of aborting the run. Any error makes the run exit 1 (docs/reaping.md,
 * "Degraded runs"). The structured fields say what failed, where, and what it cost.
 */
export interface RunError {
  /** Where, in words (`aws:123456789012/eu-west-1`, `gitlab:project acme/shop branches`). */
  scope: string;
  /** What failed, from the closed vocabulary (`docs/errors.md`). */
  code: ErrorCode;
  message: string;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** The service's own name for it: the AWS error code (`AccessDenied`), a socket error (`ECONNREFUSED`). */
  serviceCode?: string;
  /** The service that failed: `aws`, `gitlab` or `state`. */
  service?: string;
  /** The AWS API operation (`ListImports`) or the GitLab route (`GET /projects/:id/repository/branches`). */
  operation?: string;
  account?: string;
  region?: string;
  /** The GitLab project (path or id). */
  project?: string;
  /** Names of the stacks the failure affected (kept, not deleted, or reported with less). */
  stacks?: string[];
  /** What the run did about it: `kept` (stacks not deleted), `not-done` (a follow-up write not made). */
  effect?: ErrorEffect;
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

/**
 * Which GitLab API served each kind of fact (`gitlab.api`): per capability, how many projects GraphQL
 * and REST each served, and why REST served what GraphQL could not.
 */
export interface GitLabApiReport {
  mode: 'auto' | 'rest' | 'graphql';
  /** POSTs to `/api/graphql`. */
  graphqlRequests: number;
  /** The highest complexity (GitLab's rules) any GraphQL request reached. */
  maxComplexity: number;
  served: Record<string, { graphql: number; rest: number }>;
  fallbacks: Record<string, string>;
}

/** What the usage check of a run read and what it cost (`usage.enabled`). */
export interface UsageReport {
  /** The window, in days. */
  windowDays: number;
  /** Live stacks whose usage was judged. */
  stacks: number;
  /** Readings made in this run; the others were reused from state (within `usage.interval`). */
  read: number;
  reused: number;
  /** Metrics requested from CloudWatch (GetMetricData bills per metric requested). */
  metricsRequested: number;
  /** Calls made: GetMetricData, GetResources pages, GetRestApis pages. */
  calls: { getMetricData: number; getResources: number; getRestApis: number };
  /** Stacks judged unused. */
  unused: number;
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
  /** Which GitLab API served what (absent: REST only, `gitlab.api: rest`). */
  gitlabApi?: GitLabApiReport;
  /** The usage check (`usage.enabled`). */
  usage?: UsageReport;
}
