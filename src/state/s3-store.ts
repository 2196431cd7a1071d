import { ExternalServiceError, FormatTooNewError } from '../errors/errors.js';
import { LockHeldError, StateCorruptError } from './file-store.js';
import type { Lock, ObjectBucket, StateStore } from './ports.js';
import { emptyState, parseState, type State } from './state.js';

/**
 * State in one object of a bucket (S3), for pipeline jobs and containers that keep no disk between runs.
 * Reads remember the ETag; writes are conditional (`If-Match` the ETag read, or `If-None-Match: *` for
 * the first write), so two writers can never silently overwrite each other. The lock is a second
 * object created with `If-None-Match: *`, carrying its holder and an expiry, taken over only when
 * expired and only with `If-Match` on the stale lock's ETag. The bucket (`ObjectBucket`) is the only
 * way out: `src/aws/s3-bucket.ts` on S3, an in-memory one in the unit tests.
 */

/** Options of the S3 store. */
export interface S3StoreOptions {
  bucket: ObjectBucket;
  key: string;
  /** A lock older than this is considered abandoned (a killed job): `state.lockTtl`. */
  lockTtlMs: number;
}

/** How often a 412 on save is answered by re-reading the ETag and writing again. */
const SAVE_ATTEMPTS = 4;

export class S3StateStore implements StateStore {
  private etag: string | undefined;

  constructor(private readonly options: S3StoreOptions) {}

  private get where(): string {
    return `${this.options.bucket.name}/${this.options.key}`;
  }

  private get lockKey(): string {
    return `${this.options.key}.lock`;
  }

  async load(): Promise<State> {
    const out = await this.options.bucket.get(this.options.key);
    this.etag = out?.etag;
    if (!out) return emptyState();
    try {
      return parseState(JSON.parse(out.body), this.where);
    } catch (error) {
      // A newer env-reaper's state is refused as such, not called corrupt: upgrade, do not repair it.
      if (error instanceof FormatTooNewError) throw error;
      throw new StateCorruptError(
        this.where,
        error,
        'an earlier version of the object, where the bucket keeps versions (s3api list-object-versions)',
      );
    }
  }

  async save(state: State): Promise<void> {
    const body = `${JSON.stringify(state, null, 2)}\n`;
    for (let attempt = 1; ; attempt++) {
      const out = await this.options.bucket.put(
        this.options.key,
        body,
        this.etag ? { ifMatch: this.etag } : { ifNoneMatch: '*' },
      );
      if (out.written) {
        this.etag = out.etag;
        return;
      }
      // 412: the object changed under us. We hold the lock, so the writer was a run whose lock expired;
      // our state is the newer one. Re-read the ETag and write again, a bounded number of times.
      if (attempt >= SAVE_ATTEMPTS)
        throw new ExternalServiceError(
          'state',
          'STATE_CONFLICT',
          `state ${this.where} kept changing under this run (${attempt} conditional writes refused)`,
          { status: 412 },
        );
      this.etag = (await this.options.bucket.head(this.options.key))?.etag;
    }
  }

  async lock(owner: { runId: string }, options: { wait?: boolean; pollMs?: number } = {}): Promise<Lock> {
    const { bucket, lockTtlMs } = this.options;
    for (;;) {
      const body = JSON.stringify({
        runId: owner.runId,
        at: new Date().toISOString(),
        expiresAt: new Date(Date.now() + lockTtlMs).toISOString(),
      });
      if ((await bucket.put(this.lockKey, body, { ifNoneMatch: '*' })).written) return this.held();
      const current = await bucket.get(this.lockKey);
      if (!current) continue; // released between our two calls
      let holder: { runId?: string; expiresAt?: string } = {};
      try {
        holder = JSON.parse(current.body) as typeof holder;
      } catch {
        // An unreadable lock has no expiry: it is held until a human removes it (never taken over).
      }
      if (holder.expiresAt && Date.parse(holder.expiresAt) < Date.now() && current.etag) {
        // Replace exactly the stale lock we read; a concurrent taker makes this refused.
        if ((await bucket.put(this.lockKey, body, { ifMatch: current.etag })).written) return this.held();
        continue;
      }
      if (!options.wait)
        throw new LockHeldError(
          `run ${holder.runId ?? '?'}, ${bucket.name}/${this.lockKey}, expires ${holder.expiresAt ?? '?'}`,
        );
      await new Promise((r) => setTimeout(r, options.pollMs ?? 2_000));
    }
  }

  private held(): Lock {
    return {
      // A release that fails is said (the run reports it): the lock then holds until state.lockTtl, and
      // each run meanwhile exits 1 naming its holder.
      release: () => this.options.bucket.delete(this.lockKey),
    };
  }
}
