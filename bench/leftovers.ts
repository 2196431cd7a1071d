import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deletedStack } from '../test/helpers/leftover-world.js';
import { startSandbox } from '../test/sandbox/index.js';
import { runBuiltCli } from './cli-process.js';

// npm run bench:leftovers -- [--environments 200] [--versions 100000] [--latency 50]
// Issue #36's figures, by the built CLI's `reap --apply` against the sandbox: (1) a world of deleted
// environments, each leaving a versioned bucket (0–3,000 entries), a repository and a log group, every
// deletion `leftovers.deleteAfter` old in state: the calls per deleted leftover against the goal
// (ceil(n/1000) ListObjectVersions + as many DeleteObjects + one DeleteBucket per bucket); (2) one
// bucket of `--versions` entries alone: the wall time to empty and delete it.
const { values } = parseArgs({
  options: {
    environments: { type: 'string', default: '200' },
    versions: { type: 'string', default: '100000' },
    latency: { type: 'string', default: '50' },
  },
});
const ENVS = Number(values.environments);
const VERSIONS = Number(values.versions);
const LATENCY = Number(values.latency);
const ACCOUNT = '111111111111';
const DAY = 86_400_000;

/** A seeded generator, so every run of the bench sees the same world. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Env {
  i: number;
  stackId: string;
  tags: Record<string, string>;
}

function envOf(i: number): Env {
  return {
    i,
    stackId: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/review-e${i}/bench-${i}`,
    tags: { 'gitlab:project-id': '1', 'gitlab:ref': `feature/e${i}`, 'gitlab:environment': `review/e${i}` },
  };
}

/** The scenario and the state of a world whose environments were deleted by env-reaper eight days ago. */
function worldOf(
  envs: Env[],
  buckets: { env: Env; name: string; objects: number; versions: number }[],
  extra: boolean,
) {
  const at = new Date(Date.now() - 8 * DAY).toISOString();
  const state = {
    version: 1,
    stacks: Object.fromEntries(
      envs.map((e) => [
        e.stackId,
        deletedStack(`review-e${e.i}`, e.tags, at, { runId: 'bench', verdict: 'merged' }),
      ]),
    ),
  };
  const scenario = {
    latency: { aws: LATENCY, gitlab: 30 },
    aws: {
      accounts: [
        {
          id: ACCOUNT,
          regions: {
            'eu-west-1': {
              stacks: [],
              buckets: buckets.map((b) => ({
                name: b.name,
                tags: b.env.tags,
                contents: { objects: b.objects, versioned: true, versionsPerObject: b.versions },
              })),
              repositories: extra
                ? envs.map((e) => ({ name: `review-e${e.i}-images`, tags: e.tags, contents: { images: 3 } }))
                : [],
              logGroups: extra ? envs.map((e) => ({ name: `/aws/lambda/review-e${e.i}`, tags: e.tags })) : [],
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
          branches: [{ name: 'main', protected: true }],
          mergeRequests: envs.map((e) => ({
            iid: e.i + 1,
            sourceBranch: `feature/e${e.i}`,
            state: 'merged',
            mergedAt: '-9d',
          })),
        },
      ],
    },
  };
  return { scenario, state };
}

async function reap(world: ReturnType<typeof worldOf>) {
  const sandbox = await startSandbox({ scenario: world.scenario });
  const dir = mkdtempSync(join(tmpdir(), 'env-reaper-bench-leftovers-'));
  writeFileSync(join(dir, 'state.json'), JSON.stringify(world.state));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'aws:',
      '  regions: [eu-west-1]',
      '  s3ForcePathStyle: true',
      'state:',
      `  path: ${join(dir, 'state.json')}`,
      `  auditLog: ${join(dir, 'audit.jsonl')}`,
      'limits:',
      '  maxDeletionsPerRun: 100000',
      '  maxDeletionPercent: 100',
      'leftovers:',
      '  delete: [s3:bucket, ecr:repository, logs:log-group]',
      '',
    ].join('\n'),
  );
  const { code, wall, stderr, cpuS, rssMb } = await runBuiltCli(
    ['reap', '--apply', '--config', config, '--format', 'json', '--output', `json=${join(dir, 'r.json')}`],
    sandbox.env(),
  );
  const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
    leftovers?: { resources: { arn: string; result?: { result: string } }[] };
  };
  const ops = sandbox.world.requests.filter((r) => r.service === 'aws').map((r) => r.operation);
  const count = (op: string) => ops.filter((o) => o === op).length;
  const out = {
    code,
    wall,
    stderr,
    cpuS,
    rssMb,
    deleted: (report.leftovers?.resources ?? []).filter((l) => l.result?.result === 'deleted').length,
    found: report.leftovers?.resources.length ?? 0,
    count,
    ops,
  };
  await sandbox.close();
  return out;
}

