import { describeFailure } from '../errors/failure.js';
import type { AwsClients } from './clients.js';
import type { AwsProbes } from './ports.js';
import { createAwsDeletionReader } from './stacks.js';

/**
 * The reads `env-reaper doctor` makes to prove each IAM permission a configured feature needs, one small
 * call each (a page of one item where the API pages). Read-only: a write permission (DeleteStack,
 * DeleteObjects, BatchDeleteImage) cannot be proven without writing, and doctor says so.
 */

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
        if (describeFailure(error).serviceCode === 'RepositoryNotFoundException')
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
    async getRestApis(target, region) {
      const { GetRestApisCommand } = await import('@aws-sdk/client-api-gateway');
      const out = await (await clients.apigateway(target, region)).send(new GetRestApisCommand({ limit: 1 }));
      return out.items?.length ?? 0;
    },
    async getMetricData(target, region) {
      const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
      const end = new Date();
      const out = await (await clients.cloudwatch(target, region)).send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            {
              Id: 'probe',
              MetricStat: {
                Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' },
                Period: 86_400,
                Stat: 'Sum',
              },
            },
          ],
          StartTime: new Date(end.getTime() - 86_400_000),
          EndTime: end,
        }),
      );
      return out.MetricDataResults?.length ?? 0;
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
