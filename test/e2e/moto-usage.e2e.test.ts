import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';
import { type Moto, mustHaveMoto, startMoto } from '../helpers/moto.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Usage against a third-party AWS (issue #35): real templates with a load balancer and a function are
 * deployed to moto with the AWS CLI, their traffic is seeded with `PutMetricData`, and the built CLI
 * judges them through moto's tagging API and CloudWatch. The same world is then served by the
 * sandbox, and both must give the same verdicts and the same usage. moto's departures, each worked
 * around here and listed in docs/testing.md: its CloudFormation does not tag what it creates with
 * `aws:cloudformation:*` (the test tags it as CloudFormation would), and a stack's creation time is
 * moto's clock (test/e2e/moto_backdated.py sets CloudFormation's clock 30 days back).
 */

const available = await mustHaveMoto('moto usage e2e');

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env:
    Type: String
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{ Effect: Allow, Principal: { Service: lambda.amazonaws.com }, Action: 'sts:AssumeRole' }]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub "\${Env}-fn"
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: { ZipFile: "def handler(event, context): return 1" }
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: 10.0.0.0/16 }
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: eu-west-1a }
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24, AvailabilityZone: eu-west-1b }
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Name: !Sub "\${Env}-alb"
      Subnets: [!Ref SubnetA, !Ref SubnetB]
