import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { stampOperations } from '../errors/failure.js';
import { USER_AGENT } from '../util/version.js';
import { LockHeldError, StateCorruptError } from './file-store.js';
import { emptyState, type Lock, type State, type StateStore, stateSchema } from './state.js';

/**
 * State in one S3 object, for pipeline jobs and containers that keep no disk between runs.
 * Reads remember the ETag; writes are conditional (`If-Match` the ETag read, or `If-None-Match: *` for
 * the first write), so two writers can never silently overwrite each other. The lock is a second
 * object created with `If-None-Match: *`, carrying its holder and an expiry, taken over only when
 * expired and only with `If-Match` on the stale lock's ETag.
 */

/** Options of the S3 store. */
export interface S3StoreOptions {
  bucket: string;
  key: string;
  /** A lock older than this is considered abandoned (a killed job). */
  lockTtlMs?: number;
  client?: S3Client;
  /** Path-style URLs (S3-compatible endpoints, the sandbox). */
  forcePathStyle?: boolean;
  /** Deadline of one request attempt (`aws.timeout`): a silent endpoint must not hold the run. */
  timeoutMs?: number | undefined;
  /** Attempts per call (`aws.maxAttempts`). */
  maxAttempts?: number | undefined;
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isPrecondition(error: unknown): boolean {
  return status(error) === 412 || (error as { name?: string })?.name === 'PreconditionFailed';
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return status(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

export class S3StateStore implements StateStore {
  private readonly client: S3Client;
  private etag: string | undefined;

  constructor(private readonly options: S3StoreOptions) {
    this.client =
      options.client ??
      stampOperations(
        new S3Client({
          forcePathStyle: options.forcePathStyle === true,
          customUserAgent: USER_AGENT,
          ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
          ...(options.timeoutMs !== undefined
            ? {
                requestHandler: {
                  requestTimeout: options.timeoutMs,
                  throwOnRequestTimeout: true,
                  connectionTimeout: Math.min(options.timeoutMs, 10_000),
                },
              }
            : {}),
        }),
        'state',
      );
  }

  private get lockKey(): string {
    return `${this.options.key}.lock`;
  }

  async load(): Promise<State> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.options.key }),
      );
      this.etag = out.ETag;
      const text = (await out.Body?.transformToString()) ?? '';
      try {
        return stateSchema.parse(JSON.parse(text));
      } catch (error) {
        throw new StateCorruptError(`s3://${this.options.bucket}/${this.options.key}`, error);
      }
    } catch (error) {
      if (!isMissing(error)) throw error;
      this.etag = undefined;
      return emptyState();
    }
  }

  async save(state: State): Promise<void> {
    const body = `${JSON.stringify(state, null, 2)}\n`;
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: this.options.key,
            Body: body,
            ContentType: 'application/json',
            ...(this.etag ? { IfMatch: this.etag } : { IfNoneMatch: '*' }),
          }),
        );
        this.etag = out.ETag;
        return;
      } catch (error) {
        // 412: the object changed under us. We hold the lock, so the writer was a run whose lock expired;
        // our state is the newer one. Re-read the ETag and write again, a bounded number of times.
        if (!isPrecondition(error) || attempt >= 3) throw error;
        try {
          this.etag = (
            await this.client.send(
              new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.options.key }),
            )
          ).ETag;
        } catch (head) {
          if (!isMissing(head)) throw head;
          this.etag = undefined;
        }
      }
    }
  }

  async lock(owner: { runId: string }, options: { wait?: boolean; pollMs?: number } = {}): Promise<Lock> {
    const ttl = this.options.lockTtlMs ?? 6 * 3_600_000;
    for (;;) {
      const body = JSON.stringify({
        runId: owner.runId,
        at: new Date().toISOString(),
        expiresAt: new Date(Date.now() + ttl).toISOString(),
      });
      try {
        const out = await this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: this.lockKey,
            Body: body,
            IfNoneMatch: '*',
          }),
        );
        return this.held(out.ETag);
      } catch (error) {
        if (!isPrecondition(error)) throw error;
      }
      let holder: { runId?: string; expiresAt?: string } = {};
      let holderEtag: string | undefined;
      try {
        const out = await this.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: this.lockKey }),
        );
        holderEtag = out.ETag;
        holder = JSON.parse((await out.Body?.transformToString()) ?? '{}') as typeof holder;
      } catch (error) {
        if (isMissing(error)) continue; // released between our two calls
        throw error;
      }
      if (holder.expiresAt && Date.parse(holder.expiresAt) < Date.now() && holderEtag) {
        try {
          // Replace exactly the stale lock we read; a concurrent taker makes this 412.
          const out = await this.client.send(
            new PutObjectCommand({
              Bucket: this.options.bucket,
              Key: this.lockKey,
              Body: body,
              IfMatch: holderEtag,
            }),
          );
          return this.held(out.ETag);
        } catch (error) {
          if (!isPrecondition(error)) throw error;
          continue;
        }
      }
      if (!options.wait)
        throw new LockHeldError(
          `run ${holder.runId ?? '?'}, s3://${this.options.bucket}/${this.lockKey}, expires ${holder.expiresAt ?? '?'}`,
        );
      await new Promise((r) => setTimeout(r, options.pollMs ?? 2_000));
    }
  }

  private held(_etag: string | undefined): Lock {
    return {
      // A release that fails is said (the run reports it): the lock then holds until state.lockTtl, and
      // each run meanwhile exits 1 naming its holder.
      release: async () => {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.lockKey }));
      },
    };
  }
}
