import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tagsFor } from './cli.js';

/**
 * A small sandbox world most daemon, container, template and plan tests share: `live` stacks whose
 * branches and open MRs (iids 1…live) exist, and stacks whose branches are gone (dead, due for
 * deletion), in one project and region; plus whatever stacks, branches and MRs a test adds.
 */
export function liveAndGoneWorld(options: {
  live: number;
  gone: string[];
  faults?: unknown[];
  /** Creation time of the live stacks (scenario time, e.g. `-2d`). */
  liveCreated?: string;
  stacks?: Record<string, unknown>[];
  branches?: Record<string, unknown>[];
  mergeRequests?: Record<string, unknown>[];
  environments?: Record<string, unknown>[];
}) {
  const live = Array.from({ length: options.live }, (_, i) => `feature/live-${i}`);
  return {
    aws: {
      deleteSeconds: 0.2,
      accounts: [
        {
          id: '111111111111',
          regions: {
            'eu-west-1': {
              stacks: [
                ...live.map((ref, i) => ({
                  name: `review-live-${i}`,
                  ...(options.liveCreated ? { created: options.liveCreated } : {}),
                  tags: tagsFor(1, ref),
                })),
                ...options.gone.map((name) => ({
                  name,
                  updated: '-1d',
                  tags: tagsFor(1, `feature/${name.replace(/^review-/, '')}`),
                })),
                ...(options.stacks ?? []),
              ],
            },
          },
        },
      ],
    },
    gitlab: {
      projects: [
        {
          id: 1,
          path: 'acme/shop',
          branches: [
            { name: 'main', protected: true },
            ...live.map((name) => ({ name, committed: '-1h' })),
            ...(options.branches ?? []),
          ],
          mergeRequests: [
            ...live.map((ref, i) => ({ iid: i + 1, sourceBranch: ref })),
            ...(options.mergeRequests ?? []),
          ],
          environments: options.environments ?? [],
        },
      ],
    },
    faults: options.faults ?? [],
  };
}

/** A second GitLab token of the demo world that has the `read_api` scope only. */
export const READ_ONLY_TOKEN = 'glpat-read-api-only';

