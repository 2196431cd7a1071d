import type { State } from './state.js';

/**
 * The state layer's map of the outside world: what it needs from a storage backend. The file store
 * implements `StateStore` on the local disk; the S3 store implements it on an `ObjectBucket`, which
 * `src/aws/s3-bucket.ts` provides (the state layer never imports the AWS SDK).
 */

/** A held lock; release it in `finally`. */
export interface Lock {
  release(): Promise<void>;
}

/** Where state lives (a file or an S3 object; both keep this contract, `store-contract.test.ts`). */
export interface StateStore {
  load(): Promise<State>;
  /** Atomic: a reader sees the old or the new state, never a torn one. */
  save(state: State): Promise<void>;
  /** Takes the run lock, or throws LockHeldError; with `wait`, polls until it is free. */
  lock(owner: { runId: string }, options?: { wait?: boolean; pollMs?: number }): Promise<Lock>;
}

/** One object read back: its text and the version token a conditional write names. */
export interface StoredObject {
  body: string;
  etag: string | undefined;
}

/** The condition of a write: replace exactly the version read, or create only where nothing is. */
export type WriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

/**
 * A bucket of objects with conditional writes (S3, or any store with ETags and `If-Match`). Missing
 * objects are `undefined`, a failed condition is `{ written: false }`; any other failure throws.
 */
export interface ObjectBucket {
  /** A readable name for messages (`s3://bucket`). */
  readonly name: string;
  get(key: string): Promise<StoredObject | undefined>;
  /** The current version token, or `undefined` when the object is missing. */
  head(key: string): Promise<{ etag: string | undefined } | undefined>;
  put(
    key: string,
    body: string,
    condition: WriteCondition,
  ): Promise<{ written: true; etag: string | undefined } | { written: false }>;
  delete(key: string): Promise<void>;
}
