import pino from 'pino';
import type { Emptied, LeftoverInspection } from '../../src/aws/ports.js';
import type { Leftover } from '../../src/core/leftovers.js';
import type { RunError } from '../../src/core/run-result.js';
import type { LeftoverDeps } from '../../src/executor/leftovers.js';
import type { JsonLinesLog } from '../../src/state/file-store.js';
import { emptyState, type LeftoverDeletionRecord } from '../../src/state/state.js';
import { defaultPolicy, NOW } from './fixtures.js';

/** A fake world for the executor's leftover path (src/executor/leftovers*.test.ts): every call recorded. */

export { NOW };
export const tags = { 'gitlab:project-id': '1', 'gitlab:environment': 'review/x' };
const filters = Object.entries(tags).map(([key, value]) => ({ key, value }));
const keepTags = defaultPolicy().ownership.tags;

export function leftover(
  arn: string,
  type: string,
): Leftover & { decision: NonNullable<Leftover['decision']> } {
  return {
    arn,
    type,
    account: '111111111111',
    region: 'eu-west-1',
    stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/review-x/1',
    stackName: 'review-x',
    deletedAt: '2026-11-01T00:00:00.000Z',
    confirmed: true,
    tags,
    decision: { status: 'due', reason: { code: 'DUE', detail: 'due' } },
  };
}
export const BUCKET = leftover('arn:aws:s3:::review-x-uploads', 's3:bucket');
export const REPO = leftover(
  'arn:aws:ecr:eu-west-1:111111111111:repository/review-x-images',
  'ecr:repository',
);
export const GROUP = leftover(
  'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/review-x',
  'logs:log-group',
);

export const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode: status } });

export function world(
  over: {
    seen?: Partial<LeftoverInspection>;
    empties?: Emptied[];
    deleteBucket?: (n: number) => void;
    deleteOther?: () => void;
    caller?: string;
    gone?: 'gone' | 'back' | 'unknown';
  } = {},
) {
  const calls: string[] = [];
  const audit: Record<string, unknown>[] = [];
  const errors: RunError[] = [];
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const state = emptyState();
  let bucketDeletes = 0;
  let empties = 0;
  const progress: number[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (s: string) => {
        const o = JSON.parse(s);
        lines.push({ msg: o.msg, fields: o });
      },
    },
  );
  const deps: LeftoverDeps = {
    logger,
    auditLog: { append: async (e: Record<string, unknown>) => void audit.push(e) } as unknown as JsonLinesLog,
    state,
    saveState: async () => void calls.push('save'),
    targetOf: () => ({ id: '111111111111', regions: [] }),
    onError: (e) => void errors.push(e),
    now: () => NOW,
    recheckEnvironment: async () => {
      calls.push('gitlab');
      return { gone: over.gone ?? 'gone' };
    },
    filtersOf: () => filters,
    progress: (p) => void progress.push(p.removed),
    aws: {
      callerAccount: async () => {
        calls.push('callerAccount');
        return over.caller ?? '111111111111';
      },
      inspectLeftover: async (_t, _r, arn) => {
        calls.push(`inspect ${arn.split(':').pop()}`);
        return { exists: true, tags: { ...tags }, ...over.seen };
      },
      emptyBucket: async (_t, _r, bucket, onBatch) => {
        calls.push(`empty ${bucket}`);
        const e = over.empties?.[empties++] ?? { removed: 3, deleteMarkers: 1, bytes: 30, errors: [] };
        onBatch?.(e);
        return e;
      },
      deleteBucket: async (_t, _r, bucket) => {
        calls.push(`deleteBucket ${bucket}`);
        over.deleteBucket?.(++bucketDeletes);
      },
      deleteRepository: async (_t, _r, name) => {
        calls.push(`deleteRepository ${name}`);
        over.deleteOther?.();
      },
      deleteLogGroup: async (_t, _r, name) => {
        calls.push(`deleteLogGroup ${name}`);
        over.deleteOther?.();
      },
    } as LeftoverDeps['aws'],
  };
  return { deps, calls, audit, errors, lines, state, progress };
}

export const options = { apply: true, runId: 'run-1', concurrency: 1, keepTags };

/** An earlier run's record of the bucket's deletion (what a cut or failed run left in state). */
export function earlierRecord(over: Partial<LeftoverDeletionRecord>): LeftoverDeletionRecord {
  return {
    status: 'started',
    type: 's3:bucket',
    account: '111111111111',
    region: 'eu-west-1',
    stackId: BUCKET.stackId,
    stackName: 'review-x',
    runId: 'run-0',
    attempts: 1,
    startedAt: '2026-11-27T00:00:00.000Z',
    removed: 0,
    deleteMarkers: 0,
    ...over,
  };
}
