import type { ErrorCode } from './error-codes.js';
import type { UsageReading } from './usage.js';
/**
 * The data model shared by every stage of the pipeline (docs/design.md §2). Everything here is plain,
 * JSON-serialisable data: timestamps are ISO-8601 strings, never `Date` objects, so a snapshot can be
 * written to disk, diffed and replayed through `classify()` byte for byte.
 */

/** Every verdict env-reaper can give a stack (docs/design.md §4), in rule order: the first that applies wins. */
export const VERDICTS = [
  'protected',
  'busy',
  'delete-failed',
  'unknown',
  'unowned',
  'project-gone',
  'merged',
  'branch-deleted',
  'abandoned',
  'idle',
  'unused',
  'active',
] as const;

/** A stable verdict code. */
export type Verdict = (typeof VERDICTS)[number];

/** Verdicts for which a `delete` action may be configured at all (docs/design.md §4). */
export const DELETABLE_VERDICTS = [
  'merged',
  'branch-deleted',
  'abandoned',
  'idle',
  'project-gone',
  'unowned',
  'delete-failed',
] as const satisfies readonly Verdict[];

/** A verdict that may carry the `delete` action. */
export type DeletableVerdict = (typeof DELETABLE_VERDICTS)[number];

/**
 * What the policy can do with a verdict. `stop` (only `unused`, `policy.unused`) stops the environment
 * through its own `on_stop` job and never calls DeleteStack.
 */
export const ACTIONS = ['keep', 'flag', 'delete', 'stop'] as const;

/** What the policy does with a verdict. */
export type Action = (typeof ACTIONS)[number];

/** Stable reason codes. Reports, logs, tests and `explain` key on these; never rename one. */
export const REASON_CODES = [
  'KEEP_TAG',
  'KEEP_TAG_EXPIRED',
  'TERMINATION_PROTECTION',
  'PROTECTED_STACK_NAME',
  'DEFAULT_BRANCH',
  'PROTECTED_BRANCH',
  'PROTECTED_TIER',
  'MR_KEEP_LABEL',
  'DASHBOARD_KEEP',
  'STACK_BUSY',
  'STACK_DELETE_FAILED',
  'STACK_INCOMPLETE',
  'GITLAB_ERROR',
  'PROJECT_UNRESOLVED',
  'PROJECT_NOT_FOUND',
  'PROJECT_ARCHIVED',
  'MR_MERGED',
  'MR_OPEN',
  'MR_CLOSED',
  'BRANCH_NOT_FOUND',
  'BRANCH_EXISTS',
  'REF_SLUG_AMBIGUOUS',
  'NO_MR',
  'REF_UNRESOLVED',
  'IDLE',
  'RECENT_ACTIVITY',
  'NO_TRAFFIC',
  'RECENT_TRAFFIC',
  'USAGE_UNKNOWN',
] as const;

/** A stable reason code. */
export type ReasonCode = (typeof REASON_CODES)[number];

/** One piece of evidence behind a verdict. */
export interface Reason {
  /** Stable machine code. */
  code: ReasonCode;
  /** Human-readable detail; free text, never parsed. */
  detail: string;
  /** When the fact happened (ISO-8601), if it has a time (e.g. `merged_at`). */
  at?: string;
}

/** A CloudFormation stack as the collector saw it. */
export interface StackFacts {
  account: string;
  region: string;
  /** Full stack ARN; the only stable identity (names are reused after deletion). */
  stackId: string;
  name: string;
  status: string;
  statusReason?: string;
  /**
   * What the status reason says where CloudFormation has no code for it, read once at the AWS boundary:
   * `EXPORT_IN_USE` ("Export … cannot be deleted as it is in use by …").
   */
  statusCause?: 'EXPORT_IN_USE';
  /** `CreationTime`; empty when AWS did not send it (then `missing` names it). */
  createdAt: string;
  /**
   * Fields AWS's answer lacked that a verdict needs (`CreationTime`, `StackId`, `StackName`,
   * `StackStatus`): the stack is `unknown` (`STACK_INCOMPLETE`), never given a default.
   */
  missing?: string[];
  /** `LastUpdatedTime`; absent when the stack was never updated. */
  updatedAt?: string;
  /** Set on nested stacks only. */
  parentId?: string;
  rootId?: string;
  tags: Record<string, string>;
  terminationProtection: boolean;
}