const random = rng(36);
const envs = Array.from({ length: ENVS }, (_, i) => envOf(i));
const buckets = envs.map((env) => {
  const objects = Math.floor(random() * 1500);
  return { env, name: `review-e${env.i}-uploads`, objects, versions: 1 + Math.floor(random() * 2) };
});
const entries = buckets.reduce((n, b) => n + b.objects * b.versions, 0);
// An empty bucket still takes one (empty) listing to know it is empty.
const pages = (n: number) => Math.max(1, Math.ceil(n / 1000));
const goal = buckets.reduce(
  (n, b) => n + pages(b.objects * b.versions) + Math.ceil((b.objects * b.versions) / 1000) + 1,
  0,
);
console.log(
  `world: ${ENVS} deleted environments, each leaving a versioned bucket (0–3,000 entries; ${entries} in all), a repository of 3 images and a log group; AWS latency ${LATENCY} ms`,
);
const many = await reap(worldOf(envs, buckets, true));
if (many.code !== 0) console.log(many.stderr.slice(-3000));
const s3 = ['s3:ListObjectVersions', 's3:DeleteObjects', 's3:DeleteBucket'].map((o) => many.count(o));
const bucketCalls = s3.reduce((a, b) => a + b, 0);
const recheck = [
  's3:GetBucketTagging',
  's3:GetBucketVersioning',
  'ecr:ListTagsForResource',
  'ecr:DescribeImages',
  'logs:ListTagsForResource',
].map((o) => many.count(o));
console.log(`exit ${many.code}; leftovers found ${many.found}, deleted ${many.deleted}`);
console.log(
  `bucket calls  ${bucketCalls} = ${s3[0]} ListObjectVersions + ${s3[1]} DeleteObjects + ${s3[2]} DeleteBucket; goal Σ(max(1, ceil(n/1000)) + ceil(n/1000) + 1) = ${goal}`,
);
console.log(
  `per type      repository: ${many.count('ecr:DeleteRepository')} DeleteRepository; log group: ${many.count('logs:DeleteLogGroup')} DeleteLogGroup`,
);
console.log(
  `re-checks     ${recheck.reduce((a, b) => a + b, 0)} (GetBucketTagging ${recheck[0]}, GetBucketVersioning ${recheck[1]}, ecr ListTagsForResource ${recheck[2]}, DescribeImages ${recheck[3]}, logs ListTagsForResource ${recheck[4]})`,
);
console.log(
  `wall ${many.wall.toFixed(1)} s, env-reaper CPU ${many.cpuS.toFixed(1)} s, RSS ${many.rssMb.toFixed(0)} MB`,
);

// One bucket of VERSIONS entries (half the objects with two versions), alone.
const one = envOf(0);
const objects = Math.ceil(VERSIONS / 2);
const big = await reap(worldOf([one], [{ env: one, name: 'review-e0-big', objects, versions: 2 }], false));
console.log(
  `\none bucket of ${objects * 2} versions: exit ${big.code}, ${big.count('s3:ListObjectVersions')} ListObjectVersions + ${big.count('s3:DeleteObjects')} DeleteObjects + ${big.count('s3:DeleteBucket')} DeleteBucket (goal ${2 * Math.ceil((objects * 2) / 1000) + 1}); run wall ${big.wall.toFixed(1)} s, env-reaper CPU ${big.cpuS.toFixed(1)} s, RSS ${big.rssMb.toFixed(0)} MB`,
);
console.log(
  `\ncommand: npm run bench:leftovers -- --environments ${ENVS} --versions ${VERSIONS} --latency ${LATENCY}`,
);
