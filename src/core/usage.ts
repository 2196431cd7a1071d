import type { Evidence } from './model.js';

/**
 * Usage: whether anyone used an environment, read from its own resources' request metrics (CloudWatch),
 * one datapoint per day. This file holds the one table of what is measured and how (docs/usage.md is
 * generated from it), the metric queries a stack's resources need, and the pure judgement of a
 * reading. Fail closed: only positive evidence of zero requests over the whole window, on every
 * resource that can carry traffic, is `unused`; everything else is `used` or `unknown`.
 */

const DAY_MS = 86_400_000;

/** The resource kinds the usage check knows, measured or not. */
export const USAGE_KINDS = [
  'alb',
  'nlb',
  'clb',
  'rest-api',
  'http-api',
  'cloudfront',
  'lambda',
  'apprunner',
  'gwlb',
  'appsync',
  'ec2-instance',
  'ecs-service',
  'other',
] as const;

/** A usage resource kind (`other`: a listed type whose ARN no entry matches; never measured). */
export type UsageKind = (typeof USAGE_KINDS)[number];

/**
 * How a kind counts: `entry` (requests enter the environment here; measured), `measured` (measured, but
 * no way in for other resources: a Lambda function), `behind` (compute that serves traffic through an
 * entry point of the same stack; without one it is unmeasured), `unmeasured` (carries traffic, no
 * request metric read: the stack's usage is unknown).
 */
export type UsageRole = 'entry' | 'measured' | 'behind' | 'unmeasured';

/** One kind of resource: how it is found (tagging API), and which metric says it was used. */
export interface UsageSpec {
  kind: UsageKind;
  /** What people call it. */
  label: string;
  /** The Resource Groups Tagging API resource type (`ResourceTypeFilters`). */
  taggingType: string;
  /** Matches the resource part of the ARN (after `service:region:account:`). */
  arn: RegExp;
  role: UsageRole;
  /** CloudWatch namespace and metrics (summed: any of them above zero is traffic). */
  namespace?: string;
  metrics?: string[];
  /** Dimensions built from the ARN's match (and the REST API's name, which only a listing gives). */
  dimensions?: (m: RegExpMatchArray, name: string | undefined) => Record<string, string>;
  /** The region the metric lives in, when not the resource's (CloudFront: us-east-1). */
  metricRegion?: string;
  /** The dimension needs the resource's name, read with one listing per region (`GetRestApis`). */
  needsName?: boolean;
  /** What a day without requests looks like in CloudWatch, from the service's documentation. */
  noTraffic: string;
}

/**
 * The one table of what is measured. Read docs/usage.md (generated from it) for the sources. Every
 * entry point's metric is published only while requests flow: a day without a datapoint is a day
 * without requests, once the resource is older than the window.
 */
