import { createHash } from 'node:crypto';
import { AwsError, accountOf, offsetOf, type Scope, token } from './aws-wire.js';
import type { SandboxStack, World } from './world.js';
import type { ResourceTraffic } from './world-types.js';

/**
 * The sandbox's traffic-bearing resources and CloudWatch (issue #35), written from AWS's documentation,
 * not from what env-reaper asks:
 * - ARNs as each service documents them; CloudFormation tags what it creates with
 *   `aws:cloudformation:stack-name`, `stack-id` and `logical-id` (unless the type cannot be tagged);
 *   CloudFront is global and listed by the tagging API in us-east-1 only.
 * - CloudWatch metrics as each service publishes them: ALB `AWS/ApplicationELB RequestCount`
 *   (LoadBalancer=app/name/id), NLB `AWS/NetworkELB NewFlowCount`, Classic `AWS/ELB RequestCount`
 *   (LoadBalancerName), REST API `AWS/ApiGateway Count` (ApiName — the name, not the id), HTTP API
 *   `Count` / WebSocket API `ConnectCount` (ApiId), CloudFront `AWS/CloudFront Requests`
 *   (DistributionId, Region=Global; in us-east-1 only), Lambda `AWS/Lambda Invocations` (FunctionName),
 *   App Runner `AWS/AppRunner Requests` (ServiceName, ServiceID). Datapoints exist only for periods
 *   with traffic (unless the resource says `zeroDatapoints`); a metric nobody published answers an
 *   empty, `Complete` result — exactly what a wrong dimension would get.
 * - GetMetricData (JSON 1.0, `GraniteServiceVersion20100801`): at most 500 queries, ids
 *   `^[a-z][a-zA-Z0-9_]*$` and unique, timestamps in epoch seconds, pages by `MaxDatapoints` (100,800).
 */

const DAY = 86_400_000;

/** What a scenario resource says about its traffic, as the world keeps it. */
export function trafficOf(
  r: {
    traffic: Record<string, number>;
    daily?: number | undefined;
    zeroDatapoints: boolean;
    metricStatus?: ResourceTraffic['metricStatus'] | undefined;
    untagged: boolean;
    protocol: ResourceTraffic['protocol'];
    lbType: ResourceTraffic['lbType'];
  },
  t: (at: string) => string,
): ResourceTraffic {
  return {
    hits: Object.entries(r.traffic).map(([at, n]) => ({ at: Date.parse(t(at)), n })),
    ...(r.daily !== undefined ? { daily: r.daily } : {}),
    zeroDatapoints: r.zeroDatapoints,
    ...(r.metricStatus ? { metricStatus: r.metricStatus } : {}),
    untagged: r.untagged,
    protocol: r.protocol,
    lbType: r.lbType,
  };
}

