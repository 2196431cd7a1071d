import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../test/sandbox/index.js';
import { USAGE_TAGGING_TYPES, usageQueries, usageSpecOf } from '../core/usage.js';
import { ApiStats } from '../util/api-stats.js';
import { AwsClients } from './clients.js';
import { createAwsUsageReader } from './usage.js';

/**
 * The usage reads through the real SDK clients (tagging API JSON 1.1, CloudWatch JSON 1.0, API Gateway
 * REST JSON) against the sandbox's CloudWatch: resources listed once, the REST API named, metrics
 * answered by dimension, pages followed.
 */

const DAY = 86_400_000;
const target = { regions: ['eu-west-1'] };

describe('usage reads (real SDK, sandbox)', () => {
  let sb: Sandbox;
  const saved = { ...process.env };
  beforeAll(async () => {
    sb = await startSandbox({
      scenario: {
        aws: {
          metricPageDatapoints: 7,
          accounts: [
            {
              id: '111111111111',
              regions: {
                'eu-west-1': {
                  stacks: [
                    {
                      name: 'review-shop',
                      created: '-40d',
                      resources: [
                        {
                          logicalId: 'Alb',
                          type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
                          traffic: { '-2d': 40, '-20d': 3 },
                        },
                        { logicalId: 'Api', type: 'AWS::ApiGateway::RestApi', traffic: { '-1d': 5 } },
                        {
                          logicalId: 'Ws',
                          type: 'AWS::ApiGatewayV2::Api',
                          protocol: 'WEBSOCKET',
                          traffic: { '-3d': 2 },
                        },
                        { logicalId: 'Cdn', type: 'AWS::CloudFront::Distribution', traffic: { '-4d': 9 } },
                        { logicalId: 'Fn', type: 'AWS::Lambda::Function' },
                        { logicalId: 'Svc', type: 'AWS::ECS::Service' },
                        { logicalId: 'Hidden', type: 'AWS::Lambda::Function', untagged: true },
                      ],
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    });
    Object.assign(process.env, sb.env(), { AWS_REGION: 'eu-west-1' });
  });
  afterAll(async () => {
    process.env = saved;
    await sb?.close();
  });

  const reader = () =>
    createAwsUsageReader(
      new AwsClients({ stats: new ApiStats(), logger: pino({ level: 'silent' }), maxAttempts: 1 }),
    );

  it('lists the tagged resources of the region, and CloudFront only in us-east-1', async () => {
    const r = reader();
    const here = await r.listResources(target, 'eu-west-1', USAGE_TAGGING_TYPES);
    const kinds = here.hits.map((h) => usageSpecOf(h.type, h.arn)?.kind).sort();
    expect(kinds).toEqual(['alb', 'ecs-service', 'http-api', 'lambda', 'rest-api']);
    expect(
      here.hits.every((h) => h.stackName === 'review-shop' && h.stackId?.includes(':stack/review-shop/')),
    ).toBe(true);
    const global = await r.listResources(target, 'us-east-1', ['cloudfront:distribution']);
    expect(global.hits.map((h) => h.type)).toEqual(['cloudfront:distribution']);
  });

  it('reads daily sums by dimension across pages, and a wrong dimension answers nothing', async () => {
    const r = reader();
    const { hits } = await r.listResources(target, 'eu-west-1', USAGE_TAGGING_TYPES);
    const { names } = await r.restApiNames(target, 'eu-west-1');
    const resources = hits.map((h) => ({
      arn: h.arn,
      kind: usageSpecOf(h.type, h.arn)?.kind ?? ('other' as const),
    }));
    const byArn = new Map<string, string>();
    for (const h of hits) {
      const id = h.arn.split('/').pop() ?? '';
      const name = names.get(id);
      if (name) byArn.set(h.arn, name);
    }
    const { queries } = usageQueries(resources, 'eu-west-1', byArn);
    const now = Date.now();
    const from = Math.floor(now / DAY) * DAY - 27 * DAY;
    const wrong = {
      id: 'wrong',
      namespace: 'AWS/ApplicationELB',
      metric: 'RequestCount',
      dimensions: { LoadBalancer: 'app/nope/1' },
    };
    const got = await r.metricData(target, 'eu-west-1', [...queries, wrong], from, from + 28 * DAY);
    // 2 ALB days + 1 REST + 1 WebSocket (Count answers nothing) + 0 Lambda = 5 points, pages of 7 → 1 call.
    const sum = (id: string) => got.series.get(id)?.points.reduce((a, p) => a + p.sum, 0);
    const idOf = (kind: string, metric: string) =>
      queries.find((q) => resources.find((x) => x.arn === q.arn)?.kind === kind && q.metric === metric)?.id ??
      '';
    expect(sum(idOf('alb', 'RequestCount'))).toBe(43);
    expect(sum(idOf('rest-api', 'Count'))).toBe(5);
    expect(sum(idOf('http-api', 'ConnectCount'))).toBe(2);
    expect(sum(idOf('http-api', 'Count'))).toBe(0);
    expect(sum(idOf('lambda', 'Invocations'))).toBe(0);
    expect(got.series.get('wrong')).toEqual({ points: [], complete: true });
    expect([...got.series.values()].every((s) => s.complete)).toBe(true);
  });

  it('follows NextToken when the datapoints exceed a page', async () => {
    const fnUsage = sb.world.stacks[0]?.resources.find((x) => x.logicalId === 'Fn')?.usage;
    if (!fnUsage) throw new Error('world');
    fnUsage.daily = 10;
    const r = reader();
    const fn = 'review-shop-fn';
    const now = Date.now();
    const from = Math.floor(now / DAY) * DAY - 27 * DAY;
    const got = await r.metricData(
      target,
      'eu-west-1',
      [{ id: 'm0', namespace: 'AWS/Lambda', metric: 'Invocations', dimensions: { FunctionName: fn } }],
      from,
      from + 28 * DAY,
    );
    expect(got.calls).toBeGreaterThan(1);
    expect(got.series.get('m0')?.complete).toBe(true);
    expect(got.series.get('m0')?.points.length).toBeGreaterThan(7);
  });
});
