import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../test/sandbox/index.js';
import { openS3Bucket } from '../aws/s3-bucket.js';
import { FileStateStore, LockHeldError } from './file-store.js';
import type { ObjectBucket, StateStore } from './ports.js';
import { S3StateStore } from './s3-store.js';
import { emptyState } from './state.js';

/** The bucket port in memory, with ETags and conditions like S3's: the contract holds on it too. */
function memoryBucket(): ObjectBucket {
  const objects = new Map<string, { body: string; etag: string }>();
  let version = 0;
  return {
    name: 'memory://',
    get: async (key) => objects.get(key),
    head: async (key) => {
      const o = objects.get(key);
      return o ? { etag: o.etag } : undefined;
    },
    put: async (key, body, condition) => {
      const current = objects.get(key);
      const ok = 'ifMatch' in condition ? current?.etag === condition.ifMatch : current === undefined;
      if (!ok) return { written: false };
      const etag = `"${++version}"`;
      objects.set(key, { body, etag });
      return { written: true, etag };
    },
    delete: async (key) => {
      objects.delete(key);
    },
  };
}

/** The same contract for every backend: round trip, lock exclusion, release, conditional writes. */
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ scenario: {} });
});
afterAll(() => sandbox.close());

let n = 0;
const backends: [string, () => Promise<StateStore>][] = [
  [
    'file',
    async () => new FileStateStore(join(await mkdtemp(join(tmpdir(), 'env-reaper-contract-')), 'state.json')),
  ],
  [
    's3',
    async () =>
      new S3StateStore({
        bucket: await openS3Bucket({
          bucket: 'reaper',
          forcePathStyle: true,
          timeoutMs: 10_000,
          maxAttempts: 2,
          client: new S3Client({
            region: 'eu-west-1',
            endpoint: sandbox.awsEndpoint,
            forcePathStyle: true,
            credentials: { accessKeyId: 'AKIASTATE', secretAccessKey: 'x' },
          }),
        }),
        key: `contract/${++n}/state.json`,
        lockTtlMs: 6 * 3_600_000,
      }),
  ],
  [
    'memory bucket',
    async () => new S3StateStore({ bucket: memoryBucket(), key: 'state.json', lockTtlMs: 6 * 3_600_000 }),
  ],
];

describe.each(backends)('state store contract: %s', (_name, make) => {
  it('starts empty and round-trips state', async () => {
    const store = await make();
    expect(await store.load()).toEqual(emptyState());
    const state = emptyState();
    state.stacks.a = {
      name: 'a',
      firstSeen: { merged: '2026-01-01T00:00:00.000Z' },
      lastSeen: '2026-01-02T00:00:00.000Z',
    };
    await store.save(state);
    await store.save(state); // a second save with the new version token
    expect(await store.load()).toEqual(state);
  });

  it('holds the lock against a second taker and frees it on release', async () => {
    const store = await make();
    const lock = await store.lock({ runId: 'a' });
    await expect(store.lock({ runId: 'b' })).rejects.toBeInstanceOf(LockHeldError);
    await lock.release();
    const again = await store.lock({ runId: 'c' });
    await again.release();
  });

  it('waits for the lock with wait', async () => {
    const store = await make();
    const lock = await store.lock({ runId: 'a' });
    let got = false;
    const waiting = store.lock({ runId: 'b' }, { wait: true, pollMs: 10 }).then((l) => {
      got = true;
      return l;
    });
    expect(got).toBe(false);
    await lock.release();
    await (await waiting).release();
    expect(got).toBe(true);
  });
});

describe('S3 conditional writes', () => {
  it('retries a save whose ETag went stale (412) instead of failing or overwriting blindly', async () => {
    const a = (await backends[1]?.[1]()) as S3StateStore;
    await a.load();
    await a.save(emptyState());
    // Another writer changes the object behind a's back.
    const b = new S3StateStore({
      ...(a as unknown as { options: ConstructorParameters<typeof S3StateStore>[0] }).options,
    });
    await b.load();
    const other = emptyState();
    other.stacks.x = { name: 'x', firstSeen: {}, lastSeen: '2026-01-01T00:00:00.000Z' };
    await b.save(other);
    const mine = emptyState();
    mine.stacks.y = { name: 'y', firstSeen: {}, lastSeen: '2026-01-01T00:00:00.000Z' };
    await a.save(mine);
    expect(Object.keys((await b.load()).stacks)).toEqual(['y']);
    const puts = sandbox.world.requests.filter((r) => r.operation === 's3:PUT' && r.status === 412);
    expect(puts.length).toBeGreaterThan(0);
  });

  it('takes over an expired lock, and only that one', async () => {
    const make = backends[1]?.[1] as () => Promise<StateStore>;
    const short = (await make()) as S3StateStore;
    const opts = (short as unknown as { options: ConstructorParameters<typeof S3StateStore>[0] }).options;
    const stale = new S3StateStore({ ...opts, lockTtlMs: -1 });
    await stale.lock({ runId: 'killed' }); // never released: its expiry is already past
    const next = await new S3StateStore({ ...opts }).lock({ runId: 'next' });
    await expect(new S3StateStore({ ...opts }).lock({ runId: 'third' })).rejects.toBeInstanceOf(
      LockHeldError,
    );
    await next.release();
  });
});

describe('S3 store on a bucket that keeps refusing', () => {
  it('gives up after four conditional writes with STATE_CONFLICT, re-reading the ETag between them', async () => {
    const bucket = memoryBucket();
    let puts = 0;
    let heads = 0;
    const refusing: ObjectBucket = {
      ...bucket,
      put: async () => {
        puts++;
        return { written: false };
      },
      head: async (key) => {
        heads++;
        return bucket.head(key);
      },
    };
    const store = new S3StateStore({ bucket: refusing, key: 'state.json', lockTtlMs: 1000 });
    await expect(store.save(emptyState())).rejects.toMatchObject({
      code: 'STATE_CONFLICT',
      service: 'state',
    });
    expect({ puts, heads }).toEqual({ puts: 4, heads: 3 });
  });
});
