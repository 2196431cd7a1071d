import type { AccountTarget, AwsClients } from './clients.js';
import { createAwsDeletionReader } from './stacks.js';

/**
 * The reads `env-reaper doctor` makes to prove each IAM permission a configured feature needs, one small
 * call each (a page of one item where the API pages). Read-only: a write permission (DeleteStack,
 * DeleteObjects, BatchDeleteImage) cannot be proven without writing, and doctor says so.
 */

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
  describeLogGroups(target: AccountTarget, region: string): Promise<number>;
  /** GetCostAndUsageWithResources for yesterday (resource-level data, for leftovers' cost). */
  costByResource(target: AccountTarget): Promise<void>;
}

/** The SDK-backed probes, on the run's clients (same credentials, timeouts and retries). */
export function createAwsProbes(clients: AwsClients): AwsProbes {
  const deletion = createAwsDeletionReader(clients);
  return {
    async describeStacks(target, region) {
      const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
      const out = await clients.cloudFormation(target, region).send(new DescribeStacksCommand({}));
      const sample = out.Stacks?.find((s) => s.StackStatus !== 'DELETE_COMPLETE')?.StackId;
      return { count: out.Stacks?.length ?? 0, ...(sample ? { sampleStackId: sample } : {}) };
    },
    async listExports(target, region) {
      const { ListExportsCommand } = await import('@aws-sdk/client-cloudformation');
      const out = await clients.cloudFormation(target, region).send(new ListExportsCommand({}));
      const sample = out.Exports?.[0]?.Name;
      return { count: out.Exports?.length ?? 0, ...(sample ? { sampleExport: sample } : {}) };
    },
    async listImports(target, region, exportName) {
      return (await deletion.listImports(target, region, exportName)).length;
    },
    async describeStackEvents(target, region, stackId) {
      const { DescribeStackEventsCommand } = await import('@aws-sdk/client-cloudformation');
      const out = await clients
        .cloudFormation(target, region)
        .send(new DescribeStackEventsCommand({ StackName: stackId }));
      return out.StackEvents?.length ?? 0;
    },
    async listStackResources(target, region, stackId) {
      const { ListStackResourcesCommand } = await import('@aws-sdk/client-cloudformation');
      const out = await clients
        .cloudFormation(target, region)
        .send(new ListStackResourcesCommand({ StackName: stackId }));
      return (out.StackResourceSummaries ?? []).map((r) => ({
        type: r.ResourceType ?? '',
        physicalId: r.PhysicalResourceId ?? '',
      }));
    },
    async listObjectVersions(target, region, bucket) {
      const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
      const out = await (await clients.s3(target, region)).send(
        new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }),
      );
      return (out.Versions?.length ?? 0) + (out.DeleteMarkers?.length ?? 0);
    },
    async describeImages(target, region, repository) {
      const { DescribeImagesCommand } = await import('@aws-sdk/client-ecr');
      try {
        const out = await (await clients.ecr(target, region)).send(
          new DescribeImagesCommand({ repositoryName: repository, maxResults: 1 }),
        );
        return `${out.imageDetails?.length ?? 0} images of ${repository} on a page of one`;
      } catch (error) {
        if ((error as Error).name === 'RepositoryNotFoundException')
          return `allowed (${repository} does not exist: RepositoryNotFoundException)`;
        throw error;
      }
    },
    async getResources(target, region) {
      const { GetResourcesCommand } = await import('@aws-sdk/client-resource-groups-tagging-api');
      const out = await (await clients.tagging(target, region)).send(
        new GetResourcesCommand({ ResourcesPerPage: 1 }),
      );
      return out.ResourceTagMappingList?.length ?? 0;
    },
    async describeRepositories(target, region) {
      const { DescribeRepositoriesCommand } = await import('@aws-sdk/client-ecr');
      const out = await (await clients.ecr(target, region)).send(
        new DescribeRepositoriesCommand({ maxResults: 1 }),
      );
      return out.repositories?.length ?? 0;
    },
    async describeLogGroups(target, region) {
      const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
      const out = await (await clients.logs(target, region)).send(new DescribeLogGroupsCommand({ limit: 1 }));
      return out.logGroups?.length ?? 0;
    },
    async costByResource(target) {
      const { GetCostAndUsageWithResourcesCommand } = await import('@aws-sdk/client-cost-explorer');
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      await (await clients.costExplorer(target)).send(
        new GetCostAndUsageWithResourcesCommand({
          TimePeriod: { Start: day(-1), End: day(0) },
          Granularity: 'DAILY',
          Metrics: ['UnblendedCost'],
          Filter: { Dimensions: { Key: 'SERVICE', Values: ['Amazon Simple Storage Service'] } },
        }),
      );
    },
  };
}