function hex(text: string, n: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

/** One traffic-bearing resource of a live stack, as the tagging API and CloudWatch see it. */
export interface UsageResourceView {
  stack: SandboxStack;
  resource: SandboxStack['resources'][number];
  arn: string;
  taggingType: string;
  /** Where the tagging API lists it and where its metrics live. */
  region: string;
  /** REST APIs: the name (the ApiName dimension). */
  name: string;
  /** The metrics it publishes: namespace, metric name, dimensions. */
  metrics: { namespace: string; metric: string; dimensions: Record<string, string> }[];
  createdAt: number;
}

/** The ARN, tagging type and metrics of a resource, by its CloudFormation type; undefined for others. */
function view(stack: SandboxStack, r: SandboxStack['resources'][number]): UsageResourceView | undefined {
  const { account, region } = stack;
  // Stable across worlds built from one scenario (stack ids are random), as the tests compare runs.
  const id = hex(`${account}/${region}/${stack.name}/${r.logicalId}`, 16);
  const name = r.physicalId;
  const u = r.usage;
  if (!u) return undefined;
  const base = {
    stack,
    resource: r,
    region,
    name,
    createdAt: Date.parse(stack.updatedAt ?? stack.createdAt),
  };
  switch (r.type) {
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
      const kind = u.lbType === 'network' ? 'net' : u.lbType === 'gateway' ? 'gwy' : 'app';
      const lb = `${kind}/${name.slice(0, 32)}/${id}`;
      const metrics =
        kind === 'app'
          ? [{ namespace: 'AWS/ApplicationELB', metric: 'RequestCount', dimensions: { LoadBalancer: lb } }]
          : kind === 'net'
            ? [{ namespace: 'AWS/NetworkELB', metric: 'NewFlowCount', dimensions: { LoadBalancer: lb } }]
            : [{ namespace: 'AWS/GatewayELB', metric: 'NewFlowCount', dimensions: { LoadBalancer: lb } }];
      return {
        ...base,
        arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${lb}`,
        taggingType: 'elasticloadbalancing:loadbalancer',
        metrics,
      };
    }
    case 'AWS::ElasticLoadBalancing::LoadBalancer':
      return {
        ...base,
        arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${name}`,
        taggingType: 'elasticloadbalancing:loadbalancer',
        metrics: [{ namespace: 'AWS/ELB', metric: 'RequestCount', dimensions: { LoadBalancerName: name } }],
      };
    case 'AWS::ApiGateway::RestApi':
      return {
        ...base,
        arn: `arn:aws:apigateway:${region}::/restapis/${id.slice(0, 10)}`,
        taggingType: 'apigateway:restapis',
        metrics: [{ namespace: 'AWS/ApiGateway', metric: 'Count', dimensions: { ApiName: name } }],
      };
    case 'AWS::ApiGatewayV2::Api':
      return {
        ...base,
        arn: `arn:aws:apigateway:${region}::/apis/${id.slice(0, 10)}`,
        taggingType: 'apigateway:apis',
        metrics: [
          {
            namespace: 'AWS/ApiGateway',
            metric: u.protocol === 'WEBSOCKET' ? 'ConnectCount' : 'Count',
            dimensions: { ApiId: id.slice(0, 10) },
          },
        ],
      };
    case 'AWS::CloudFront::Distribution': {
      const dist = `E${id.slice(0, 13).toUpperCase()}`;
      return {
        ...base,
        region: 'us-east-1',
        arn: `arn:aws:cloudfront::${account}:distribution/${dist}`,
        taggingType: 'cloudfront:distribution',
        metrics: [
          {
            namespace: 'AWS/CloudFront',
            metric: 'Requests',
            dimensions: { DistributionId: dist, Region: 'Global' },
          },
        ],
      };
    }
    case 'AWS::Lambda::Function':
      return {
        ...base,
        arn: `arn:aws:lambda:${region}:${account}:function:${name}`,
        taggingType: 'lambda:function',
        metrics: [{ namespace: 'AWS/Lambda', metric: 'Invocations', dimensions: { FunctionName: name } }],
      };
    case 'AWS::AppRunner::Service':
      return {
        ...base,
        arn: `arn:aws:apprunner:${region}:${account}:service/${name}/${id}`,
        taggingType: 'apprunner:service',
        metrics: [
          {
            namespace: 'AWS/AppRunner',
            metric: 'Requests',
            dimensions: { ServiceName: name, ServiceID: id },
          },
        ],
      };
    case 'AWS::ECS::Service':
      return {
        ...base,
        arn: `arn:aws:ecs:${region}:${account}:service/${stack.name}-cluster/${name}`,
        taggingType: 'ecs:service',
        metrics: [],
      };
    case 'AWS::EC2::Instance':
      return {
        ...base,
        arn: `arn:aws:ec2:${region}:${account}:instance/i-${id}`,
        taggingType: 'ec2:instance',
        metrics: [],
      };
    default:
      return undefined;
  }
}

/** Each resource's view, made once (a bench world has tens of thousands). */
const views = new WeakMap<object, UsageResourceView | null>();

/** The traffic-bearing resources of every live stack of the world. */
export function usageResources(world: World): UsageResourceView[] {
  const out: UsageResourceView[] = [];
  for (const s of world.allStacks()) {
    if (s.status === 'DELETE_COMPLETE') continue;
    for (const r of s.resources) {
      let v = views.get(r);
      if (v === undefined) {
        v = view(s, r) ?? null;
        views.set(r, v);
      }
      if (v) out.push(v);
    }
  }
  return out;
}

/** A metric's identity: namespace, name and its exact dimension set. */
function metricKey(namespace: string, metric: string, dims: Record<string, unknown>): string {
  return JSON.stringify([namespace, metric, Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : 1))]);
}

/** What the tagging API lists of them in one account × region (CloudFormation's tags on each). */
export function taggedUsageResources(
  world: World,
  account: string,
  region: string,
): { arn: string; type: string; tags: Record<string, string>; deletedAt?: string }[] {
  return usageResources(world)
    .filter((v) => v.stack.account === account && v.region === region && !v.resource.usage?.untagged)
    .map(taggedOf);
}

/** A resource as the tagging index holds it, made once per resource (the bench pages tens of thousands). */
const tagged = new WeakMap<UsageResourceView, { arn: string; type: string; tags: Record<string, string> }>();
function taggedOf(v: UsageResourceView): { arn: string; type: string; tags: Record<string, string> } {
  let t = tagged.get(v);
  if (!t) {
    t = {
      arn: v.arn,
      type: v.taggingType,
      tags: {
        ...v.stack.tags,
        'aws:cloudformation:stack-name': v.stack.name,
        'aws:cloudformation:stack-id': v.stack.stackId,
        'aws:cloudformation:logical-id': v.resource.logicalId,
      },
    };
    tagged.set(v, t);
  }
  return t;
}

