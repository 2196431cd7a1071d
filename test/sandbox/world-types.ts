/**
 * The shapes of the sandbox's world: what it records (requests, writes, events) and what it holds
 * (stacks, projects, MRs, environments, issues). `world.ts` re-exports them.
 */

/** One request the sandbox served. */
export interface RequestRecord {
  seq: number;
  at: string;
  service: 'aws' | 'gitlab';
  /** AWS: `cloudformation:DescribeStacks`; GitLab: `GET /projects/:id/repository/branches`. */
  operation: string;
  status: number;
  /** AWS: account/region; GitLab: the request path. */
  target?: string;
  /** The client's User-Agent (env-reaper sends `env-reaper/<version>`; test harness calls do not). */
  agent?: string;
}

/** One write the sandbox accepted (the ground truth for e2e assertions). */
export interface WriteRecord {
  seq: number;
  at: string;
  service: 'aws' | 'gitlab';
  operation: string;
  /** Stack ARN, or the GitLab resource path. */
  target: string;
  params?: Record<string, unknown>;
}

/** A stack event. */
export interface StackEvent {
  eventId: string;
  logicalId: string;
  physicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
  timestamp: string;
  clientRequestToken?: string;
}

/** What the sandbox's CloudWatch knows about one resource's requests. */
export interface ResourceTraffic {
  /** Requests at these times (ms). */
  hits: { at: number; n: number }[];
  /** Requests every day since creation. */
  daily?: number;
  zeroDatapoints: boolean;
  metricStatus?: 'Complete' | 'PartialData' | 'InternalError' | 'Forbidden';
  untagged: boolean;
  protocol: 'HTTP' | 'WEBSOCKET';
  lbType: 'application' | 'network' | 'gateway';
}

/** A live or deleted stack in the sandbox. */
export interface SandboxStack {
  account: string;
  region: string;
  stackId: string;
  name: string;
  status: string;
  statusReason?: string;
  createdAt: string;
  updatedAt?: string;
  deletedAt?: string;
  tags: Record<string, string>;
  terminationProtection: boolean;
  parentId?: string;
  rootId?: string;
  exports: { name: string; value: string }[];
  imports: string[];
  resources: {
    logicalId: string;
    type: string;
    status: string;
    physicalId: string;
    retain: boolean;
    /** Traffic-bearing resources (usage): what CloudWatch knows of them. */
    usage?: ResourceTraffic;
  }[];
  /** Logical ids that failed in the latest deletion attempt. */
  failedNow?: string[];
  deletion: {
    outcome: 'complete' | 'failed' | 'hang';
    ms: number;
    failedResources: { logicalId: string; type: string; reason: string }[];
  };
  /** Set while DELETE_IN_PROGRESS: when it started, what status to fall back to, the mode. */
  deleting?: { startedAt: number; previousStatus: string; retain: string[]; force: boolean; token?: string };
  events: StackEvent[];
  monthlyCost?: number;
}

/** GitLab objects, stored close to the wire shape. */
export interface SandboxProject {
  id: number;
  path: string;
  /** Paths before a rename or transfer (answered with a 301). */
  formerPaths: string[];
  defaultBranch: string;
  archived: boolean;
  /** An ancestor group is archived (GraphQL's `archived` counts it since GitLab 18.6; REST's does not). */
  ancestorArchived: boolean;
  visible: boolean;
  createdAt: string;
  branches: Map<string, { name: string; protected: boolean; committedAt: string; merged: boolean }>;
  /** Protected branch rules (names or `*` patterns) beyond the branches marked protected. */
  protectedBranchRules: string[];
  /** Sorted branch names (explicit + synthetic). */
  branchNames: string[];
  mergeRequests: SandboxMergeRequest[];
  environments: SandboxEnvironment[];
  issues: SandboxIssue[];
  labels: { id: number; name: string; color: string }[];
}

export interface SandboxMergeRequest {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  sourceBranch: string;
  targetBranch: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
  closedAt: string | null;
  labels: string[];
  notes: { id: number; body: string; author: string; createdAt: string; system: boolean }[];
}

export interface SandboxEnvironment {
  id: number;
  name: string;
  slug: string;
  state: 'available' | 'stopping' | 'stopped';
  tier: string;
  createdAt: string;
  updatedAt: string;
  lastDeployment?: { ref: string; at: string; status: string };
  hasStopAction: boolean;
  /** The `on_stop` job's behaviour (scenario), and when a stop without force started it. */
  onStop?: { outcome: 'delete-stack' | 'fail' | 'never-start'; afterSeconds: number; stacks?: string[] };
  stopJobStartedAt?: number;
}

export interface SandboxIssue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  labels: string[];
  createdAt: string;
  updatedAt: string;
}
