import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, readJsonLines, runCli, tagsFor } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * `onDeleteFailed: empty-and-retry`, end to end: the built CLI deletes dead stacks whose bucket or
 * repository still holds data; the sandbox fails those deletions as AWS does (BucketNotEmpty), and
 * env-reaper empties what the stack itself owns (ListStackResources), retries once, and reports what
 * it removed. Buckets it does not own, and stacks it cannot fully repair, are never touched.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const gone = (name: string, resources: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  updated: '-2d',
  tags: tagsFor(1, `feature/${name}`),
  resources,
  ...extra,
});

function scenario() {
  const world = liveAndGoneWorld({
    live: 1,
    gone: [],
    stacks: [
      gone(
        'review-full',
        [
          {
            logicalId: 'Assets',
            type: 'AWS::S3::Bucket',
            physicalId: 'review-full-assets',
            contents: { objects: 2500, versioned: true, deleteMarkers: 200, objectBytes: 1000 },
          },
        ],
        { tags: tagsFor(1, 'feature/review-full', { 'gitlab:mr-iid': '31' }) },
      ),
      gone('review-images', [
        {
          logicalId: 'Repo',
          type: 'AWS::ECR::Repository',
          physicalId: 'review-images',
          contents: { images: 150 },
        },
      ]),
      // A custom resource fails beside the full bucket: emptying cannot make the retry succeed.
      gone(
        'review-stuck',
        [
          {
            logicalId: 'Data',
            type: 'AWS::S3::Bucket',
            physicalId: 'review-stuck-data',
            contents: { objects: 3 },
          },
          { logicalId: 'Dns', type: 'Custom::DnsRecord' },
        ],
        {
          deletion: {
            outcome: 'failed',
            failedResources: [{ logicalId: 'Dns', type: 'Custom::DnsRecord', reason: 'handler timed out' }],
          },
        },
      ),
    ],
    mergeRequests: [{ iid: 31, sourceBranch: 'feature/review-full', state: 'merged', mergedAt: '-2d' }],
  });
  const region = world.aws.accounts[0]?.regions['eu-west-1'] as {
    stacks: Record<string, unknown>[];
    buckets?: unknown[];
  };
  // The live stack holds data too, and a loose bucket is named like the reaped one: neither is touched.
  const live = region.stacks[0] as Record<string, unknown>;
  live.resources = [
    {
      logicalId: 'Assets',
      type: 'AWS::S3::Bucket',
      physicalId: 'review-live-0-assets',
      contents: { objects: 10 },
    },
  ];
  region.buckets = [
    { name: 'review-full-assets-backup', tags: tagsFor(1, 'feature/review-full'), contents: { objects: 5 } },
  ];
  return world;
}

async function reap(sb: Sandbox, limits: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-repair-'));
  const file = await configFile({
    aws: { regions: ['eu-west-1'], s3ForcePathStyle: true },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    limits: { maxDeletionPercent: 100, ...limits },
    policy: { onDeleteFailed: 'empty-and-retry', grace: { merged: '0s' } },
  });
  const out = await runCli(
    ['reap', '--apply', '--config', file, '--format', 'json', '--output', `json=${join(dir, 'r.json')}`],
    sb.env(),
  );
  const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
  const byName = Object.fromEntries(report.environments.map((e) => [e.stack.name, e]));
  const audit = await readJsonLines(join(dir, 'audit.jsonl'));
  return { out, byName, audit };
}