export const USAGE_SPECS: readonly UsageSpec[] = [
  {
    kind: 'alb',
    label: 'Application Load Balancer',
    taggingType: 'elasticloadbalancing:loadbalancer',
    arn: /^loadbalancer\/(app\/[^/]+\/[^/]+)$/,
    role: 'entry',
    namespace: 'AWS/ApplicationELB',
    metrics: ['RequestCount'],
    dimensions: (m) => ({ LoadBalancer: m[1] as string }),
    noTraffic: 'no datapoint: ELB reports metrics only while requests flow',
  },
  {
    kind: 'nlb',
    label: 'Network Load Balancer',
    taggingType: 'elasticloadbalancing:loadbalancer',
    arn: /^loadbalancer\/(net\/[^/]+\/[^/]+)$/,
    role: 'entry',
    namespace: 'AWS/NetworkELB',
    metrics: ['NewFlowCount'],
    dimensions: (m) => ({ LoadBalancer: m[1] as string }),
    noTraffic: 'no datapoint, or 0: no new flows',
  },
  {
    kind: 'clb',
    label: 'Classic Load Balancer',
    taggingType: 'elasticloadbalancing:loadbalancer',
    arn: /^loadbalancer\/([^/]+)$/,
    role: 'entry',
    namespace: 'AWS/ELB',
    metrics: ['RequestCount'],
    dimensions: (m) => ({ LoadBalancerName: m[1] as string }),
    noTraffic: 'no datapoint: reported only while requests flow',
  },
  {
    kind: 'rest-api',
    label: 'API Gateway REST API',
    taggingType: 'apigateway:restapis',
    arn: /^\/restapis\/([^/]+)$/,
    role: 'entry',
    namespace: 'AWS/ApiGateway',
    metrics: ['Count'],
    dimensions: (_m, name) => ({ ApiName: name ?? '' }),
    needsName: true,
    noTraffic: 'no datapoint: Count is published for requests made',
  },
  {
    kind: 'http-api',
    label: 'API Gateway HTTP or WebSocket API',
    taggingType: 'apigateway:apis',
    arn: /^\/apis\/([^/]+)$/,
    role: 'entry',
    namespace: 'AWS/ApiGateway',
    // The ARN does not say the protocol: HTTP APIs publish Count, WebSocket APIs ConnectCount.
    metrics: ['Count', 'ConnectCount'],
    dimensions: (m) => ({ ApiId: m[1] as string }),
    noTraffic: 'no datapoint: published for requests (HTTP) or connections (WebSocket) made',
  },
  {
    kind: 'cloudfront',
    label: 'CloudFront distribution',
    taggingType: 'cloudfront:distribution',
    arn: /^distribution\/([^/]+)$/,
    role: 'entry',
    namespace: 'AWS/CloudFront',
    metrics: ['Requests'],
    dimensions: (m) => ({ DistributionId: m[1] as string, Region: 'Global' }),
    metricRegion: 'us-east-1',
    noTraffic: 'no datapoint, or 0 (metrics in us-east-1, dimension Region=Global)',
  },
  {
    kind: 'apprunner',
    label: 'App Runner service',
    taggingType: 'apprunner:service',
    arn: /^service\/([^/]+)\/([^/]+)$/,
    role: 'entry',
    namespace: 'AWS/AppRunner',
    metrics: ['Requests'],
    dimensions: (m) => ({ ServiceName: m[1] as string, ServiceID: m[2] as string }),
    noTraffic: 'no datapoint, or 0',
  },
  {
    kind: 'lambda',
    label: 'Lambda function',
    taggingType: 'lambda:function',
    arn: /^function:([^:]+)$/,
    role: 'measured',
    namespace: 'AWS/Lambda',
    metrics: ['Invocations'],
    dimensions: (m) => ({ FunctionName: m[1] as string }),
    noTraffic: 'no datapoint: Lambda sends metrics only for invocations',
  },
  {
    kind: 'gwlb',
    label: 'Gateway Load Balancer',
    taggingType: 'elasticloadbalancing:loadbalancer',
    arn: /^loadbalancer\/gwy\/[^/]+\/[^/]+$/,
    role: 'unmeasured',
    noTraffic: 'not read: the stack’s usage is unknown',
  },
  {
    kind: 'appsync',
    label: 'AppSync API',
    taggingType: 'appsync:apis',
    arn: /^apis\/[^/]+$/,
    role: 'unmeasured',
    noTraffic: 'not read: the stack’s usage is unknown',
  },
  {
    kind: 'ec2-instance',
    label: 'EC2 instance',
    taggingType: 'ec2:instance',
    arn: /^instance\/[^/]+$/,
    role: 'behind',
    noTraffic: 'not read: covered by an entry point of the same stack, else the usage is unknown',
  },
  {
    kind: 'ecs-service',
    label: 'ECS service',
    taggingType: 'ecs:service',
    arn: /^service\/[^/]+\/[^/]+$/,
    role: 'behind',
    noTraffic: 'not read: covered by an entry point of the same stack, else the usage is unknown',
  },
];

/** The tagging API's resource types the usage listing asks for (each once). */
export const USAGE_TAGGING_TYPES: readonly string[] = [...new Set(USAGE_SPECS.map((s) => s.taggingType))];

/** The tag CloudFormation puts on every resource it creates that supports tags. */
export const STACK_ID_TAG = 'aws:cloudformation:stack-id';
/** The tag the listing filters on (also propagated by CloudFormation). */
export const STACK_NAME_TAG = 'aws:cloudformation:stack-name';