/** The demo scenario and its config, as objects to adjust, with a `read_api`-only token added. */
export async function demoWithReadOnlyToken(): Promise<{
  scenario: {
    aws: { accounts: { roles?: { arn: string }[]; regions: Record<string, { stacks: unknown[] }> }[] };
    gitlab: { tokens?: string[]; tokenScopes?: Record<string, string[]> };
  };
  demoConfig: Record<string, unknown>;
}> {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const scenario = parse(await readFile('test/scenarios/demo.yaml', 'utf8'));
  scenario.gitlab.tokens = ['glpat-sandbox-token', READ_ONLY_TOKEN];
  scenario.gitlab.tokenScopes = { [READ_ONLY_TOKEN]: ['read_api'] };
  const demoConfig = parse(await readFile('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<
    string,
    unknown
  >;
  return { scenario, demoConfig };
}

/**
 * The demo world with every feature that calls something switched on (cost, ghosts, dashboard, notices,
 * notes, S3 state, AssumeRole, failed-deletion handling with empty-and-retry, leftovers), and a stack
 * that fails on a full bucket and a full repository: the least-privilege test and the fault matrix run
 * it. `faults: false` drops the demo's scripted GitLab 500 (and its GraphQL twin), so a clean run exits 0.
 */
export async function fullFeaturedWorld(options: { faults?: boolean } = {}): Promise<{
  scenario: Awaited<ReturnType<typeof demoWithReadOnlyToken>>['scenario'] & { faults?: unknown[] };
  config: Record<string, unknown>;
  dir: string;
}> {
  const { scenario, demoConfig: demo } = await demoWithReadOnlyToken();
  for (const a of scenario.aws.accounts) a.roles = [{ arn: 'arn:aws:iam::111111111111:role/env-reaper' }];
  // A deletion that fails, so the failure path (stack events, onDeleteFailed) is exercised too.
  const region = (scenario.aws.accounts[0] as { regions: Record<string, { stacks: unknown[] }> }).regions[
    'eu-west-1'
  ];
  // Owners with neither ref nor slug: the environment's deployed ref (one environment GET) and the tagged
  // MR's source branch (one MR GET) stand in.
  region?.stacks.push(
    {
      name: 'review-lp-env-only',
      created: '-3d',
      tags: { 'gitlab:project-id': '101', 'gitlab:environment': 'review/feature/cart' },
    },
    {
      name: 'review-lp-mr-only',
      created: '-3d',
      tags: { 'gitlab:project-id': '101', 'gitlab:mr-iid': '11' },
    },
  );
  // It fails on a full bucket and a full repository (empty-and-retry empties both and retries), and
  // leaves a retained bucket, a retained repository and a run-time log group behind (leftovers).
  const lpTags = { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/lp-gone' };
  region?.stacks.push({
    name: 'review-lp-failing',
    created: '-3d',
    updated: '-1d',
    tags: lpTags,
    resources: [
      {
        logicalId: 'AssetsBucket',
        type: 'AWS::S3::Bucket',
        physicalId: 'review-lp-failing-assets',
        contents: { objects: 3, versioned: true },
      },
      {
        logicalId: 'Images',
        type: 'AWS::ECR::Repository',
        physicalId: 'review-lp-failing-images',
        contents: { images: 2 },
      },
      { logicalId: 'Logs', type: 'AWS::S3::Bucket', physicalId: 'review-lp-failing-logs', retain: true },
      {
        logicalId: 'Cache',
        type: 'AWS::ECR::Repository',
        physicalId: 'review-lp-failing-cache',
        retain: true,
      },
    ],
  });
  (region as unknown as { logGroups: unknown[] }).logGroups = [
    { name: '/aws/lambda/review-lp-failing', tags: lpTags },
  ];
  if (options.faults === false) {
    (scenario as { faults?: unknown[] }).faults = [];
    // The same scripted failure through GraphQL (a resolver timeout on acme/infra's branch names).
    delete (scenario as { gitlab: { graphql?: unknown } }).gitlab.graphql;
  }
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-world-'));
  const config = {
    ...demo,
    aws: {
      regions: ['eu-west-1', 'us-east-1'],
      accounts: [{ id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/env-reaper' }],
      s3ForcePathStyle: true,
    },
    state: {
      backend: 's3',
      bucket: 'env-reaper-state',
      key: 'env-reaper/state.json',
      auditLog: join(dir, 'audit.jsonl'),
    },
    // empty-and-retry calls everything force and retain call (DeleteStack again), and more.
    policy: { onDeleteFailed: 'empty-and-retry', stopGhostEnvironments: true, deleteEnvironments: true },
    notify: { ...(demo.notify as object), beforeDeleteHours: 0 },
    limits: { deleteTimeout: '30s', maxDeletionPercent: 100, maxDeletionsPerRun: 100 },
    // Leftover deletion, every type, at once: the failing stack's retained bucket and repository and its
    // log group are deleted in the run that deleted the stack, so their calls are seen too.
    leftovers: { delete: ['s3:bucket', 'ecr:repository', 'logs:log-group'], deleteAfter: '0s' },
  };
  return { scenario, config, dir };
}

/**
 * Live review apps (branch, open MR, environment with an on_stop job) told apart by their traffic
 * (issue #35): `review-quiet` had its last request 20 days ago (unused), `review-busy` yesterday,
 * `review-young` was deployed 3 days ago (its window reaches before its last change), `review-worker`
 * runs an ECS service with no entry point (unmeasured), `review-bare` has only a bucket.
 */
export function usageWorld(
  options: {
    faults?: unknown[];
    onStop?: Record<string, unknown>;
    extraStacks?: Record<string, unknown>[];
  } = {},
) {
  const apps: { name: string; created: string; resources: Record<string, unknown>[] }[] = [
    {
      name: 'review-quiet',
      created: '-40d',
      resources: [
        { logicalId: 'Alb', type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', traffic: { '-20d': 31 } },
        { logicalId: 'Fn', type: 'AWS::Lambda::Function' },
        { logicalId: 'Svc', type: 'AWS::ECS::Service' },
      ],
    },
    {
      name: 'review-busy',
      created: '-40d',
      resources: [
        { logicalId: 'Alb', type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', traffic: { '-1d': 7 } },
      ],
    },
    {
      name: 'review-young',
      created: '-3d',
      resources: [{ logicalId: 'Alb', type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' }],
    },
    { name: 'review-worker', created: '-40d', resources: [{ logicalId: 'Svc', type: 'AWS::ECS::Service' }] },
    { name: 'review-bare', created: '-40d', resources: [{ logicalId: 'Bucket', type: 'AWS::S3::Bucket' }] },
  ];
  const ref = (name: string) => `feature/${name.replace(/^review-/, '')}`;
  return {
    aws: {
      deleteSeconds: 0.2,
      accounts: [
        {
          id: '111111111111',
          regions: {
            'eu-west-1': {
              stacks: [
                ...apps.map((a) => ({
                  name: a.name,
                  created: a.created,
                  tags: tagsFor(1, ref(a.name), { 'gitlab:environment': `review/${ref(a.name)}` }),
                  resources: a.resources,
                })),
                ...(options.extraStacks ?? []),
              ],
            },
          },
        },
      ],
    },
    gitlab: {
      projects: [
        {
          id: 1,
          path: 'acme/shop',
          branches: [
            { name: 'main', protected: true },
            ...apps.map((a) => ({ name: ref(a.name), committed: '-2h' })),
          ],
          mergeRequests: apps.map((a, i) => ({ iid: i + 1, sourceBranch: ref(a.name), updated: '-1h' })),
          environments: apps.map((a, i) => ({
            id: 70 + i,
            name: `review/${ref(a.name)}`,
            onStop: options.onStop ?? { outcome: 'delete-stack', afterSeconds: 0.1 },
          })),
        },
      ],
    },
    faults: options.faults ?? [],
  };
}
