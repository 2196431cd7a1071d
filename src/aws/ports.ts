import type { TagFilter } from '../core/leftovers.js';
import type { StackFacts } from '../core/model.js';

/**
 * The aws layer's map of the outside world: every read and write env-reaper makes against AWS, as the
 * rest of the code sees it. The implementations (`stacks.ts`, `writer.ts`, `leftovers.ts`, `cost.ts`,
 * `probes.ts`) are the only files that import the AWS SDK; tests pass fakes of these interfaces.
 * Read side first, then the write side.
 */

/** One resource the usage listing found: its ARN, tagging type and CloudFormation tags. */
export interface UsageHit {
  arn: string;
  /** The tagging API's resource type it was listed under (`elasticloadbalancing:loadbalancer`). */
  type: string;
  /** `aws:cloudformation:stack-id` (the stack's ARN), when tagged. */
  stackId?: string;
  /** `aws:cloudformation:stack-name`. */
  stackName?: string;
}

/** One metric's daily sums as CloudWatch answered them. */
export interface MetricSeries {
  /** Timestamps (ms) and sums, as many as CloudWatch had datapoints. */
  points: { at: number; sum: number }[];
  /** `Complete` on the last page: every datapoint was returned. */
  complete: boolean;
}

/** The usage reads (`usage.enabled`): one listing per account × region, metrics in batches. */
export interface AwsUsageReader {
  /**
   * Every resource of these tagging types carrying the stack-name tag CloudFormation propagates
   * (GetResources, pages of 100).
   */
  listResources(
    target: AccountTarget,
    region: string,
    types: readonly string[],
  ): Promise<{ hits: UsageHit[]; pages: number }>;
  /** REST API id → name (GetRestApis, pages of 500): the `ApiName` dimension needs the name. */
  restApiNames(target: AccountTarget, region: string): Promise<{ names: Map<string, string>; pages: number }>;
  /**
   * Daily sums of up to 500 metrics (GetMetricData, following NextToken); keyed by query id. Also says
   * how many calls it made.
   */
  metricData(
    target: AccountTarget,
    region: string,
    queries: { id: string; namespace: string; metric: string; dimensions: Record<string, string> }[],
    start: number,
    end: number,
  ): Promise<{ series: Map<string, MetricSeries>; calls: number }>;
}

/** One account to scan, as configured (or the ambient one). */
export interface AccountTarget {
  /** Configured id; `undefined` for the ambient account (whatever the credentials say). */
  id?: string | undefined;
  roleArn?: string | undefined;
  externalId?: string | undefined;
  regions: string[];
}

/** The AWS read side; tests swap it. */
export interface AwsReader {
  /** The account id the credentials of this target belong to (STS GetCallerIdentity). */
  callerAccount(target: AccountTarget): Promise<string>;
  /** Every live stack of the account × region. */
  listStacks(target: AccountTarget, account: string, region: string): Promise<StackFacts[]>;
}

/** A failed resource of a deletion, from the stack events. */
export interface FailedResource {
  logicalId: string;
  type: string;
  reason: string;
}

/** What a leftover's own service says right before its deletion (docs/leftovers.md). */
export interface LeftoverInspection {
  exists: boolean;
  /** Its tags as its service has them now (the tagging index lags). */
  tags: Record<string, string>;
  /** S3: MFA delete is enabled, so no version can be deleted without an MFA token. */
  mfaDelete?: boolean;
  /** ECR: the latest pull of any of its images (`lastRecordedPullTime`). */
  lastPulledAt?: string;
}

/** The reads the executor makes around a deletion (docs/reaping.md). */
export interface AwsDeletionReader {
  /** A leftover re-read right before its deletion: existence, tags, what would stop it. */
  inspectLeftover(
    target: AccountTarget,
    region: string,
    arn: string,
    type: string,
  ): Promise<LeftoverInspection>;
  callerAccount(target: AccountTarget): Promise<string>;
  /** Re-reads a stack by its ARN (deleted stacks too); `null` when AWS does not know it. */
  describeStack(target: AccountTarget, region: string, stackId: string): Promise<StackFacts | null>;
  /** Exports of the region: name and exporting stack. */
  listExports(target: AccountTarget, region: string): Promise<{ name: string; exportingStackId: string }[]>;
  /** Names of the stacks importing an export; `[]` when none. */
  listImports(target: AccountTarget, region: string, exportName: string): Promise<string[]>;
  /** Resources that failed in the latest deletion (newest events first, up to its DELETE_IN_PROGRESS). */
  failedResources(target: AccountTarget, region: string, stackId: string): Promise<FailedResource[]>;
  /** The stack's own resources with their physical ids (ListStackResources): what the stack owns. */
  stackResources(target: AccountTarget, region: string, stackId: string): Promise<StackResource[]>;
}

/** One resource of a stack, as ListStackResources reports it. */
export interface StackResource {
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
}

/** One GetResources hit. */
export interface TaggedHit {
  arn: string;
  type: string;
  tags: Record<string, string>;
}

