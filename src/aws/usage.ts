import { STACK_ID_TAG, STACK_NAME_TAG } from '../core/usage.js';
import type { AwsClients } from './clients.js';
import type { AwsUsageReader, MetricSeries, UsageHit } from './ports.js';

/**
 * The reads behind usage (docs/usage.md): the stacks' resources through the Resource Groups Tagging
 * API (one listing per account × region, filtered on the tag CloudFormation propagates and the
 * resource types the usage table knows), the REST APIs' names (`GetRestApis`, only where a REST API
 * was found), and their request metrics (`GetMetricData`, up to 500 queries a call, one datapoint a day).
 */

/** GetMetricData's ceiling on queries per call. */
export const METRICS_PER_CALL = 500;

/** GetMetricData's queries: each metric's daily sum (period one day, `Sum`). */
export function metricDataQueries(
  queries: { id: string; namespace: string; metric: string; dimensions: Record<string, string> }[],
) {
  return queries.map((q) => ({
    Id: q.id,
    MetricStat: {
      Metric: {
        Namespace: q.namespace,
        MetricName: q.metric,
        Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: 86_400,
      Stat: 'Sum',
    },
    ReturnData: true,
  }));
}

/** The SDK-backed usage reads. */
export function createAwsUsageReader(clients: AwsClients): AwsUsageReader {
  return {
    async listResources(target, region, types) {
      const { GetResourcesCommand } = await import('@aws-sdk/client-resource-groups-tagging-api');
      const client = await clients.tagging(target, region);
      const out: UsageHit[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        pages++;
        const page = await client.send(
          new GetResourcesCommand({
            TagFilters: [{ Key: STACK_NAME_TAG }],
            ResourceTypeFilters: [...types],
            ResourcesPerPage: 100,
            ...(token ? { PaginationToken: token } : {}),
          }),
        );
        for (const m of page.ResourceTagMappingList ?? []) {
          if (!m.ResourceARN) continue;
          const tag = (key: string) => m.Tags?.find((t) => t.Key === key)?.Value;
          const hit: UsageHit = { arn: m.ResourceARN, type: typeOf(m.ResourceARN, types) };
          const stackId = tag(STACK_ID_TAG);
          const stackName = tag(STACK_NAME_TAG);
          if (stackId) hit.stackId = stackId;
          if (stackName) hit.stackName = stackName;
          out.push(hit);
        }
        // An empty string ends the listing.
        token = page.PaginationToken || undefined;
      } while (token);
      return { hits: out, pages };
    },

    async restApiNames(target, region) {
      const { GetRestApisCommand } = await import('@aws-sdk/client-api-gateway');
      const client = await clients.apigateway(target, region);
      const names = new Map<string, string>();
      let position: string | undefined;
      let pages = 0;
      do {
        pages++;
        const page = await client.send(
          new GetRestApisCommand({ limit: 500, ...(position ? { position } : {}) }),
        );
        for (const api of page.items ?? []) if (api.id && api.name) names.set(api.id, api.name);
        position = page.position || undefined;
      } while (position);
      return { names, pages };
    },

    async metricData(target, region, queries, start, end) {
      const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
      const client = await clients.cloudwatch(target, region);
      const series = new Map<string, MetricSeries>();
      let calls = 0;
      let token: string | undefined;
      do {
        calls++;
        const page = await client.send(
          new GetMetricDataCommand({
            MetricDataQueries: metricDataQueries(queries),
            StartTime: new Date(start),
            EndTime: new Date(end),
            ScanBy: 'TimestampAscending',
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const r of page.MetricDataResults ?? []) {
          if (!r.Id) continue;
          const s = series.get(r.Id) ?? { points: [], complete: false };
          const at = r.Timestamps ?? [];
          for (const [i, t] of at.entries()) s.points.push({ at: t.getTime(), sum: r.Values?.[i] ?? 0 });
          // The status of the last page that carried the query is the one that counts.
          s.complete = r.StatusCode === 'Complete';
          series.set(r.Id, s);
        }
        token = page.NextToken || undefined;
      } while (token);
      return { series, calls };
    },
  };
}

/**
 * The tagging type of an ARN among the types asked for: `service:resource-type` from the ARN, matched
 * against the list (`elasticloadbalancing:loadbalancer` for `…:loadbalancer/app/…`).
 */
function typeOf(arn: string, types: readonly string[]): string {
  const parts = arn.split(':');
  const service = parts[2] ?? '';
  const resource = parts.slice(5).join(':');
  const found = types.find((t) => {
    const [svc, kind] = t.split(':');
    if (svc !== service) return false;
    const head = resource.replace(/^\//, '').split(/[/:]/)[0];
    return head === kind;
  });
  return found ?? `${service}:${resource.split(/[/:]/)[0] ?? ''}`;
}
