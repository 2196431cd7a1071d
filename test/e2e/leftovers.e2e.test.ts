import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Leftovers, end to end: after the built CLI deletes an environment's stack, resources still tagged with
 * that environment are found with the tagging API, confirmed with their own service, and reported in
 * every format, in that run and in later ones (from state). A stale tagging entry, the stack's own
 * deleted bucket and another environment's resources are not reported. Nothing is deleted.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const envTags = (env: string) => tagsFor(1, `feature/${env}`, { 'gitlab:environment': `review/${env}` });

function scenario() {
  const world = liveAndGoneWorld({
    live: 1,
    gone: [],
    stacks: [
      {
        name: 'review-gone',
        updated: '-2d',
        tags: envTags('gone'),
        resources: [
          // DeletionPolicy: Retain keeps the bucket (and CloudFormation's tags on it) after the stack.
          {
            logicalId: 'Uploads',
            type: 'AWS::S3::Bucket',
            physicalId: 'review-gone-uploads',
            retain: true,
            monthlyCost: 12.3,
          },
          { logicalId: 'Cache', type: 'AWS::S3::Bucket', physicalId: 'review-gone-cache' },
        ],
      },
    ],
  });
  const world2 = world as typeof world & { aws: { taggingStaleSeconds?: number } };
  // The tagging index keeps deleted resources for an hour here.
  world2.aws.taggingStaleSeconds = 3600;
  const region = world.aws.accounts[0]?.regions['eu-west-1'] as Record<string, unknown>;
  region.logGroups = [
    // Created by the review app at run time, tagged by its pipeline.
    { name: '/aws/lambda/review-gone-worker', tags: envTags('gone'), created: '-3d', monthlyCost: 4.5 },
    // Deleted ten minutes ago; the tagging index still lists it.
    { name: '/aws/lambda/review-gone-old', tags: envTags('gone'), created: '-5d', deleted: '-10m' },
    // Another environment of the same project.
    { name: '/aws/lambda/review-other', tags: envTags('other'), created: '-3d' },
  ];
  return world;
}

async function run(sb: Sandbox, dir: string, apply: boolean) {
  const file = await configFile({
    aws: { regions: ['eu-west-1'], s3ForcePathStyle: true },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    limits: { maxDeletionPercent: 100 },
    cost: { enabled: true },
  });
  const tag = apply ? 'apply' : 'dry';
  const out = await runCli(
    [
      'reap',
      ...(apply ? ['--apply'] : []),
      '--config',
      file,
      '--format',
      'table',
      '--output',
      `json=${join(dir, `${tag}.json`)}`,
      '--output',
      `markdown=${join(dir, `${tag}.md`)}`,
      '--output',
      `junit=${join(dir, `${tag}.xml`)}`,
      '--output',
      `html=${join(dir, `${tag}.html`)}`,
    ],
    sb.env(),
  );
  const read = (ext: string) => readFile(join(dir, `${tag}.${ext}`), 'utf8');
  return {
    out,
    report: JSON.parse(await read('json')) as Report,
    markdown: await read('md'),
    junit: await read('xml'),
    html: await read('html'),
  };
}

describe('leftovers of deleted environments (the built CLI against the sandbox)', () => {
  it('reports the retained bucket and the run-time log group, confirmed, in every format and in later runs', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-leftovers-'));
    const first = await run(sb, dir, true);
    expect(first.out.code, first.out.stderr.slice(-2000)).toBe(0);
    expect(first.report.environments.find((e) => e.stack.name === 'review-gone')?.result).toBe('deleted');

    const expected = [
      {
        arn: 'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/review-gone-worker',
        type: 'logs:log-group',
      },
      { arn: 'arn:aws:s3:::review-gone-uploads', type: 's3:bucket' },
    ];
    {
      const r = first;
      expect(r.report.leftovers?.checked).toBe(1);
      expect(r.report.leftovers?.resources.map((l) => ({ arn: l.arn, type: l.type }))).toEqual(expected);
      for (const l of r.report.leftovers?.resources ?? [])
        expect(l).toMatchObject({ stackName: 'review-gone', confirmed: true, account: '111111111111' });
      expect(r.report.leftovers?.resources[0]?.createdAt).toBeDefined();
      // Cost Explorer's resource-level data: the last 14 days, scaled to a month.
      expect(r.report.leftovers?.resources.map((l) => l.monthlyCost)).toEqual([4.5, 12.3]);
      expect(r.markdown).toContain('12.3 USD');
      expect(r.markdown).toContain('### left behind by deleted environments (2)');
      expect(r.markdown).toContain('review-gone-uploads');
      expect(r.junit).toMatch(/<testsuite name="leftovers" tests="2" failures="2"/);
      expect(r.html).toMatch(/id="leftovers" data-leftovers="2"/);
      expect(r.out.stdout).toMatch(/left behind by deleted environments \(2, report only\)/);
    }
    // Not reported: the stale entry, the stack's own deleted bucket, the other environment's log group.
    const text = JSON.stringify(first.report.leftovers);
    for (const absent of ['review-gone-old', 'review-gone-cache', 'review-other'])
      expect(text).not.toContain(absent);
    // The stale entry and the deleted bucket were in the index: each was checked, then dropped.
    const ops = sb.world.requests.map((r) => r.operation);
    expect(ops.filter((o) => o === 'tagging:GetResources')).toHaveLength(1);
    expect(ops.filter((o) => o === 's3:HeadBucket')).toHaveLength(2);
    // leftovers.delete unset: reported, never emptied, deleted or even re-read for a deletion.
    expect(
      ops.filter((o) =>
        /DeleteBucket|DeleteRepository|DeleteLogGroup|DeleteObjects|BatchDeleteImage|Tagging|ListTagsForResource/.test(
          o,
        ),
      ),
    ).toEqual([]);
    expect(ops.filter((o) => o === 'logs:DescribeLogGroups')).toHaveLength(2);

    // A later dry-run reads the deleted environment from state and reports the same leftovers; without
    // resource-level cost data in Cost Explorer their cost is unknown, not zero.
    sb.world.scenario.aws.resourceLevelCost = false;
    const later = await run(sb, dir, false);
    expect(later.report.leftovers?.resources.map((l) => l.monthlyCost)).toEqual([null, null]);
    expect(later.out.code, later.out.stderr.slice(-2000)).toBe(0);
    expect(later.report.leftovers?.resources.map((l) => l.arn)).toEqual(expected.map((e) => e.arn));
    // Reported, never deleted: no write touched them.
    expect(
      sb.world.writes.filter((w) =>
        /review-gone-(uploads|worker)/.test(`${w.target} ${JSON.stringify(w.params)}`),
      ),
    ).toEqual([]);
    expect(sb.world.storage.bucket('review-gone-uploads')).toBeDefined();
  });

  it('leftovers.enabled: false makes no tagging call and no section', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-leftovers-off-'));
    const file = await configFile({
      aws: { regions: ['eu-west-1'] },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      limits: { maxDeletionPercent: 100 },
      leftovers: { enabled: false },
    });
    const out = await runCli(['reap', '--apply', '--config', file, '--format', 'json'], sb.env());
    expect(out.code, out.stderr.slice(-2000)).toBe(0);
    expect((JSON.parse(out.stdout) as Report).leftovers).toBeUndefined();
    expect(sb.world.requests.filter((r) => r.operation.startsWith('tagging:'))).toEqual([]);
  });
});