/** The resource part of an ARN (after `arn:partition:service:region:account:`). */
function resourcePart(arn: string): string {
  return arn.split(':').slice(5).join(':');
}

/** The kind of a tagged resource, from its type and ARN; `undefined` when not one the check knows. */
export function usageSpecOf(taggingType: string, arn: string): UsageSpec | undefined {
  const part = resourcePart(arn);
  return USAGE_SPECS.find((s) => s.taggingType === taggingType && s.arn.test(part));
}

/** One resource of a stack, as the usage listing found it. */
export interface UsageResource {
  arn: string;
  kind: UsageKind;
}

/** One CloudWatch metric query (`MetricDataQuery`), with the resource it is about. */
export interface UsageQuery {
  /** Unique in one GetMetricData call: `m<n>`. */
  id: string;
  arn: string;
  region: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
}

/**
 * The metric queries of a set of resources: one per metric of each measured resource. A REST API whose
 * name the listing did not give is left out (`unnamed`): its usage cannot be read.
 */
export function usageQueries(
  resources: UsageResource[],
  region: string,
  names: ReadonlyMap<string, string>,
): { queries: UsageQuery[]; unnamed: string[] } {
  const queries: UsageQuery[] = [];
  const unnamed: string[] = [];
  for (const r of resources) {
    const spec = USAGE_SPECS.find((s) => s.kind === r.kind);
    if (!spec?.namespace || !spec.metrics || !spec.dimensions) continue;
    const m = resourcePart(r.arn).match(spec.arn);
    if (!m) continue;
    const name = spec.needsName ? names.get(r.arn) : undefined;
    if (spec.needsName && name === undefined) {
      unnamed.push(r.arn);
      continue;
    }
    for (const metric of spec.metrics)
      queries.push({
        id: `m${queries.length}`,
        arn: r.arn,
        region: spec.metricRegion ?? region,
        namespace: spec.namespace,
        metric,
        dimensions: spec.dimensions(m, name),
      });
  }
  return { queries, unnamed };
}

/** One resource's requests per day, as read. */
export interface ResourceUsage {
  arn: string;
  kind: UsageKind;
  /**
   * Requests per UTC day, oldest first, one per day of the reading (a day without a datapoint is 0).
   * Empty for a kind that is not measured.
   */
  daily: number[];
  /** false: CloudWatch did not answer every metric of it completely (the usage is unknown). */
  complete: boolean;
}

/** One usage reading of a stack: what its resources' metrics said, day by day. */
export interface UsageReading {
  /** When it was read (ISO-8601); a reading is reused until `usage.interval` later. */
  readAt: string;
  /** The first UTC day read (ISO-8601, midnight); `daily[i]` is that day plus i days. */
  from: string;
  /** Days read (`daily` lengths). */
  days: number;
  resources: ResourceUsage[];
  /** Metric queries this reading cost (GetMetricData bills per metric requested). */
  metrics: number;
}

/** Why the usage of a stack is unknown. Stable codes, in the reason's detail and the report. */
export const USAGE_UNKNOWN = [
  'READ_FAILED',
  'NO_MEASURED_RESOURCE',
  'UNMEASURED_RESOURCE',
  'METRIC_INCOMPLETE',
  'TOO_YOUNG',
  'CHANGED_IN_WINDOW',
] as const;

/** A reason the usage is unknown. */
export type UsageUnknown = (typeof USAGE_UNKNOWN)[number];

/** What the usage of a stack says, judged against the window. */
export type UsageVerdict =
  | { state: 'used'; lastDay: string; requests: number }
  | { state: 'unused'; lastDay?: string; windowDays: number; resources: string[] }
  | { state: 'unknown'; why: UsageUnknown; detail: string };

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The resources of a reading in a few words: `alb app/shop/1f2e, lambda fn` (at most 5 named). */
export function resourceWords(resources: ResourceUsage[]): string {
  const named = resources.slice(0, 5).map((r) => {
    const part = resourcePart(r.arn);
    return `${r.kind} ${part.replace(/^(loadbalancer|distribution|function:|service)\/?/, '')}`;
  });
  return resources.length > 5 ? `${named.join(', ')}, … (${resources.length})` : named.join(', ');
}

