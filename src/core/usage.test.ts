import { describe, expect, it } from 'vitest';
import { NOW, usage } from '../../test/helpers/fixtures.js';
import { judgeUsage, USAGE_SPECS, usageQueries, usageSpecOf } from './usage.js';

const DAY = 86_400_000;
const old = new Date(NOW - 40 * DAY).toISOString();

/** ARNs as AWS writes them (the ARN formats of each service's documentation). */
const ARNS = {
  alb: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/review-shop/50dc6c495c0c9188',
  nlb: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/review-tcp/7a2b3c4d5e6f7a8b',
  clb: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/review-classic',
  gwlb: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/gwy/review-gw/1a2b3c4d5e6f7a8b',
  rest: 'arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5',
  http: 'arn:aws:apigateway:eu-west-1::/apis/x9y8z7w6v5',
  cloudfront: 'arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL',
  lambda: 'arn:aws:lambda:eu-west-1:123456789012:function:review-shop-api',
  apprunner: 'arn:aws:apprunner:eu-west-1:123456789012:service/review-web/8fe1e10304f84fd2b0df550fe98a71fa',
  ecs: 'arn:aws:ecs:eu-west-1:123456789012:service/review-cluster/web',
  ec2: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0',
};

describe('the usage table', () => {
  it.each([
    ['elasticloadbalancing:loadbalancer', ARNS.alb, 'alb'],
    ['elasticloadbalancing:loadbalancer', ARNS.nlb, 'nlb'],
    ['elasticloadbalancing:loadbalancer', ARNS.clb, 'clb'],
    ['elasticloadbalancing:loadbalancer', ARNS.gwlb, 'gwlb'],
    ['apigateway:restapis', ARNS.rest, 'rest-api'],
    ['apigateway:apis', ARNS.http, 'http-api'],
    ['cloudfront:distribution', ARNS.cloudfront, 'cloudfront'],
    ['lambda:function', ARNS.lambda, 'lambda'],
    ['apprunner:service', ARNS.apprunner, 'apprunner'],
    ['ecs:service', ARNS.ecs, 'ecs-service'],
    ['ec2:instance', ARNS.ec2, 'ec2-instance'],
  ])('%s %s is %s', (type, arn, kind) => {
    expect(usageSpecOf(type, arn)?.kind).toBe(kind);
  });

  it('builds each metric query from the ARN as CloudWatch names its dimensions', () => {
    const resources = [
      { arn: ARNS.alb, kind: 'alb' as const },
      { arn: ARNS.nlb, kind: 'nlb' as const },
      { arn: ARNS.clb, kind: 'clb' as const },
      { arn: ARNS.rest, kind: 'rest-api' as const },
      { arn: ARNS.http, kind: 'http-api' as const },
      { arn: ARNS.cloudfront, kind: 'cloudfront' as const },
      { arn: ARNS.lambda, kind: 'lambda' as const },
      { arn: ARNS.apprunner, kind: 'apprunner' as const },
      { arn: ARNS.ecs, kind: 'ecs-service' as const },
    ];
    const { queries, unnamed } = usageQueries(
      resources,
      'eu-west-1',
      new Map([[ARNS.rest, 'review-shop-api']]),
    );
    expect(unnamed).toEqual([]);
    expect(queries.map((q) => [q.id, q.region, q.namespace, q.metric, q.dimensions])).toEqual([
      [
        'm0',
        'eu-west-1',
        'AWS/ApplicationELB',
        'RequestCount',
        { LoadBalancer: 'app/review-shop/50dc6c495c0c9188' },
      ],
      [
        'm1',
        'eu-west-1',
        'AWS/NetworkELB',
        'NewFlowCount',
        { LoadBalancer: 'net/review-tcp/7a2b3c4d5e6f7a8b' },
      ],
      ['m2', 'eu-west-1', 'AWS/ELB', 'RequestCount', { LoadBalancerName: 'review-classic' }],
      ['m3', 'eu-west-1', 'AWS/ApiGateway', 'Count', { ApiName: 'review-shop-api' }],
      ['m4', 'eu-west-1', 'AWS/ApiGateway', 'Count', { ApiId: 'x9y8z7w6v5' }],
      ['m5', 'eu-west-1', 'AWS/ApiGateway', 'ConnectCount', { ApiId: 'x9y8z7w6v5' }],
      [
        'm6',
        'us-east-1',
        'AWS/CloudFront',
        'Requests',
        { DistributionId: 'E2QWRUHAPOMQZL', Region: 'Global' },
      ],
      ['m7', 'eu-west-1', 'AWS/Lambda', 'Invocations', { FunctionName: 'review-shop-api' }],
      [
        'm8',
        'eu-west-1',
        'AWS/AppRunner',
        'Requests',
        { ServiceName: 'review-web', ServiceID: '8fe1e10304f84fd2b0df550fe98a71fa' },
      ],
    ]);
  });

  it('leaves a REST API whose name was not listed out, and says so', () => {
    const { queries, unnamed } = usageQueries([{ arn: ARNS.rest, kind: 'rest-api' }], 'eu-west-1', new Map());
    expect(queries).toEqual([]);
    expect(unnamed).toEqual([ARNS.rest]);
  });

  it('every measured kind has a namespace, metrics and dimensions; every other kind has none', () => {
    for (const s of USAGE_SPECS) {
      const measured = s.role === 'entry' || s.role === 'measured';
      expect(Boolean(s.namespace && s.metrics?.length && s.dimensions), s.kind).toBe(measured);
    }
  });
});

