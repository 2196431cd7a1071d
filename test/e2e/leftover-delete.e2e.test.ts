import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { ageDeletions, configFile, readJsonLines, runCli, startCli, tagsFor, until } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Leftover deletion (issue #36), the built CLI against the sandbox: a deleted environment's retained
 * bucket (versions and delete markers), repository and log group wait `leftovers.deleteAfter`, are shown
 * by a dry run and a reviewed plan, and are deleted only from it, each re-checked and audited, in
 * ceil(n/1000) ListObjectVersions + as many DeleteObjects + one DeleteBucket. What must not go (a keep
 * tag, MFA delete, an image pulled after the deletion, a bucket something keeps writing to) is reported,
 * and a run killed while emptying is finished by the next one, never twice.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const gone = tagsFor(1, 'feature/gone', { 'gitlab:environment': 'review/gone' });

function scenario(loose: {
  buckets?: Record<string, unknown>[];
  repositories?: Record<string, unknown>[];
  logGroups?: Record<string, unknown>[];
}) {
  const world = liveAndGoneWorld({
    live: 1,
    gone: [],
    stacks: [{ name: 'review-gone', updated: '-2d', tags: gone }],
  });
  const region = world.aws.accounts[0]?.regions['eu-west-1'] as Record<string, unknown>;
  Object.assign(region, loose);
  return world;
}

async function setup(loose: Parameters<typeof scenario>[0]) {
  const sb = await startSandbox({ scenario: scenario(loose) });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-leftover-delete-'));
  const config = await configFile({
    aws: { regions: ['eu-west-1'], s3ForcePathStyle: true },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    limits: { maxDeletionPercent: 100 },
    leftovers: { delete: ['s3:bucket', 'ecr:repository', 'logs:log-group'] },
  });
  const reap = async (...args: string[]) => {
    const out = await runCli(['reap', '--config', config, '--format', 'json', ...args], {
      ...sb.env(),
      ENV_REAPER_LOG_LEVEL: 'info',
    });
    return { ...out, report: JSON.parse(out.stdout) as Report };
  };
  // Time passes: the deletion env-reaper recorded happened eight days ago (past leftovers.deleteAfter).
  const age = () => ageDeletions(join(dir, 'state.json'), 8);
  return { sb, dir, config, reap, age };
}

const ops = (sb: Sandbox, from = 0) => sb.world.requests.slice(from).map((r) => r.operation);
const count = (list: string[], op: string) => list.filter((o) => o === op).length;
const byArn = (r: Report) => new Map((r.leftovers?.resources ?? []).map((l) => [l.arn, l]));

const BUCKET = 'arn:aws:s3:::review-gone-uploads';
const REPO = 'arn:aws:ecr:eu-west-1:111111111111:repository/review-gone-images';
const GROUP = 'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/review-gone-worker';
const KEPT = 'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/review-gone-kept';

describe('leftover deletion (the built CLI against the sandbox)', () => {
  it('waits deleteAfter, shows a dry run and a plan, deletes only from the plan, each audited, once', async () => {
    const { sb, dir, reap, age } = await setup({
      // 2,500 objects × 2 versions + 100 delete markers = 5,100 entries: 6 pages of 1,000.
      buckets: [
        {
          name: 'review-gone-uploads',
          tags: gone,
          contents: { objects: 2500, versioned: true, versionsPerObject: 2, deleteMarkers: 100 },
        },
      ],
      repositories: [{ name: 'review-gone-images', tags: gone, contents: { images: 3 } }],
      logGroups: [
        { name: '/aws/lambda/review-gone-worker', tags: gone },
        { name: '/aws/lambda/review-gone-kept', tags: { ...gone, 'env-reaper:keep': 'true' } },
      ],
    });
    const first = await reap('--apply');
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    // The stack was deleted in this run: every leftover waits for leftovers.deleteAfter (7 days).
    for (const arn of [BUCKET, REPO, GROUP])
      expect(byArn(first.report).get(arn)?.decision).toMatchObject({
        status: 'waiting',
        reason: { code: 'TOO_RECENT' },
      });
    expect(byArn(first.report).get(KEPT)?.decision?.reason.code).toBe('KEEP_TAG');

    await age();
    const before = sb.world.requests.length;
    const plan = join(dir, 'plan.json');
    const dry = await reap('--plan-out', plan);
    expect(dry.code, dry.stderr.slice(-2000)).toBe(0);
    expect(dry.stderr).toMatch(/DRY-RUN: would delete bucket \(every object version and delete marker/);
    expect(dry.stderr).toMatch(/DRY-RUN: would delete repository \(with its images\)/);
    expect(dry.stderr).toMatch(/DRY-RUN: would delete log group/);
    expect(dry.report.leftovers?.plan).toEqual({ due: 3, brake: null });
    expect(byArn(dry.report).get(KEPT)?.decision?.status).toBe('report');
    const written = JSON.parse(await readFile(plan, 'utf8')) as { leftovers: { arn: string }[] };
    expect(written.leftovers.map((l) => l.arn).sort()).toEqual([BUCKET, GROUP, REPO].sort());
    // A dry run writes nothing, and reads nothing a deletion would (no re-check).
    expect(
      ops(sb, before).filter((o) => /Delete|Tagging|ListTagsForResource|ListObjectVersions/.test(o)),
    ).toEqual([]);

    const mark = sb.world.requests.length;
    const applied = await reap('--apply-plan', plan, '--output', `markdown=${join(dir, 'applied.md')}`);
    expect(applied.code, applied.stderr.slice(-2000)).toBe(0);
    const md = await readFile(join(dir, 'applied.md'), 'utf8');
    expect(md).toContain(
      'Resources still tagged with one of the 1 environments deleted recently: 3 deleted.',
    );
    expect(md).toMatch(/review-gone-uploads.*\| `deleted` \|/);
    expect(md).toMatch(/review-gone-kept.*\| `kept: KEEP_TAG` \|/);
    const got = byArn(applied.report);
    expect(got.get(BUCKET)?.result).toEqual({ result: 'deleted', removed: 5000, deleteMarkers: 100 });
    expect(got.get(REPO)?.result?.result).toBe('deleted');
    expect(got.get(GROUP)?.result?.result).toBe('deleted');
    expect(got.get(KEPT)?.result).toBeUndefined();
    const calls = ops(sb, mark);
    // The goal: ceil(n/1000) ListObjectVersions pages, as many DeleteObjects, one DeleteBucket.
    expect(count(calls, 's3:ListObjectVersions')).toBe(6);
    expect(count(calls, 's3:DeleteObjects')).toBe(6);
    expect(count(calls, 's3:DeleteBucket')).toBe(1);
    expect(count(calls, 'ecr:DeleteRepository')).toBe(1);
    expect(count(calls, 'logs:DeleteLogGroup')).toBe(1);
    // Re-checked right before: the service's own tags, and GitLab.
    expect(count(calls, 's3:GetBucketTagging')).toBe(1);
    expect(count(calls, 'ecr:ListTagsForResource')).toBe(1);
    expect(count(calls, 'logs:ListTagsForResource')).toBe(1);
    expect(sb.world.storage.bucket('review-gone-uploads')).toBeUndefined();

    const audit = await readJsonLines(join(dir, 'audit.jsonl'));
    for (const arn of [BUCKET, REPO, GROUP]) {
      expect(audit.filter((l) => l.arn === arn).map((l) => l.event)).toEqual([
        'leftover-delete-attempt',
        'leftover-deleted',
      ]);
    }
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(state.leftovers[BUCKET]).toMatchObject({ status: 'deleted', removed: 5000, deleteMarkers: 100 });

    // Again: nothing is deleted twice (the service says gone, or state says deleted).
    const again = sb.world.requests.length;
    const third = await reap('--apply');
    expect(third.code, third.stderr.slice(-2000)).toBe(0);
    expect(ops(sb, again).filter((o) => /Delete/.test(o) && !/DeleteStack/.test(o))).toEqual([]);
  }, 120_000);

  it('reports, never deletes, what must stay: MFA delete, an image pulled after the deletion, a bucket that refills', async () => {
    const { sb, reap, age } = await setup({
      buckets: [
        { name: 'review-gone-mfa', tags: gone, mfaDelete: true, contents: { objects: 5, versioned: true } },
        {
          name: 'review-gone-busy',
          tags: gone,
          contents: { objects: 10 },
          refill: { objects: 3, times: 100 },
        },
      ],
      repositories: [{ name: 'review-gone-images', tags: gone, contents: { images: 2 }, pulled: '-1h' }],
    });
    expect((await reap('--apply')).code).toBe(0);
    await age();
    const mark = sb.world.requests.length;
    const run = await reap('--apply');
    // The refilling bucket's failure is a run error: exit 1, named, with its operation.
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const got = byArn(run.report);
    expect(got.get('arn:aws:s3:::review-gone-mfa')?.result).toMatchObject({
      result: 'cancelled',
      error: { code: 'MFA_DELETE' },
    });
    expect(got.get(REPO)?.result).toMatchObject({ result: 'cancelled', error: { code: 'RECENTLY_PULLED' } });
    expect(got.get('arn:aws:s3:::review-gone-busy')?.result).toMatchObject({ result: 'failed' });
    const error = run.report.errors.find((e) => e.operation === 'DeleteBucket');
    expect(error).toMatchObject({
      service: 'aws',
      effect: 'kept',
      stacks: ['review-gone'],
      serviceCode: 'BucketNotEmpty',
    });
    const calls = ops(sb, mark);
    // Emptied three times, then given up: something writes to it.
    expect(count(calls, 's3:DeleteBucket')).toBe(3);
    expect(calls.filter((o) => o === 'ecr:DeleteRepository' || o === 'ecr:BatchDeleteImage')).toEqual([]);
    expect(sb.world.storage.bucket('review-gone-mfa')?.entries.length).toBe(5);
    expect(sb.world.storage.bucket('review-gone-busy')).toBeDefined();
  }, 120_000);

  it('a run killed while emptying a bucket is finished by the next run, and the bucket is deleted once', async () => {
    const { sb, dir, config, reap, age } = await setup({
      buckets: [{ name: 'review-gone-uploads', tags: gone, contents: { objects: 8000 } }],
    });
    expect((await reap('--apply')).code).toBe(0);
    await age();
    // The third DeleteObjects is parked: the process is killed with two batches of eight done.
    sb.world.addFault({ service: 'aws', match: 'DeleteObjects', kind: 'hold', after: 2, count: 1 });
    const cli = startCli(['reap', '--apply', '--config', config], sb.env());
    await until(() => sb.world.held.length > 0, 'the third DeleteObjects');
    cli.child.kill('SIGKILL');
    await cli.done;
    sb.world.release(true);
    expect(sb.world.storage.bucket('review-gone-uploads')?.entries.length).toBe(6000);
    const cut = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(cut.leftovers[BUCKET]).toMatchObject({ status: 'started', attempts: 1 });

    const mark = sb.world.requests.length;
    const resumed = await reap('--apply');
    expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
    expect(byArn(resumed.report).get(BUCKET)?.decision?.reason.code).toBe('RESUME');
    expect(byArn(resumed.report).get(BUCKET)?.result).toMatchObject({ result: 'deleted', removed: 6000 });
    expect(count(ops(sb, mark), 's3:DeleteBucket')).toBe(1);
    expect(count(ops(sb), 's3:DeleteBucket')).toBe(1);
    const audit = (await readJsonLines(join(dir, 'audit.jsonl'))).filter((l) => l.arn === BUCKET);
    expect(audit.map((l) => [l.event, l.attempt ?? null])).toEqual([
      ['leftover-delete-attempt', 1],
      ['leftover-delete-attempt', 2],
      ['leftover-deleted', null],
    ]);
  }, 120_000);
});
