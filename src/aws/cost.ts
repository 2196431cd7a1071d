import type { CostExplorerClient, GetCostAndUsageCommandOutput } from '@aws-sdk/client-cost-explorer';
import type { StackFacts } from '../core/model.js';
import type { AwsClients } from './clients.js';
import type { CostReader } from './ports.js';

/**
 * Monthly cost per stack from Cost Explorer, grouped by a cost-allocation tag (default
 * `aws:cloudformation:stack-name`). A tag that is not activated comes back as one group with an empty
 * value: then cost is unknown, never zero. Each page costs $0.01, so this is opt-in (`cost.enabled`).
 */

/** The SDK-backed reader (Cost Explorer lives in us-east-1). */
export function createCostReader(clients: AwsClients): CostReader {
  return {
    async costByTag(target, tagKey, start, end) {
      const client: CostExplorerClient = await clients.costExplorer(target);
      const { GetCostAndUsageCommand } = await import('@aws-sdk/client-cost-explorer');
      const totals = new Map<string, number>();
      let token: string | undefined;
      let tagged = false;
      do {
        const out: GetCostAndUsageCommandOutput = await client.send(
          new GetCostAndUsageCommand({
            TimePeriod: { Start: start, End: end },
            Granularity: 'MONTHLY',
            Metrics: ['UnblendedCost'],
            GroupBy: [{ Type: 'TAG', Key: tagKey }],
            ...(token ? { NextPageToken: token } : {}),
          }),
        );
        for (const period of out.ResultsByTime ?? []) {
          for (const group of period.Groups ?? []) {
            const key = group.Keys?.[0] ?? '';
            const value = key.slice(key.indexOf('$') + 1);
            if (value !== '') tagged = true;
            totals.set(value, (totals.get(value) ?? 0) + Number(group.Metrics?.UnblendedCost?.Amount ?? 0));
          }
        }
        token = out.NextPageToken;
      } while (token);
      return tagged ? totals : null;
    },

    async costByResource(target, ids, start, end) {
      const client: CostExplorerClient = await clients.costExplorer(target);
      const { GetCostAndUsageWithResourcesCommand } = await import('@aws-sdk/client-cost-explorer');
      const totals = new Map<string, number>();
      let token: string | undefined;
      do {
        const out = await client.send(
          new GetCostAndUsageWithResourcesCommand({
            TimePeriod: { Start: start, End: end },
            Granularity: 'DAILY',
            Metrics: ['UnblendedCost'],
            Filter: { Dimensions: { Key: 'RESOURCE_ID', Values: ids } },
            GroupBy: [{ Type: 'DIMENSION', Key: 'RESOURCE_ID' }],
            ...(token ? { NextPageToken: token } : {}),
          }),
        );
        for (const period of out.ResultsByTime ?? [])
          for (const group of period.Groups ?? []) {
            const id = group.Keys?.[0] ?? '';
            totals.set(id, (totals.get(id) ?? 0) + Number(group.Metrics?.UnblendedCost?.Amount ?? 0));
          }
        token = out.NextPageToken;
      } while (token);
      return totals;
    },
  };
}

/** The tag value a stack's resources carry for `tagKey`. */
export function costKeyOf(stack: StackFacts, tagKey: string): string | undefined {
  return tagKey === 'aws:cloudformation:stack-name' ? stack.name : stack.tags[tagKey];
}
