import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFile, runCli } from '../helpers/cli.js';
import { documentedRoutes, iamAction, policyActions } from '../helpers/privilege.js';
import { demoWithReadOnlyToken, READ_ONLY_TOKEN } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Least privilege, proven: every AWS operation and GitLab route the built CLI makes against the sandbox,
 * per mode, must be granted by the documented policy for that mode (`deploy/iam/*.json`, the GitLab
 * route table in `docs/deploy.md`), and the documentation must grant nothing the code never calls. The
 * runs switch on every feature that calls something (cost, ghosts, dashboard, notices, notes, S3 state,
 * AssumeRole, failed-deletion handling with empty-and-retry, leftovers), so the sets are complete.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function world() {
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
  const sb = await startSandbox({ scenario });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-lp-'));
  const config = await configFile({
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
  });
  return { sb, config };
}

function observed(sb: Sandbox) {
  const aws = new Set(
    sb.world.requests.filter((r) => r.service === 'aws').map((r) => iamAction(r.operation)),
  );
  const gitlab = new Set(sb.world.requests.filter((r) => r.service === 'gitlab').map((r) => r.operation));
  const forbidden = sb.world.requests.filter((r) => r.status === 403 || r.status === 401);
  return { aws, gitlab, forbidden };
}

describe('least privilege', () => {
  it('audit and explain call exactly the audit policy, and work with a read_api token alone', async () => {
    const { sb, config } = await world();
    const env = { ...sb.env(), GITLAB_TOKEN: READ_ONLY_TOKEN };
    const audit = await runCli(['audit', '--config', config, '--format', 'json'], env);
    // acme/infra answers 500 in the demo, so exit 1; everything else must have gone through.
    expect(audit.code, audit.stderr.slice(-1500)).toBe(1);
    const explain = await runCli(['explain', 'review-shop-fix-typo', '--config', config], env);
    expect(explain.code, explain.stderr.slice(-1500)).toBe(0);
    const seen = observed(sb);
    expect(seen.forbidden).toEqual([]);
    expect([...seen.aws].sort()).toEqual([...(await policyActions('audit'))].sort());
    const routes = await documentedRoutes();
    const auditRoutes = [...routes].filter(([, modes]) => modes.has('audit')).map(([r]) => r);
    expect([...seen.gitlab].sort()).toEqual(auditRoutes.sort());
    expect([...seen.gitlab].every((r) => r.startsWith('GET '))).toBe(true);
  }, 90_000);

  it('reap --apply calls exactly the reap policy and the documented routes; a read_api token cannot write', async () => {
    const { sb, config } = await world();
    // Dry-run first, with a read_api token: GitLab reads only.
    const dry = await runCli(['reap', '--config', config, '--format', 'json'], {
      ...sb.env(),
      GITLAB_TOKEN: READ_ONLY_TOKEN,
    });
    expect([0, 1]).toContain(dry.code);
    expect(observed(sb).forbidden).toEqual([]);
    expect([...observed(sb).gitlab].every((r) => r.startsWith('GET '))).toBe(true);
    const apply = await runCli(['reap', '--apply', '--config', config, '--format', 'json'], sb.env());
    expect([0, 1]).toContain(apply.code);
    const again = await runCli(['reap', '--apply', '--config', config, '--format', 'json'], sb.env());
    expect([0, 1]).toContain(again.code);
    const seen = observed(sb);
    expect(seen.forbidden).toEqual([]);
    expect([...seen.aws].sort()).toEqual([...(await policyActions('reap'))].sort());
    const routes = await documentedRoutes();
    const reapRoutes = [...routes].filter(([, modes]) => modes.has('reap')).map(([r]) => r);
    expect([...seen.gitlab].sort()).toEqual(reapRoutes.sort());
    expect([...seen.gitlab].some((r) => !r.startsWith('GET '))).toBe(true);

    // The same apply with a read_api token: GitLab refuses every write with 403, as documented.
    const ro = await world();
    const refused = await runCli(['reap', '--apply', '--config', ro.config, '--format', 'json'], {
      ...ro.sb.env(),
      GITLAB_TOKEN: READ_ONLY_TOKEN,
    });
    expect(refused.code).toBe(1);
    expect(observed(ro.sb).forbidden.length).toBeGreaterThan(0);
    expect(observed(ro.sb).forbidden.every((r) => !r.operation.startsWith('GET '))).toBe(true);
  }, 120_000);
});