/** How a stack was tied to GitLab (docs/design.md §3). */
export interface Owner {
  projectId?: number;
  projectPath?: string;
  /** Exact branch name, when the deploy job tagged it. */
  ref?: string;
  /** `CI_COMMIT_REF_SLUG`; may match several branches. */
  refSlug?: string;
  environment?: string;
  environmentSlug?: string;
  mrIid?: number;
  matchedBy: 'tags' | 'name-pattern';
  /** Name-pattern match whose project could not be mapped to a path or id. */
  unresolved?: boolean;
}

/** The project key the GitLab collector uses: the numeric id when known, else the full path. */
export function projectKey(owner: Owner): string | undefined {
  if (owner.projectId !== undefined) return String(owner.projectId);
  return owner.projectPath;
}

/** A GitLab project. */
export interface ProjectFacts {
  id: number;
  path: string;
  defaultBranch?: string;
  archived: boolean;
}

/** A GitLab branch. */
export interface BranchFacts {
  name: string;
  protected: boolean;
  default: boolean;
  /** Last commit's `committed_date`. */
  committedAt?: string;
}

/** A GitLab merge request. */
export interface MergeRequestFacts {
  iid: number;
  sourceBranch: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  createdAt?: string;
  updatedAt?: string;
  mergedAt?: string;
  closedAt?: string;
  author?: string;
  webUrl?: string;
  labels?: string[];
}

/** A GitLab environment. */
export interface EnvironmentFacts {
  id: number;
  name: string;
  slug?: string;
  state: string;
  tier?: string;
  /** `last_deployment.created_at`, when it was read (else `updated_at`). */
  lastDeployedAt?: string;
  updatedAt?: string;
  lastDeploymentRef?: string;
}

/** A failed read: the reason a piece of evidence is missing. */
export interface EvidenceError {
  /** What failed, from the closed vocabulary (`docs/errors.md`). */
  code: ErrorCode;
  message: string;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** The service's own name for it (an AWS error code, a socket error). */
  serviceCode?: string;
  /** The GitLab route that failed (`GET /projects/:id/repository/branches`), when known. */
  operation?: string;
  /** The run error that reported this failure (its scope), so a report can name the stacks it hit. */
  scope?: string;
}

/** Evidence that was either read or could not be read. A missing value is never guessed. */
export type Evidence<T> = { ok: true; value: T } | { ok: false; error: EvidenceError };

/**
 * What GitLab says about the owner of one stack. Each field is only present when the collector was asked
 * for it; classify() treats an absent field it needs as unreadable.
 */
export interface GitLabEvidence {
  /** `null` value: the project answered 404 (gone, or invisible to this token). */
  project?: Evidence<ProjectFacts | null>;
  /**
   * The branches this stack may belong to: the exact `ref`, or every branch whose slug equals `refSlug`.
   * An empty list means: no such branch exists.
   */
  branches?: Evidence<BranchFacts[]>;
  /** Every MR whose source branch is one of the candidate refs (any state). */
  mergeRequests?: Evidence<MergeRequestFacts[]>;
  /** The environment named by the stack's tag; `null` when it does not exist. */
  environment?: Evidence<EnvironmentFacts | null>;
  /**
   * The MR named by the `mr-iid` tag, read only when nothing else names the ref (no ref, ref slug or
   * deployed ref): its source branch then stands in for the ref.
   */
  taggedMergeRequest?: Evidence<MergeRequestFacts | null>;
}

/** Everything known about one stack: the input to classify(). */
export interface StackSnapshot {
  stack: StackFacts;
  /** `undefined` when the stack is out of scope (no ownership tag, no name pattern): `unmanaged`. */
  owner?: Owner;
  gitlab: GitLabEvidence;
  /** First time the stack was seen in each verdict (from state), ISO-8601. */
  firstSeen?: Partial<Record<Verdict, string>>;
  /** A person ticked "keep" for this stack on the dashboard issue: kept until then (ISO). */
  keptUntil?: string;
  /**
   * Its resources' request metrics (`usage.enabled`), read only for stacks whose branch and MR are alive;
   * absent: not read, and the stack is judged without it.
   */
  usage?: Evidence<UsageReading>;
}

/** The classification of one stack. */
export interface Classification {
  stackId: string;
  verdict: Verdict;
  reasons: Reason[];
  /**
   * When the verdict's clock started (ISO-8601): `merged_at` for `merged`, the grace anchor for
   * `branch-deleted`, the last activity for `idle`… The planner counts grace from here.
   */
  since?: string;
}
