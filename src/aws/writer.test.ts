import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../test/sandbox/index.js';
import { ApiStats } from '../util/api-stats.js';
import { AwsClients } from './clients.js';
import { createAwsWriter } from './writer.js';

/**
 * The emptying writes through the real SDK against the sandbox's S3 and ECR: keys with the characters
 * strangers' apps use (spaces, `&`, `<`, `+`, unicode), versions past one page, delete markers.
 */

const HOSTILE = [
  'a b/c d.txt',
  'x&y<z>.json',
  'plus+sign',
  'ünïcødé/日本.txt',
  'quote\'and"dq',
  '%41%20not-decoded',
];

describe('AwsWriter emptying (real SDK, sandbox)', () => {
  let sb: Sandbox;
  const saved = { ...process.env };
  beforeAll(async () => {
    sb = await startSandbox({
      scenario: {
        aws: {
          accounts: [
            {
              id: '111111111111',
              regions: {
                'eu-west-1': {
                  buckets: [
                    {
                      name: 'strangers',
                      contents: {
                        objects: 1100,
                        keys: HOSTILE,
                        versioned: true,
                        versionsPerObject: 2,
                        deleteMarkers: 5,
                      },
                    },
                  ],
                  repositories: [{ name: 'team/app', contents: { images: 230, imageBytes: 1000 } }],
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

  const writer = () =>
    createAwsWriter(
      new AwsClients({
        stats: new ApiStats(),
        logger: pino({ level: 'silent' }),
        s3ForcePathStyle: true,
        maxAttempts: 3,
      }),
    );

  it('removes every version and delete marker of a bucket, whatever its keys', async () => {
    const out = await writer().emptyBucket({ regions: ['eu-west-1'] }, 'eu-west-1', 'strangers');
    expect(out).toEqual({
      removed: (1100 + HOSTILE.length) * 2,
      deleteMarkers: 5,
      bytes: (1100 + HOSTILE.length) * 2 * 1024,
      errors: [],
    });
    expect(sb.world.storage.bucket('strangers')?.entries).toEqual([]);
  });

  it('removes every image of a repository in batches of 100', async () => {
    const out = await writer().emptyRepository({ regions: ['eu-west-1'] }, 'eu-west-1', 'team/app');
    expect(out).toEqual({ removed: 230, deleteMarkers: 0, bytes: 230_000, errors: [] });
    expect(sb.world.writes.filter((w) => w.operation === 'BatchDeleteImage')).toHaveLength(3);
  });
});