/** Requests of a resource in [from, to). */
function requests(v: UsageResourceView, from: number, to: number): number {
  const u = v.resource.usage;
  if (!u) return 0;
  let n = u.hits.filter((h) => h.at >= from && h.at < to).reduce((a, h) => a + h.n, 0);
  if (u.daily !== undefined) {
    const start = Math.max(from, v.createdAt);
    if (to > start) n += Math.round((u.daily * (to - start)) / DAY);
  }
  return n;
}

interface Query {
  Id?: string;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] };
    Period?: number;
    Stat?: string;
  };
}

/** `GetMetricData` of one account × region. */
export function getMetricData(
  world: World,
  input: Record<string, unknown>,
  scope: Scope,
): Record<string, unknown> {
  const queries = (input.MetricDataQueries as Query[] | undefined) ?? [];
  if (queries.length === 0 || queries.length > 500)
    throw new AwsError(
      400,
      'ValidationError',
      'The collection MetricDataQueries must not have a size greater than 500.',
    );
  const ids = new Set<string>();
  for (const q of queries) {
    if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id))
      throw new AwsError(400, 'ValidationError', `Invalid metric data query id: ${q.Id}`);
    if (ids.has(q.Id)) throw new AwsError(400, 'ValidationError', `Duplicate metric data query id: ${q.Id}`);
    ids.add(q.Id);
  }
  const start = Number(input.StartTime) * 1000;
  const end = Number(input.EndTime) * 1000;
  if (!(end > start))
    throw new AwsError(
      400,
      'ValidationError',
      'The parameter StartTime must be less than the parameter EndTime.',
    );
  const account = accountOf(world, scope);
  // CloudWatch matches the exact dimension set a metric was published with.
  const byMetric = new Map<string, UsageResourceView>();
  for (const v of usageResources(world))
    if (v.stack.account === account && v.region === scope.region)
      for (const m of v.metrics) byMetric.set(metricKey(m.namespace, m.metric, m.dimensions), v);
  const results = queries.map((q) => {
    const stat = q.MetricStat;
    const period = (stat?.Period ?? 60) * 1000;
    const dims = Object.fromEntries((stat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
    const owner = byMetric.get(
      metricKey(stat?.Metric?.Namespace ?? '', stat?.Metric?.MetricName ?? '', dims),
    );
    const points: { at: number; v: number }[] = [];
    if (owner && owner.resource.usage?.metricStatus !== 'Forbidden')
      for (let at = start; at < end; at += period) {
        const n = requests(owner, at, at + period);
        if (n > 0 || (owner.resource.usage?.zeroDatapoints && at + period > owner.createdAt))
          points.push({ at, v: n });
      }
    return {
      Id: q.Id as string,
      Label: stat?.Metric?.MetricName ?? '',
      points,
      status: owner?.resource.usage?.metricStatus ?? 'Complete',
    };
  });
  // Pages of MaxDatapoints (default, and at most, 100,800) across all queries, in order.
  const max = Math.min(Number(input.MaxDatapoints ?? 100_800), world.scenario.aws.metricPageDatapoints);
  const skip = typeof input.NextToken === 'string' && input.NextToken !== '' ? offsetOf(input.NextToken) : 0;
  const flat = results.flatMap((r, q) => r.points.map((p, i) => ({ q, i, p })));
  const page = flat.slice(skip, skip + max);
  const out = results.flatMap((r, q) => {
    const mine = page.filter((x) => x.q === q).map((x) => x.p);
    const last = page.filter((x) => x.q === q).at(-1);
    // A query without datapoints is answered once, on the first page.
    if (mine.length === 0 && !(r.points.length === 0 && skip === 0)) return [];
    const more = last !== undefined && last.i < r.points.length - 1;
    return [
      {
        Id: r.Id,
        Label: r.Label,
        Timestamps: mine.map((p) => p.at / 1000),
        Values: mine.map((p) => p.v),
        StatusCode: more ? 'PartialData' : r.status,
      },
    ];
  });
  return {
    MetricDataResults: out,
    Messages: [],
    ...(skip + max < flat.length ? { NextToken: token(skip + max) } : {}),
  };
}

/** API Gateway `GET /restapis` (REST JSON; the list is `item`, pages by `position`). */
export function getRestApis(world: World, url: URL, scope: Scope): Record<string, unknown> {
  const account = accountOf(world, scope);
  const apis = usageResources(world)
    .filter(
      (v) =>
        v.stack.account === account && v.region === scope.region && v.taggingType === 'apigateway:restapis',
    )
    .map((v) => ({ id: v.arn.split('/').pop() as string, name: v.name, createdDate: v.createdAt / 1000 }));
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), 500);
  const offset = url.searchParams.get('position') ? offsetOf(url.searchParams.get('position') ?? '') : 0;
  const page = apis.slice(offset, offset + limit);
  return { item: page, ...(offset + limit < apis.length ? { position: token(offset + limit) } : {}) };
}