describe('judgeUsage', () => {
  it('zero requests on every day of the window is unused, naming the last day with traffic', () => {
    // The window: 14 whole days before today, and today, so 15 silent days.
    const v = judgeUsage(
      usage([{ kind: 'alb', daily: [5, ...Array.from({ length: 15 }, () => 0)] }]),
      old,
      14,
      NOW,
    );
    expect(v).toMatchObject({ state: 'unused', lastDay: '2026-11-13', windowDays: 14 });
  });

  it('one request on the first day of the window is used', () => {
    const v = judgeUsage(
      usage([{ kind: 'alb', daily: [1, ...Array.from({ length: 14 }, () => 0)] }]),
      old,
      14,
      NOW,
    );
    expect(v).toMatchObject({ state: 'used', lastDay: '2026-11-14', requests: 1 });
  });

  it('traffic on today’s partial day is used', () => {
    expect(judgeUsage(usage([{ kind: 'lambda', daily: [1] }]), old, 14, NOW).state).toBe('used');
  });

  it.each([
    [
      'a failed read',
      { ok: false as const, error: { code: 'ACCESS_DENIED' as const, message: 'no' } },
      old,
      'READ_FAILED',
    ],
    ['no resource', usage([]), old, 'NO_MEASURED_RESOURCE'],
    [
      'an ECS service without an entry point',
      usage([{ kind: 'ecs-service' }, { kind: 'lambda' }]),
      old,
      'UNMEASURED_RESOURCE',
    ],
    ['a gateway load balancer', usage([{ kind: 'alb' }, { kind: 'gwlb' }]), old, 'UNMEASURED_RESOURCE'],
    [
      'an unknown ARN of a listed type',
      usage([{ kind: 'alb' }, { kind: 'other' }]),
      old,
      'UNMEASURED_RESOURCE',
    ],
    [
      'a metric CloudWatch did not answer completely',
      usage([{ kind: 'alb', complete: false }]),
      old,
      'METRIC_INCOMPLETE',
    ],
    [
      'a stack created within the window',
      usage([{ kind: 'alb' }]),
      new Date(NOW - 3 * DAY).toISOString(),
      'TOO_YOUNG',
    ],
    ['a reading shorter than the window', usage([{ kind: 'alb' }], 5), old, 'METRIC_INCOMPLETE'],
    ['an unreadable change time', usage([{ kind: 'alb' }]), '', 'CHANGED_IN_WINDOW'],
    [
      'a stack updated within the window',
      usage([{ kind: 'alb' }]),
      new Date(NOW - 2 * DAY).toISOString(),
      'CHANGED_IN_WINDOW',
    ],
  ])('%s is unknown (%s)', (_name, reading, lastChange, why) => {
    expect(judgeUsage(reading, lastChange, 14, NOW, why !== 'TOO_YOUNG')).toMatchObject({
      state: 'unknown',
      why,
    });
  });

  it('an ECS service behind a load balancer of the same stack is covered by it', () => {
    expect(judgeUsage(usage([{ kind: 'alb' }, { kind: 'ecs-service' }]), old, 14, NOW).state).toBe('unused');
  });
});