`;

const DAY = 86_400_000;
/** Each app's requests: days ago → count, on its load balancer (`alb`) or its function (`fn`). */
const APPS: Record<
  string,
  { alb?: Record<number, number>; fn?: Record<number, number>; untagged?: boolean }
> = {
  quiet: { alb: { 20: 50, 25: 8 } },
  busy: { alb: { 1: 3 } },
  worker: { fn: { 2: 40 } },
  untagged: { alb: { 1: 9 }, untagged: true },
};

const GITLAB = {
  projects: [
    {
      id: 101,
      path: 'acme/shop',
      branches: [
        { name: 'main', protected: true },
        ...Object.keys(APPS).map((a) => ({ name: `feature/${a}`, committed: '-1h' })),
      ],
      mergeRequests: Object.keys(APPS).map((a, i) => ({
        iid: i + 1,
        sourceBranch: `feature/${a}`,
        updated: '-1h',
      })),
    },
  ],
};

const summary = (report: Report) =>
  Object.fromEntries(
    report.environments.map((e) => [
      e.stack.name,
      `${e.verdict} ${e.usage?.state ?? '-'} ${e.usage?.why ?? e.usage?.lastUsed ?? ''}`.trim(),
    ]),
  );

describe.skipIf(!available)('moto: usage through its tagging API and CloudWatch', () => {
  let moto: Moto;
  let gitlab: Sandbox;
  let config: string;
  beforeAll(async () => {
    moto = await startMoto({ script: 'test/e2e/moto_backdated.py', env: { MOTO_STACKS_AGE_DAYS: '30' } });
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-moto-usage-'));
    await writeFile(join(dir, 'app.yaml'), TEMPLATE);
    for (const [app, traffic] of Object.entries(APPS)) {
      const name = `review-${app}`;
      const tags = Object.entries(tagsFor(101, `feature/${app}`)).map(([k, v]) => `${k}=${v}`);
      await moto.aws(
        'cloudformation',
        'deploy',
        '--stack-name',
        name,
        '--template-file',
        join(dir, 'app.yaml'),
        '--parameter-overrides',
        `Env=${name}`,
        '--tags',
        ...tags,
      );
      const stack = JSON.parse(await moto.aws('cloudformation', 'describe-stacks', '--stack-name', name)) as {
        Stacks: { StackId: string }[];
      };
      const stackId = stack.Stacks[0]?.StackId ?? '';
      const resources = JSON.parse(
        await moto.aws('cloudformation', 'list-stack-resources', '--stack-name', name),
      ) as {
        StackResourceSummaries: {
          ResourceType: string;
          PhysicalResourceId: string;
          LogicalResourceId: string;
        }[];
      };
      const physical = (type: string) =>
        resources.StackResourceSummaries.find((r) => r.ResourceType === type)?.PhysicalResourceId ?? '';
      const albArn = physical('AWS::ElasticLoadBalancingV2::LoadBalancer');
      const fn = physical('AWS::Lambda::Function');
      // What CloudFormation does on AWS and moto does not: tag what it created with the stack.
      if (!traffic.untagged) {
        const cfnTags = { 'aws:cloudformation:stack-name': name, 'aws:cloudformation:stack-id': stackId };
        await moto.aws(
          'elbv2',
          'add-tags',
          '--resource-arns',
          albArn,
          '--tags',
          ...Object.entries(cfnTags).map(([k, v]) => `Key=${k},Value=${v}`),
        );
        const fnArn = JSON.parse(await moto.aws('lambda', 'get-function', '--function-name', fn)) as {
          Configuration: { FunctionArn: string };
        };
        await moto.aws(
          'lambda',
          'tag-resource',
          '--resource',
          fnArn.Configuration.FunctionArn,
          '--tags',
          Object.entries(cfnTags)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        );
      }
      // The traffic, as the services would have published it.
      const put = async (
        namespace: string,
        metric: string,
        dimension: string,
        value: string,
        days: Record<number, number>,
      ) => {
        for (const [ago, n] of Object.entries(days))
          await moto.aws(
            'cloudwatch',
            'put-metric-data',
            '--namespace',
            namespace,
            '--metric-data',
            JSON.stringify([
              {
                MetricName: metric,
                Dimensions: [{ Name: dimension, Value: value }],
                Value: n,
                Timestamp: new Date(Date.now() - Number(ago) * DAY).toISOString(),
              },
            ]),
          );
      };
      await put(
        'AWS/ApplicationELB',
        'RequestCount',
        'LoadBalancer',
        albArn.split(':loadbalancer/')[1] ?? '',
        traffic.alb ?? {},
      );
      await put('AWS/Lambda', 'Invocations', 'FunctionName', fn, traffic.fn ?? {});
    }
    gitlab = await startSandbox({ scenario: { aws: { accounts: [] }, gitlab: GITLAB } });
    config = await configFile({
      aws: { regions: ['eu-west-1'], timeout: '10s', maxAttempts: 2 },
      usage: { enabled: true },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    });
  }, 180_000);

  afterAll(async () => {
    moto?.stop();
    await gitlab?.close();
  });

  it('gives the verdicts the world calls for, and the sandbox gives the same ones', async () => {
    const r = await runCli(['audit', '--config', config, '--format', 'json'], {
      ...gitlab.env(),
      ...moto.env,
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const onMoto = JSON.parse(r.stdout) as Report;
    const day = (ago: number) => new Date(Date.now() - ago * DAY).toISOString().slice(0, 10);
    expect(summary(onMoto)).toEqual({
      'review-quiet': `unused unused ${day(20)}`,
      'review-busy': `active used ${day(1)}`,
      'review-worker': `active used ${day(2)}`,
      'review-untagged': 'active unknown NO_MEASURED_RESOURCE',
    });
    expect(onMoto.summary.usage).toMatchObject({ stacks: 4, unused: 1, metricsRequested: 6 });
    expect(onMoto.summary.usage?.calls.getMetricData).toBe(1);

    // The same world, served by the sandbox.
    const sandbox = await startSandbox({
      scenario: {
        aws: {
          accounts: [
            {
              id: '123456789012',
              regions: {
                'eu-west-1': {
                  stacks: Object.entries(APPS).map(([app, t]) => ({
                    name: `review-${app}`,
                    created: '-30d',
                    tags: tagsFor(101, `feature/${app}`),
                    resources: [
                      {
                        logicalId: 'Alb',
                        type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
                        untagged: t.untagged === true,
                        traffic: Object.fromEntries(
                          Object.entries(t.alb ?? {}).map(([d, n]) => [`-${d}d`, n]),
                        ),
                      },
                      {
                        logicalId: 'Fn',
                        type: 'AWS::Lambda::Function',
                        untagged: t.untagged === true,
                        traffic: Object.fromEntries(
                          Object.entries(t.fn ?? {}).map(([d, n]) => [`-${d}d`, n]),
                        ),
                      },
                    ],
                  })),
                },
              },
            },
          ],
        },
        gitlab: GITLAB,
      },
    });
    try {
      const s = await runCli(['audit', '--config', config, '--format', 'json'], sandbox.env());
      expect(s.code, s.stderr.slice(-2000)).toBe(0);
      expect(summary(JSON.parse(s.stdout) as Report)).toEqual(summary(onMoto));
    } finally {
      await sandbox.close();
    }
  }, 120_000);
});
