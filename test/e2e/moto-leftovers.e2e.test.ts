import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { ageDeletions, configFile, readJsonLines, runCli } from '../helpers/cli.js';
import { type Moto, mustHaveMoto, startMoto } from '../helpers/moto.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Leftover deletion against moto (issue #36): a review app's stack is deployed with the AWS CLI and
 * reaped by env-reaper; the versioned bucket the app created at run time (tagged by its pipeline, with
 * 1,150 object versions and 50 delete markers) outlives it. Once `leftovers.deleteAfter` has passed,
 * env-reaper finds it through moto's tagging API, re-checks it with moto's S3 and deletes it: two
 * ListObjectVersions pages, two DeleteObjects, one DeleteBucket.
 */

const available = await mustHaveMoto('moto leftovers e2e');

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Queue:
    Type: AWS::SQS::Queue
`;

const SCENARIO = {
  aws: { accounts: [] },
  gitlab: {
    projects: [
      {
        id: 101,
        path: 'acme/shop',
        branches: [{ name: 'main', protected: true }],
        mergeRequests: [{ iid: 1, sourceBranch: 'feature/gone', state: 'merged', mergedAt: '-2d' }],
      },
    ],
  },
};

const TAGS = {
  'gitlab:project-id': '101',
  'gitlab:ref': 'feature/gone',
  'gitlab:environment': 'review/feature/gone',
};
const BUCKET = 'review-shop-feature-gone-uploads';

describe.skipIf(!available)('moto: a versioned leftover bucket deleted through a third-party S3', () => {
  let moto: Moto;
  let sb: Sandbox;
  let dir: string;
  let config: string;
  let s3: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'env-reaper-moto-leftovers-'));
    await writeFile(join(dir, 'review.yaml'), TEMPLATE);
    await moto.aws(
      'cloudformation',
      'deploy',
      '--stack-name',
      'review-shop-feature-gone',
      '--template-file',
      join(dir, 'review.yaml'),
      '--tags',
      ...Object.entries(TAGS).map(([k, v]) => `${k}=${v}`),
    );
    s3 = new S3Client({
      endpoint: moto.endpoint,
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' },
    });
    await s3.send(
      new CreateBucketCommand({
        Bucket: BUCKET,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: BUCKET,
        Tagging: { TagSet: Object.entries(TAGS).map(([Key, Value]) => ({ Key, Value })) },
      }),
    );
    // 575 keys × 2 versions, then a delete marker on 50 of them: 1,200 entries, two pages of 1,000.
    for (let i = 0; i < 575; i++)
      for (let v = 0; v < 2; v++)
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `uploads/${i}.txt`, Body: `v${v}` }));
    for (let i = 0; i < 50; i++)
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `uploads/${i}.txt` }));
    sb = await startSandbox({ scenario: SCENARIO });
    config = await configFile({
      aws: { regions: ['eu-west-1'], timeout: '10s', maxAttempts: 2, s3ForcePathStyle: true },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      policy: { minAgeHours: 0, grace: { merged: '0s', branchDeleted: '0s' } },
      limits: { maxDeletionPercent: 100 },
      leftovers: { delete: ['s3:bucket'] },
    });
  }, 180_000);

  afterAll(async () => {
    moto?.stop();
    await sb?.close();
  });

  it('reaps the stack, waits deleteAfter, then empties and deletes the bucket in ceil(n/1000) pages', async () => {
    const cli = (...args: string[]) =>
      runCli(['reap', '--apply', '--config', config, '--format', 'json', ...args], {
        ...sb.env(),
        ...moto.env,
      });
    const first = await cli();
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    const r1 = JSON.parse(first.stdout) as Report;
    expect(r1.environments.find((e) => e.stack.name === 'review-shop-feature-gone')?.result).toBe('deleted');
    const bucketArn = `arn:aws:s3:::${BUCKET}`;
    expect(r1.leftovers?.resources.find((l) => l.arn === bucketArn)?.decision).toMatchObject({
      status: 'waiting',
      reason: { code: 'TOO_RECENT' },
    });

    // Eight days pass for env-reaper's state (moto has no clock to move).
    await ageDeletions(join(dir, 'state.json'), 8);

    const second = await cli('--log-level', 'debug');
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
    const r2 = JSON.parse(second.stdout) as Report;
    expect(r2.leftovers?.resources.find((l) => l.arn === bucketArn)?.result).toEqual({
      result: 'deleted',
      removed: 1150,
      deleteMarkers: 50,
    });
    const buckets = JSON.parse(await moto.aws('s3api', 'list-buckets')) as { Buckets: { Name: string }[] };
    expect(buckets.Buckets.map((b) => b.Name)).not.toContain(BUCKET);
    await expect(s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    // The calls, from env-reaper's own API statistics.
    const calls = r2.apiCalls.calls.s3 ?? {};
    expect(calls.ListObjectVersions).toBe(2);
    expect(calls.DeleteObjects).toBe(2);
    expect(calls.DeleteBucket).toBe(1);
    const audit = await readJsonLines(join(dir, 'audit.jsonl'));
    expect(audit.filter((l) => l.arn === bucketArn).map((l) => l.event)).toEqual([
      'leftover-delete-attempt',
      'leftover-deleted',
    ]);
  }, 120_000);
});
