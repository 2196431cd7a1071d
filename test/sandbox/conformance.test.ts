import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from './index.js';

/**
 * The sandbox driven by clients nobody here wrote: the AWS CLI v2 (Debian `awscli`) and python-gitlab
 * (Debian `python3-gitlab`). `.ci/run` installs both; on CI a missing client fails the suite.
 */
const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const haveClients = existsSync(AWS) && existsSync(PYTHON);
if (!haveClients && process.env.CI)
  throw new Error('CI must install awscli and python3-gitlab (see .ci/run)');
if (!haveClients)
  process.stderr.write(
    'sandbox conformance skipped: /usr/bin/aws or python3 missing (apt-get install awscli python3-gitlab)\n',
  );

describe.skipIf(!haveClients)('sandbox conformance with real third-party clients', () => {
  let sb: Sandbox;
  const awsEnv = () => ({
    PATH: '/usr/bin:/bin',
    HOME: '/tmp',
    AWS_ACCESS_KEY_ID: 'AKIACONFORMANCE',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS, [...args, '--endpoint-url', sb.awsEndpoint, '--output', 'json'], {
      env: awsEnv(),
    });
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  };

  beforeAll(async () => {
    sb = await startSandbox({
      scenario: {
        aws: {
          deleteSeconds: 0.2,
          describePageSize: 4,
          accounts: [
            {
              id: '123456789012',
              accessKeyId: 'AKIACONFORMANCE',
              regions: {
                'eu-west-1': {
                  stacks: Array.from({ length: 9 }, (_, i) => ({
                    name: `review-${i}`,
                    tags: { 'gitlab:project-id': '7', i: String(i) },
                  })),
                  buckets: [
                    {
                      name: 'cli-versioned',
                      contents: { objects: 1200, versioned: true, versionsPerObject: 2, deleteMarkers: 50 },
                    },
                    { name: 'cli-plain', contents: { objects: 1500 } },
                    {
                      name: 'cli-leftover',
                      tags: { env: 'review/x', 'env-reaper:keep': 'false' },
                      mfaDelete: true,
                      contents: { objects: 2, versioned: true },
                    },
                  ],
                  repositories: [
                    { name: 'cli-repo', contents: { images: 120 } },
                    {
                      name: 'cli-leftover-repo',
                      tags: { env: 'review/x' },
                      contents: { images: 3 },
                      pulled: '-1h',
                    },
                  ],
                  logGroups: [{ name: '/aws/lambda/cli-leftover', tags: { env: 'review/x' } }],
                },
              },
            },
          ],
        },
        gitlab: {
          projects: [
            {
              id: 7,
              path: 'acme/conformance',
              branches: [{ name: 'main', protected: true }],
              syntheticBranches: { count: 249 },
              mergeRequests: [
                { iid: 1, sourceBranch: 'feature/a', state: 'merged', mergedAt: '-1d' },
                { iid: 2, sourceBranch: 'feature/b', state: 'opened' },
                { iid: 3, sourceBranch: 'feature/c', state: 'closed', closedAt: '-2d' },
              ],
              environments: [{ name: 'review/feature-a' }],
            },
          ],
        },
      },
    });
  });
  afterAll(() => sb?.close());

  it('aws sts get-caller-identity', async () => {
    expect((await aws('sts', 'get-caller-identity')).Account).toBe('123456789012');
  });

  it('aws cloudformation describe-stacks follows NextToken across pages', async () => {
    const out = (await aws('cloudformation', 'describe-stacks')) as { Stacks: { StackName: string }[] };
    expect(out.Stacks).toHaveLength(9);
  });

  it('aws resourcegroupstaggingapi get-resources pages with tag filters', async () => {
    const out = (await aws(
      'resourcegroupstaggingapi',
      'get-resources',
      '--tag-filters',
      'Key=i,Values=1,2,3',
      '--resource-type-filters',
      'cloudformation:stack',
      // --page-size keeps the CLI's own pagination on (an explicit --resources-per-page turns it off).
      '--page-size',
      '1',
    )) as { ResourceTagMappingList: { ResourceARN: string }[] };
    expect(out.ResourceTagMappingList.map((r) => r.ResourceARN.split('/')[1]).sort()).toEqual([
      'review-1',
      'review-2',
      'review-3',
    ]);
    const pages = sb.world.requests.filter((r) => r.operation === 'tagging:GetResources');
    expect(pages).toHaveLength(3);
  });

  it('aws cloudformation delete-stack until DELETE_COMPLETE', async () => {
    const id = (
      (await aws('cloudformation', 'describe-stacks', '--stack-name', 'review-0')) as {
        Stacks: { StackId: string }[];
      }
    ).Stacks[0]?.StackId as string;
    await aws('cloudformation', 'delete-stack', '--stack-name', 'review-0');
    const deadline = Date.now() + 15_000;
    let status = '';
    while (Date.now() < deadline && status !== 'DELETE_COMPLETE') {
      status = (
        (await aws('cloudformation', 'describe-stacks', '--stack-name', id)) as {
          Stacks: { StackStatus: string }[];
        }
      ).Stacks[0]?.StackStatus as string;
    }
    expect(status).toBe('DELETE_COMPLETE');
    const listed = (await aws(
      'cloudformation',
      'list-stacks',
      '--stack-status-filter',
      'DELETE_COMPLETE',
    )) as {
      StackSummaries: { StackName: string }[];
    };
    expect(listed.StackSummaries.map((s) => s.StackName)).toEqual(['review-0']);
    await expect(aws('cloudformation', 'describe-stacks', '--stack-name', 'review-0')).rejects.toThrow(
      /ValidationError.*does not exist/s,
    );
  });

  /** Every version and delete marker of a bucket, through the CLI's own paging (pages of 1,000). */
  const versions = async (bucket: string) => {
    const out = (await aws('s3api', 'list-object-versions', '--bucket', bucket)) as {
      Versions?: { Key: string; VersionId: string; Size: number }[];
      DeleteMarkers?: { Key: string; VersionId: string }[];
    };
    return [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])];
  };

  it('aws s3api list-object-versions / delete-objects empty versioned and unversioned buckets past 1,000 keys', async () => {
    const { writeFile } = await import('node:fs/promises');
    for (const bucket of ['cli-versioned', 'cli-plain']) {
      let all = await versions(bucket);
      expect(all.length).toBe(bucket === 'cli-versioned' ? 2450 : 1500);
      // Without a version id a versioned bucket only gains a delete marker: nothing is removed.
      if (bucket === 'cli-versioned') {
        const first = all[0] as { Key: string };
        const marked = await aws(
          's3api',
          'delete-objects',
          '--bucket',
          bucket,
          '--delete',
          JSON.stringify({ Objects: [{ Key: first.Key }] }),
        );
        expect(marked).toMatchObject({ Deleted: [{ Key: first.Key, DeleteMarker: true }] });
        all = await versions(bucket);
        expect(all.length).toBe(2451);
      }
      for (let i = 0; i < all.length; i += 1000) {
        const objects = all.slice(i, i + 1000).map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
        await writeFile(
          '/tmp/env-reaper-conformance-delete.json',
          JSON.stringify({ Objects: objects, Quiet: true }),
        );
        const out = await aws(
          's3api',
          'delete-objects',
          '--bucket',
          bucket,
          '--delete',
          'file:///tmp/env-reaper-conformance-delete.json',
        );
        expect(out.Errors ?? []).toEqual([]);
      }
      expect(await versions(bucket)).toEqual([]);
    }
    // More than 1,000 keys in one request is refused, as S3 does.
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
    await writeFile('/tmp/env-reaper-conformance-delete.json', JSON.stringify({ Objects: tooMany }));
    await expect(
      aws(
        's3api',
        'delete-objects',
        '--bucket',
        'cli-plain',
        '--delete',
        'file:///tmp/env-reaper-conformance-delete.json',
      ),
    ).rejects.toThrow(/MalformedXML/);
  });

  it('aws ecr list-images / batch-delete-image empty a repository in batches of 100', async () => {
    const listed = (await aws('ecr', 'list-images', '--repository-name', 'cli-repo')) as {
      imageIds: { imageDigest: string; imageTag?: string }[];
    };
    expect(listed.imageIds).toHaveLength(120);
    expect(listed.imageIds.filter((i) => i.imageTag)).toHaveLength(60);
    const described = (await aws('ecr', 'describe-images', '--repository-name', 'cli-repo')) as {
      imageDetails: { imageSizeInBytes: number }[];
    };
    expect(described.imageDetails).toHaveLength(120);
    const ids = listed.imageIds.map((i) => ({ imageDigest: i.imageDigest }));
    for (let i = 0; i < ids.length; i += 100) {
      const out = (await aws(
        'ecr',
        'batch-delete-image',
        '--repository-name',
        'cli-repo',
        '--image-ids',
        JSON.stringify(ids.slice(i, i + 100)),
      )) as { imageIds: unknown[]; failures: unknown[] };
      expect(out.failures).toEqual([]);
      expect(out.imageIds).toHaveLength(Math.min(100, ids.length - i));
    }
    const again = (await aws('ecr', 'list-images', '--repository-name', 'cli-repo')) as {
      imageIds: unknown[];
    };
    expect(again.imageIds).toEqual([]);
    await expect(aws('ecr', 'list-images', '--repository-name', 'nope')).rejects.toThrow(
      /RepositoryNotFoundException/,
    );
  });

  it('aws: what a leftover deletion reads and writes (bucket tagging and versioning, MFA delete, ECR and Logs tags and deletions)', async () => {
    const tagging = (await aws('s3api', 'get-bucket-tagging', '--bucket', 'cli-leftover')) as {
      TagSet: { Key: string; Value: string }[];
    };
    expect(tagging.TagSet).toEqual([
      { Key: 'env', Value: 'review/x' },
      { Key: 'env-reaper:keep', Value: 'false' },
    ]);
    await expect(aws('s3api', 'get-bucket-tagging', '--bucket', 'cli-plain')).rejects.toThrow(/NoSuchTagSet/);
    expect(await aws('s3api', 'get-bucket-versioning', '--bucket', 'cli-leftover')).toEqual({
      Status: 'Enabled',
      MFADelete: 'Enabled',
    });
    expect(await aws('s3api', 'get-bucket-versioning', '--bucket', 'cli-plain')).toEqual({});
    // MFA delete: a request deleting a version without a token fails whole.
    const versions = (await aws('s3api', 'list-object-versions', '--bucket', 'cli-leftover')) as {
      Versions: { Key: string; VersionId: string }[];
    };
    const objects = JSON.stringify({
      Objects: versions.Versions.map((v) => ({ Key: v.Key, VersionId: v.VersionId })),
    });
    await expect(
      aws('s3api', 'delete-objects', '--bucket', 'cli-leftover', '--delete', objects),
    ).rejects.toThrow(/AccessDenied/);
    await expect(aws('s3api', 'delete-bucket', '--bucket', 'cli-leftover')).rejects.toThrow(/BucketNotEmpty/);
    const arn = 'arn:aws:ecr:eu-west-1:123456789012:repository/cli-leftover-repo';
    expect(await aws('ecr', 'list-tags-for-resource', '--resource-arn', arn)).toEqual({
      tags: [{ Key: 'env', Value: 'review/x' }],
    });
    const images = (await aws('ecr', 'describe-images', '--repository-name', 'cli-leftover-repo')) as {
      imageDetails: { lastRecordedPullTime?: string }[];
    };
    expect(images.imageDetails.every((d) => d.lastRecordedPullTime !== undefined)).toBe(true);
    await expect(aws('ecr', 'delete-repository', '--repository-name', 'cli-leftover-repo')).rejects.toThrow(
      /RepositoryNotEmptyException/,
    );
    expect(
      await aws('ecr', 'delete-repository', '--repository-name', 'cli-leftover-repo', '--force'),
    ).toMatchObject({
      repository: { repositoryName: 'cli-leftover-repo' },
    });
    const groupArn = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/cli-leftover';
    expect(await aws('logs', 'list-tags-for-resource', '--resource-arn', groupArn)).toEqual({
      tags: { env: 'review/x' },
    });
    await aws('logs', 'delete-log-group', '--log-group-name', '/aws/lambda/cli-leftover');
    await expect(
      aws('logs', 'delete-log-group', '--log-group-name', '/aws/lambda/cli-leftover'),
    ).rejects.toThrow(/ResourceNotFoundException/);
  });

  it('aws s3api put/head/get-object with ETag preconditions (the state backend protocol)', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile('/tmp/env-reaper-conformance-body.json', '{"version":1}');
    const put = await aws(
      's3api',
      'put-object',
      '--bucket',
      'reaper-state',
      '--key',
      'env-reaper/state.json',
      '--body',
      '/tmp/env-reaper-conformance-body.json',
    );
    expect(String(put.ETag)).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await aws(
      's3api',
      'head-object',
      '--bucket',
      'reaper-state',
      '--key',
      'env-reaper/state.json',
    );
    expect(head.ETag).toBe(put.ETag);
    await expect(
      aws(
        's3api',
        'head-object',
        '--bucket',
        'reaper-state',
        '--key',
        'env-reaper/state.json',
        '--if-match',
        '"0000"',
      ),
    ).rejects.toThrow(/412|Precondition/);
    await expect(
      aws('s3api', 'get-object', '--bucket', 'reaper-state', '--key', 'missing', '/tmp/x'),
    ).rejects.toThrow(/NoSuchKey/);
  });

  it('aws ce get-cost-and-usage grouped by a tag', async () => {
    const out = (await aws(
      'ce',
      'get-cost-and-usage',
      '--time-period',
      'Start=2026-10-01,End=2026-11-01',
      '--granularity',
      'MONTHLY',
      '--metrics',
      'UnblendedCost',
      '--group-by',
      'Type=TAG,Key=i',
    )) as { ResultsByTime: { Groups: { Keys: string[] }[] }[] };
    expect(out.ResultsByTime[0]?.Groups.map((g) => g.Keys[0])).toContain('i$1');
  });

  it('python-gitlab: all 250 branches, MRs by state, environment stop', async () => {
    const script = `
import json, sys, gitlab
gl = gitlab.Gitlab(sys.argv[1], private_token=sys.argv[2])
p = gl.projects.get(7)
branches = p.branches.list(get_all=True)
merged = [m.iid for m in p.mergerequests.list(state='merged', get_all=True)]
opened = [m.iid for m in p.mergerequests.list(state='opened', get_all=True)]
env = p.environments.list(get_all=True)[0]
env.stop()
env = p.environments.get(env.id)
print(json.dumps({"branches": len(branches), "merged": merged, "opened": opened, "env": env.state, "path": p.path_with_namespace}))
`;
    const { stdout } = await run(PYTHON, ['-c', script, sb.gitlabUrl, sb.gitlabToken], {
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(JSON.parse(stdout)).toEqual({
      branches: 250,
      merged: [1],
      opened: [2],
      env: 'stopping',
      path: 'acme/conformance',
    });
  });
});