describe('onDeleteFailed: empty-and-retry (the built CLI against the sandbox)', () => {
  it('empties the bucket and repository the stack owns, retries once, and reports what it removed', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    const r = await reap(sb);
    expect(r.out.code, r.out.stderr.slice(-2000)).toBe(1); // review-stuck stays failed
    const storage = sb.world.storage;

    expect(r.byName['review-full']).toMatchObject({
      result: 'deleted',
      repair: {
        status: 'emptied',
        resources: [
          {
            logicalId: 'Assets',
            type: 'AWS::S3::Bucket',
            physicalId: 'review-full-assets',
            removed: 2500,
            deleteMarkers: 200,
            bytes: 2_500_000,
            errors: [],
          },
        ],
      },
    });
    expect(r.byName['review-images']).toMatchObject({
      result: 'deleted',
      repair: { status: 'emptied', resources: [{ physicalId: 'review-images', removed: 150 }] },
    });
    expect(storage.buckets.get('review-full-assets')?.deletedAt).toBeDefined();

    // Nothing is emptied where the retry could not succeed.
    expect(r.byName['review-stuck']).toMatchObject({
      result: 'failed',
      error: { code: 'DELETE_FAILED' },
      repair: { status: 'refused', refusal: 'NOT_REPAIRABLE', resources: [] },
    });
    expect(storage.bucket('review-stuck-data')?.entries).toHaveLength(3);

    // Only the two owned resources were written to: a live stack's bucket and a look-alike stay full.
    const emptied = sb.world.writes
      .filter((w) => w.operation === 'DeleteObjects' || w.operation === 'BatchDeleteImage')
      .map((w) => w.target);
    expect([...new Set(emptied)].sort()).toEqual(['review-full-assets', 'review-images']);
    expect(storage.bucket('review-live-0-assets')?.entries).toHaveLength(10);
    expect(storage.bucket('review-full-assets-backup')?.entries).toHaveLength(5);
    // Pages of at most 1,000 keys; one retried DeleteStack per repaired stack.
    expect(sb.world.writes.filter((w) => w.target === 'review-full-assets')).toHaveLength(3);
    const retries = sb.world.writes.filter(
      (w) => w.operation === 'DeleteStack' && String(w.params?.clientRequestToken).endsWith('-retry'),
    );
    expect(retries.map((w) => w.params?.name).sort()).toEqual(['review-full', 'review-images']);
    // The MR note tells its author what was emptied.
    const note = sb.world.projects.get(1)?.mergeRequests.find((m) => m.iid === 31)?.notes[0]?.body ?? '';
    expect(note).toMatch(
      /emptied the bucket `review-full-assets` \(2700 object versions and delete markers, 2500000 bytes\) and deleted the stack on a retry/,
    );
    // The audit log names each emptied resource before and after.
    const events = r.audit.filter((e) => String(e.event).startsWith('empty-'));
    expect(events.map((e) => `${e.event} ${e.physicalId}`).sort()).toEqual([
      'empty-attempt review-full-assets',
      'empty-attempt review-images',
      'empty-complete review-full-assets',
      'empty-complete review-images',
    ]);
  });

  it('counts each emptied resource against limits.maxDeletionsPerRun: over the brake, nothing is emptied', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    // Three stacks are due and three deletions allowed: no budget is left to empty anything.
    const r = await reap(sb, { maxDeletionsPerRun: 3 });
    expect(r.out.code).toBe(1);
    for (const name of ['review-full', 'review-images'])
      expect(r.byName[name]).toMatchObject({
        result: 'failed',
        repair: { status: 'refused', refusal: 'REPAIR_BRAKE' },
      });
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteObjects')).toEqual([]);
    expect(sb.world.storage.bucket('review-full-assets')?.entries).toHaveLength(2700);
  });

  it('a scenario that only scripts the failure (no contents) still fails on data, and is repaired', async () => {
    const world = liveAndGoneWorld({
      live: 1,
      gone: [],
      stacks: [
        {
          name: 'review-scripted',
          updated: '-2d',
          tags: tagsFor(1, 'feature/review-scripted'),
          deletion: { outcome: 'failed', failedResources: [{ logicalId: 'AssetsBucket' }] },
        },
      ],
    });
    const sb = await startSandbox({ scenario: world });
    running.push(sb);
    const r = await reap(sb);
    expect(r.out.code, r.out.stderr.slice(-2000)).toBe(0);
    expect(r.byName['review-scripted']).toMatchObject({
      result: 'deleted',
      repair: { status: 'emptied', resources: [{ logicalId: 'AssetsBucket', removed: 10 }] },
    });
  });
});