describe('the usage table: what it does not take', () => {
  it.each([
    ['lambda:function', 'arn:aws:lambda:eu-west-1:123456789012:function:review-fn:live'],
    ['apigateway:restapis', 'arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod'],
    ['apigateway:apis', 'arn:aws:apigateway:eu-west-1::/apis/x9y8/routes/r1'],
    ['apprunner:service', 'arn:aws:apprunner:eu-west-1:123456789012:service/web/id/extra'],
    ['ecs:service', 'arn:aws:ecs:eu-west-1:123456789012:service/cluster/web/extra'],
    ['ec2:instance', 'arn:aws:ec2:eu-west-1:123456789012:instance/i-1/extra'],
    ['appsync:apis', 'arn:aws:appsync:eu-west-1:123456789012:apis/abc/types/Query'],
    ['cloudfront:distribution', 'arn:aws:cloudfront::123456789012:distribution/E1/extra'],
    ['elasticloadbalancing:loadbalancer', 'arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/b/c'],
    ['elasticloadbalancing:loadbalancer', 'arn:aws:elasticloadbalancing:eu-west-1:1:xloadbalancer/app/a/b'],
    ['lambda:function', 'arn:aws:lambda:eu-west-1:123456789012:xfunction:fn'],
    ['apigateway:apis', 'arn:aws:apigateway:eu-west-1::x/apis/x9y8'],
  ])('%s %s is no kind it knows (so `other`: not measured)', (type, arn) => {
    expect(usageSpecOf(type, arn)).toBeUndefined();
  });

  it('an AppSync API is a kind it knows, and never measures', () => {
    expect(usageSpecOf('appsync:apis', 'arn:aws:appsync:eu-west-1:123456789012:apis/abc')?.kind).toBe(
      'appsync',
    );
  });

  it('asks nothing for a resource that is not measured, or whose ARN its kind does not match', () => {
    const { queries, unnamed } = usageQueries(
      [
        { arn: ARNS.ecs, kind: 'ecs-service' },
        { arn: ARNS.lambda, kind: 'alb' },
        { arn: ARNS.alb, kind: 'other' },
      ],
      'eu-west-1',
      new Map(),
    );
    expect(queries).toEqual([]);
    expect(unnamed).toEqual([]);
  });
});