/** What the owning service says about a hit. */
export type Existence = { state: 'exists'; createdAt?: string } | { state: 'gone' } | { state: 'unverified' };

/** The leftover reads. */
export interface AwsLeftoverReader {
  /** Every resource of the region carrying all these tags (paged). */
  tagged(target: AccountTarget, region: string, filters: TagFilter[]): Promise<TaggedHit[]>;
  /** Asks the resource's service whether it exists: S3 buckets, ECR repositories and log groups. */
  exists(target: AccountTarget, region: string, hit: TaggedHit): Promise<Existence>;
}

/** One read of a permission probe; what it found, in a few words. */
export interface AwsProbes {
  /** DescribeStacks (first page): the stacks on it, and one stack id to probe the per-stack reads. */
  describeStacks(target: AccountTarget, region: string): Promise<{ count: number; sampleStackId?: string }>;
  /** ListExports (first page): the first export's name, to probe ListImports. */
  listExports(target: AccountTarget, region: string): Promise<{ count: number; sampleExport?: string }>;
  listImports(target: AccountTarget, region: string, exportName: string): Promise<number>;
  describeStackEvents(target: AccountTarget, region: string, stackId: string): Promise<number>;
  /** ListStackResources (first page): the resources, to find a bucket or repository to probe. */
  listStackResources(
    target: AccountTarget,
    region: string,
    stackId: string,
  ): Promise<{ type: string; physicalId: string }[]>;
  /** ListObjectVersions of one key (empty-and-retry lists a failed bucket's versions). */
  listObjectVersions(target: AccountTarget, region: string, bucket: string): Promise<number>;
  /**
   * DescribeImages of one image (empty-and-retry lists a failed repository's images). A repository that
   * does not exist answers RepositoryNotFoundException only when the action is allowed, so any name under
   * the policy's resource pattern proves it.
   */
  describeImages(target: AccountTarget, region: string, repository: string): Promise<string>;
  /** Resource Groups Tagging API GetResources, one page of one item. */
  getResources(target: AccountTarget, region: string): Promise<number>;
  describeRepositories(target: AccountTarget, region: string): Promise<number>;
  /** API Gateway GetRestApis, one page of one item. */
  getRestApis(target: AccountTarget, region: string): Promise<number>;
  /** CloudWatch GetMetricData of one metric over the last day (a metric nobody published answers too). */
  getMetricData(target: AccountTarget, region: string): Promise<number>;
  describeLogGroups(target: AccountTarget, region: string): Promise<number>;
  /** GetCostAndUsageWithResources for yesterday (resource-level data, for leftovers' cost). */
  costByResource(target: AccountTarget): Promise<void>;
}

/** What emptying one bucket or repository removed. */
export interface Emptied {
  /** Object versions (unversioned objects count as one version each) or images. */
  removed: number;
  /** Delete markers removed (versioned buckets). */
  deleteMarkers: number;
  /** Bytes of the versions or images removed. */
  bytes: number;
  /** Per-item failures AWS reported (`DeleteObjects` Errors, `BatchDeleteImage` failures); first few. */
  errors: string[];
}

/**
 * The AWS writes. Only src/executor (the executor) calls them: `DeleteStack`, and, for
 * `onDeleteFailed: empty-and-retry`, emptying a bucket or repository the failed stack owns.
 */
export interface AwsWriter {
  deleteStack(
    target: AccountTarget,
    region: string,
    stackId: string,
    options: { token: string; retainResources?: string[]; force?: boolean },
  ): Promise<void>;
  /**
   * Deletes every object version and delete marker of a bucket: ListObjectVersions pages of 1,000, one
   * DeleteObjects each; `onBatch` after each (progress).
   */
  emptyBucket(
    target: AccountTarget,
    region: string,
    bucket: string,
    onBatch?: (so: Emptied) => void,
  ): Promise<Emptied>;
  /** DeleteBucket (it must be empty: `BucketNotEmpty` otherwise). */
  deleteBucket(target: AccountTarget, region: string, bucket: string): Promise<void>;
  /** DeleteRepository with `force`: its images go with it. */
  deleteRepository(target: AccountTarget, region: string, repository: string): Promise<void>;
  /** DeleteLogGroup: the group and its log streams. */
  deleteLogGroup(target: AccountTarget, region: string, logGroup: string): Promise<void>;
  /** Deletes every image of an ECR repository (batches of 100). */
  emptyRepository(target: AccountTarget, region: string, repository: string): Promise<Emptied>;
}

/** Cost per tag value, or `null` when the tag is not activated for cost allocation. */
export type CostByTag = Map<string, number> | null;

/** The Cost Explorer read side. */
export interface CostReader {
  costByTag(target: AccountTarget, tagKey: string, start: string, end: string): Promise<CostByTag>;
  /**
   * Cost per resource id (`GetCostAndUsageWithResources`, daily, at most the last 14 days; needs
   * resource-level data enabled in Cost Explorer's settings). Ids no cost was found for are absent.
   */
  costByResource(
    target: AccountTarget,
    ids: string[],
    start: string,
    end: string,
  ): Promise<Map<string, number>>;
}