/**
 * Judges one stack's usage over the window (`windowDays` whole UTC days before today, and today): pure.
 * `lastChange` is the stack's creation or last update, whichever is later: a resource is never older
 * than it, so a window reaching before it cannot prove anything.
 */
export function judgeUsage(
  usage: Evidence<UsageReading>,
  lastChange: string,
  windowDays: number,
  now: number,
  /** The last change was an update (else the creation): says which of the two the window reaches. */
  updated = true,
): UsageVerdict {
  if (!usage.ok)
    return {
      state: 'unknown',
      why: 'READ_FAILED',
      detail: `the request metrics could not be read: ${usage.error.code} ${usage.error.message}`,
    };
  const reading = usage.value;
  const roles = reading.resources.map((r) => USAGE_SPECS.find((s) => s.kind === r.kind)?.role);
  const hasEntry = roles.includes('entry');
  const uncovered = reading.resources.filter(
    (_, i) => roles[i] === 'unmeasured' || roles[i] === undefined || (roles[i] === 'behind' && !hasEntry),
  );
  if (uncovered.length > 0)
    return {
      state: 'unknown',
      why: 'UNMEASURED_RESOURCE',
      detail: `traffic can reach resources whose requests are not measured: ${resourceWords(uncovered)}`,
    };
  const measured = reading.resources.filter((_, i) => roles[i] === 'entry' || roles[i] === 'measured');
  if (measured.length === 0)
    return {
      state: 'unknown',
      why: 'NO_MEASURED_RESOURCE',
      detail: 'the stack has no resource whose requests are measured (or CloudFormation did not tag it)',
    };
  const incomplete = measured.filter((r) => !r.complete || r.daily.length !== reading.days);
  if (incomplete.length > 0)
    return {
      state: 'unknown',
      why: 'METRIC_INCOMPLETE',
      detail: `CloudWatch did not answer every metric completely: ${resourceWords(incomplete)}`,
    };
  const from = Date.parse(reading.from);
  const readDay = Math.floor(Date.parse(reading.readAt) / DAY_MS) * DAY_MS;
  const windowStart = Math.floor(now / DAY_MS) * DAY_MS - windowDays * DAY_MS;
  const firstInWindow = Math.round((windowStart - from) / DAY_MS);
  const changed = Date.parse(lastChange);
  if (firstInWindow < 0 || readDay < windowStart)
    return {
      state: 'unknown',
      why: 'METRIC_INCOMPLETE',
      detail: `the reading (from ${reading.from}, read ${reading.readAt}) does not cover the ${windowDays}-day window`,
    };
  if (Number.isNaN(changed) || changed >= windowStart)
    return updated
      ? {
          state: 'unknown',
          why: 'CHANGED_IN_WINDOW',
          detail: `the stack changed on ${lastChange}, after the ${windowDays}-day window began (${day(windowStart)}): its resources may be younger`,
        }
      : {
          state: 'unknown',
          why: 'TOO_YOUNG',
          detail: `the stack was created on ${lastChange}, after the ${windowDays}-day window began (${day(windowStart)})`,
        };
  const totals = Array.from({ length: reading.days }, (_, i) =>
    measured.reduce((n, r) => n + (r.daily[i] ?? 0), 0),
  );
  let last = -1;
  for (let i = totals.length - 1; i >= 0; i--)
    if ((totals[i] ?? 0) > 0) {
      last = i;
      break;
    }
  const lastDay = last >= 0 ? day(from + last * DAY_MS) : undefined;
  const inWindow = totals.slice(firstInWindow).reduce((a, b) => a + b, 0);
  if (inWindow > 0 && lastDay !== undefined) return { state: 'used', lastDay, requests: inWindow };
  return {
    state: 'unused',
    ...(lastDay !== undefined ? { lastDay } : {}),
    windowDays,
    resources: measured.map((r) => r.arn),
  };
}

/** Requests per day across a reading's measured resources (the report's sparkline), oldest first. */
export function dailyTotals(reading: UsageReading): number[] {
  return Array.from({ length: reading.days }, (_, i) =>
    reading.resources.reduce((n, r) => n + (r.daily[i] ?? 0), 0),
  );
}
