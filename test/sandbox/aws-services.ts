import { taggedUsageResources } from './aws-usage.js';
import { AwsError, accountOf, offsetOf, type Scope, token } from './aws-wire.js';
import type { World } from './world.js';

/** The sandbox's Resource Groups Tagging API and Cost Explorer (JSON 1.1). */

export function getResources(
  world: World,
  input: Record<string, unknown>,
  scope: Scope,
): Record<string, unknown> {
  const w = world;
  const account = accountOf(world, scope);
  const types = (input.ResourceTypeFilters as string[] | undefined) ?? [];
  const filters = (input.TagFilters as { Key: string; Values?: string[] }[] | undefined) ?? [];
  const perPage = Math.min(Math.max(Number(input.ResourcesPerPage ?? 50), 1), 100);
  // `service` or `service:type`, as ResourceTypeFilters names them.
  const typeMatches = (type: string) =>
    types.length === 0 || types.some((t) => t === type || t === type.split(':')[0]);
  const staleMs = w.scenario.aws.taggingStaleSeconds * 1000;
  const now = Date.now();
  const stacks = w
    .allStacks()
    .filter((s) => s.account === account && s.region === scope.region)
    .map((s) => ({
      arn: s.stackId,
      type: 'cloudformation:stack',
      tags: s.tags,
      ...(s.status === 'DELETE_COMPLETE' ? { deletedAt: s.deletedAt ?? s.createdAt } : {}),
    }));
  const others = [
    ...w.storage.tagged().filter((r) => r.account === account && r.region === scope.region),
    ...taggedUsageResources(w, account, scope.region),
  ];
  const visible = [...stacks, ...others]
    .filter((r) => typeMatches(r.type))
    // The tagging index lags: deleted resources linger for a while (aws/aws-sdk#302).
    .filter((r) => r.deletedAt === undefined || now - Date.parse(r.deletedAt) < staleMs)
    .filter((r) => Object.keys(r.tags).length > 0)
    .filter((r) =>
      filters.every(
        (f) => f.Key in r.tags && (!f.Values?.length || f.Values.includes(r.tags[f.Key] as string)),
      ),
    );
  const offset =
    typeof input.PaginationToken === 'string' && input.PaginationToken !== ''
      ? offsetOf(input.PaginationToken)
      : 0;
  const page = visible.slice(offset, offset + perPage);
  return {
    PaginationToken: offset + perPage < visible.length ? token(offset + perPage) : '',
    ResourceTagMappingList: page.map((r) => ({
      ResourceARN: r.arn,
      Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
    })),
  };
}

export function costWithResources(
  world: World,
  input: Record<string, unknown>,
  scope: Scope,
): Record<string, unknown> {
  if (!world.scenario.aws.resourceLevelCost)
    throw new AwsError(
      400,
      'DataUnavailableException',
      'Resource level data is not enabled for this account',
    );
  const period = input.TimePeriod as { Start: string; End: string };
  const days = Math.round((Date.parse(period.End) - Date.parse(period.Start)) / 86_400_000);
  if (days > 14)
    throw new AwsError(
      400,
      'ValidationException',
      'Resource level data is only available for the last 14 days',
    );
  const wanted = new Set(
    (input.Filter as { Dimensions?: { Key: string; Values: string[] } } | undefined)?.Dimensions?.Values ??
      [],
  );
  const costs = [...world.storage.costIds(accountOf(world, scope))].filter(([id]) => wanted.has(id));
  return {
    GroupDefinitions: [{ Type: 'DIMENSION', Key: 'RESOURCE_ID' }],
    ResultsByTime: Array.from({ length: days }, (_, i) => {
      const start = new Date(Date.parse(period.Start) + i * 86_400_000).toISOString().slice(0, 10);
      const end = new Date(Date.parse(period.Start) + (i + 1) * 86_400_000).toISOString().slice(0, 10);
      return {
        TimePeriod: { Start: start, End: end },
        Total: {},
        Groups: costs.map(([id, monthly]) => ({
          Keys: [id],
          Metrics: { UnblendedCost: { Amount: (monthly / 30).toFixed(6), Unit: 'USD' } },
        })),
        Estimated: false,
      };
    }),
  };
}

export function costAndUsage(
  world: World,
  input: Record<string, unknown>,
  scope: Scope,
): Record<string, unknown> {
  const groupBy = (input.GroupBy as { Type: string; Key: string }[] | undefined)?.[0];
  const period = input.TimePeriod as { Start: string; End: string };
  if (groupBy?.Type !== 'TAG') {
    const total = world.allStacks().reduce((a, s) => a + (s.monthlyCost ?? 0), 0);
    return {
      ResultsByTime: [
        {
          TimePeriod: period,
          Total: { UnblendedCost: { Amount: total.toFixed(2), Unit: 'USD' } },
          Groups: [],
          Estimated: false,
        },
      ],
    };
  }
  const byValue = new Map<string, number>();
  // A tag not activated for cost allocation: everything lands in one group with an empty value.
  const inactive = world.scenario.aws.inactiveCostTags.includes(groupBy.Key);
  for (const s of world.allStacks().filter((x) => x.account === accountOf(world, scope))) {
    // CloudFormation tags every resource with its stack name.
    const v = inactive
      ? ''
      : groupBy.Key === 'aws:cloudformation:stack-name'
        ? s.name
        : (s.tags[groupBy.Key] ?? '');
    byValue.set(v, (byValue.get(v) ?? 0) + (s.monthlyCost ?? 0));
  }
  return {
    GroupDefinitions: [groupBy],
    ResultsByTime: [
      {
        TimePeriod: period,
        Total: {},
        Groups: [...byValue].map(([v, amount]) => ({
          Keys: [`${groupBy.Key}$${v}`],
          Metrics: { UnblendedCost: { Amount: amount.toFixed(2), Unit: 'USD' } },
        })),
        Estimated: false,
      },
    ],
  };
}