describe('judgeUsage: the details and the edges', () => {
  const DAYS = 28;
  const silent = Array.from({ length: DAYS }, () => 0);

  it('names the resources in a few words, and counts past five', () => {
    const six = usage(
      Array.from({ length: 6 }, (_, i) => ({
        kind: 'lambda' as const,
        arn: `arn:aws:lambda:eu-west-1:123456789012:function:fn-${i}`,
        daily: silent,
      })),
    );
    const v = judgeUsage(six, old, 14, NOW);
    expect(v).toMatchObject({ state: 'unused' });
    expect(v.state === 'unused' && v.resources).toHaveLength(6);
    const gw = judgeUsage(usage([{ kind: 'alb' }, { kind: 'gwlb', arn: ARNS.gwlb }]), old, 14, NOW);
    expect(gw).toMatchObject({ why: 'UNMEASURED_RESOURCE' });
    expect(gw.state === 'unknown' && gw.detail).toBe(
      'traffic can reach resources whose requests are not measured: gwlb gwy/review-gw/1a2b3c4d5e6f7a8b',
    );
    const part = judgeUsage(usage([{ kind: 'lambda', arn: ARNS.lambda, complete: false }]), old, 14, NOW);
    expect(part.state === 'unknown' && part.detail).toBe(
      'CloudWatch did not answer every metric completely: lambda review-shop-api',
    );
  });

  it('resourceWords says at most five, then the count', async () => {
    const { resourceWords } = await import('./usage.js');
    const r = (i: number) => ({
      arn: `arn:aws:lambda:eu-west-1:1:function:f${i}`,
      kind: 'lambda' as const,
      daily: [],
      complete: true,
    });
    expect(resourceWords([1, 2, 3, 4, 5].map(r))).toBe(
      'lambda f1, lambda f2, lambda f3, lambda f4, lambda f5',
    );
    expect(resourceWords([1, 2, 3, 4, 5, 6].map(r))).toBe(
      'lambda f1, lambda f2, lambda f3, lambda f4, lambda f5, … (6)',
    );
    expect(resourceWords([{ ...r(0), arn: ARNS.alb, kind: 'alb' }])).toBe(
      'alb app/review-shop/50dc6c495c0c9188',
    );
  });

  it('a measured resource with fewer days than the reading is incomplete', () => {
    const reading = usage([{ kind: 'alb' }]);
    if (reading.ok) reading.value.resources[0]?.daily.pop();
    expect(judgeUsage(reading, old, 14, NOW)).toMatchObject({ why: 'METRIC_INCOMPLETE' });
  });

  it('a reading made before the window began does not cover it', () => {
    const reading = usage([{ kind: 'alb' }]);
    if (reading.ok) reading.value.readAt = new Date(NOW - 15 * DAY).toISOString();
    const v = judgeUsage(reading, old, 14, NOW);
    expect(v).toMatchObject({ why: 'METRIC_INCOMPLETE' });
    expect(v.state === 'unknown' && v.detail).toMatch(/does not cover the 14-day window/);
    // Read on the window's first day, it does.
    if (reading.ok) reading.value.readAt = new Date(Math.floor(NOW / DAY) * DAY - 14 * DAY).toISOString();
    expect(judgeUsage(reading, old, 14, NOW).state).toBe('unused');
  });

  it('the change is an update unless said otherwise, and the detail names the window', () => {
    const recent = new Date(NOW - 2 * DAY).toISOString();
    const v = judgeUsage(usage([{ kind: 'alb' }]), recent, 14, NOW);
    expect(v).toMatchObject({ why: 'CHANGED_IN_WINDOW' });
    expect(v.state === 'unknown' && v.detail).toBe(
      `the stack changed on ${recent}, after the 14-day window began (2026-11-14): its resources may be younger`,
    );
    const young = judgeUsage(usage([{ kind: 'alb' }]), recent, 14, NOW, false);
    expect(young.state === 'unknown' && young.detail).toBe(
      `the stack was created on ${recent}, after the 14-day window began (2026-11-14)`,
    );
  });

  it('traffic on the very first day read is the last day with traffic; none at all names none', () => {
    const first = judgeUsage(usage([{ kind: 'alb', daily: [9, ...silent.slice(1)] }]), old, 14, NOW);
    expect(first).toEqual({
      state: 'unused',
      lastDay: '2026-11-01',
      windowDays: 14,
      resources: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/review-0/0f0'],
    });
    expect(judgeUsage(usage([{ kind: 'alb', daily: silent }]), old, 14, NOW)).toEqual({
      state: 'unused',
      windowDays: 14,
      resources: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/review-0/0f0'],
    });
  });

  it('dailyTotals adds the resources day by day', async () => {
    const { dailyTotals } = await import('./usage.js');
    const reading = usage(
      [{ kind: 'alb', daily: [1, 2, 3] }, { kind: 'lambda', daily: [10, 0, 5] }, { kind: 'ecs-service' }],
      3,
    );
    expect(reading.ok && dailyTotals(reading.value)).toEqual([11, 2, 8]);
  });
});
