import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FailedResource, StackResource } from '../aws/ports.js';
import type { DeletionRecord } from '../state/state.js';
import { type ExecutionContext, type FailureSite, runErrorOf } from './context.js';
import { emptyForRetry, repairTargets } from './repair.js';

const failed = (logicalId: string, type = 'AWS::S3::Bucket'): FailedResource => ({
  logicalId,
  type,
  reason: 'The bucket you tried to delete is not empty',
});
const owned = (
  logicalId: string,
  type = 'AWS::S3::Bucket',
  status = 'DELETE_FAILED',
  physicalId = `stack-${logicalId.toLowerCase()}`,
): StackResource => ({ logicalId, type, status, physicalId });

describe('repairTargets: what empty-and-retry may empty', () => {
  it('empties the failed buckets and repositories the stack owns, by their physical id', () => {
    const out = repairTargets(
      [failed('Assets'), failed('Images', 'AWS::ECR::Repository')],
      [owned('Assets'), owned('Images', 'AWS::ECR::Repository'), owned('Queue', 'AWS::SQS::Queue')],
    );
    expect(out).toEqual({ targets: [owned('Assets'), owned('Images', 'AWS::ECR::Repository')] });
  });

  it('refuses when any failed resource is of another type: the retry would fail anyway', () => {
    const out = repairTargets(
      [failed('Assets'), failed('Dns', 'Custom::Dns')],
      [owned('Assets'), owned('Dns', 'Custom::Dns')],
    );
    expect(out).toEqual({
      refusal: 'NOT_REPAIRABLE',
      detail: 'not emptied: Dns (Custom::Dns) cannot be repaired',
    });
  });

  it.each([
    ['not in the stack’s own resources', [owned('Other')]],
    ['owned under another type', [owned('Assets', 'AWS::ECR::Repository')]],
    ['not DELETE_FAILED in the stack', [owned('Assets', 'AWS::S3::Bucket', 'DELETE_COMPLETE')]],
    ['without a physical id', [owned('Assets', 'AWS::S3::Bucket', 'DELETE_FAILED', '')]],
  ])('never empties a bucket %s', (_, resources) => {
    expect(repairTargets([failed('Assets')], resources)).toMatchObject({ refusal: 'NOT_REPAIRABLE' });
  });

  it('refuses when the events name no failed resource', () => {
    expect(repairTargets([], [owned('Assets')])).toMatchObject({ refusal: 'NO_FAILED_RESOURCES' });
  });
});

describe('emptyForRetry (fake AWS side)', () => {
  const emptied = { removed: 3, deleteMarkers: 1, bytes: 300, errors: [] as string[] };
  function ctx(options: {
    failed: FailedResource[];
    owned: StackResource[];
    left: number;
    bucket?: () => Promise<typeof emptied>;
  }) {
    const calls: string[] = [];
    const audit: Record<string, unknown>[] = [];
    const errors: unknown[] = [];
    const aws = {
      failedResources: async () => options.failed,
      stackResources: async () => options.owned,
      emptyBucket: async (_t: unknown, region: string, name: string) => {
        calls.push(`bucket ${region} ${name}`);
        return options.bucket ? options.bucket() : emptied;
      },
      emptyRepository: async (_t: unknown, region: string, name: string) => {
        calls.push(`repository ${region} ${name}`);
        return { ...emptied, deleteMarkers: 0 };
      },
    };
    const context = {
      deps: { aws, onError: (e: unknown) => errors.push(e) },
      audit: async (e: Record<string, unknown>) => void audit.push(e),
      repairsLeft: { count: options.left },
      fail: (error: unknown, where: FailureSite) => {
        const e = runErrorOf(error, where);
        errors.push(e);
        return e;
      },
    } as unknown as ExecutionContext;
    return { context, calls, audit, errors };
  }
  const d = { region: 'eu-west-1', account: '111111111111', name: 'stack' } as DeletionRecord;
  const log = pino({ level: 'silent' });

  it('empties each owned bucket and repository, audits before and after, and spends the budget', async () => {
    const c = ctx({
      failed: [failed('Assets'), failed('Images', 'AWS::ECR::Repository')],
      owned: [owned('Assets'), owned('Images', 'AWS::ECR::Repository')],
      left: 5,
    });
    const out = await emptyForRetry(c.context, d, 'arn:stack', { regions: [] }, log);
    expect(out).toEqual({
      status: 'emptied',
      resources: [
        { logicalId: 'Assets', type: 'AWS::S3::Bucket', physicalId: 'stack-assets', ...emptied },
        {
          logicalId: 'Images',
          type: 'AWS::ECR::Repository',
          physicalId: 'stack-images',
          ...emptied,
          deleteMarkers: 0,
        },
      ],
    });
    expect(c.calls).toEqual(['bucket eu-west-1 stack-assets', 'repository eu-west-1 stack-images']);
    expect(c.audit.map((e) => `${e.event} ${e.physicalId} ${e.stackId}`)).toEqual([
      'empty-attempt stack-assets arn:stack',
      'empty-complete stack-assets arn:stack',
      'empty-attempt stack-images arn:stack',
      'empty-complete stack-images arn:stack',
    ]);
    expect(c.audit[1]).toMatchObject({ removed: 3, deleteMarkers: 1, bytes: 300, errors: [] });
    expect(c.context.repairsLeft.count).toBe(3);
  });

  it('refuses over the brake, empties nothing and keeps the budget', async () => {
    const c = ctx({ failed: [failed('A'), failed('B')], owned: [owned('A'), owned('B')], left: 1 });
    const out = await emptyForRetry(c.context, d, 'arn:stack', { regions: [] }, log);
    expect(out).toMatchObject({ status: 'refused', refusal: 'REPAIR_BRAKE', resources: [] });
    expect(out.detail).toBe('2 to empty, 1 left under limits.maxDeletionsPerRun');
    expect(c.calls).toEqual([]);
    expect(c.context.repairsLeft.count).toBe(1);
  });

  it('empties exactly as many as the budget allows', async () => {
    const c = ctx({ failed: [failed('A'), failed('B')], owned: [owned('A'), owned('B')], left: 2 });
    expect((await emptyForRetry(c.context, d, 'arn:stack', { regions: [] }, log)).status).toBe('emptied');
    expect(c.context.repairsLeft.count).toBe(0);
  });

  it('refuses what it cannot repair, with the reason', async () => {
    const c = ctx({ failed: [failed('Dns', 'Custom::Dns')], owned: [owned('Dns', 'Custom::Dns')], left: 5 });
    const out = await emptyForRetry(c.context, d, 'arn:stack', { regions: [] }, log);
    expect(out).toEqual({
      status: 'refused',
      refusal: 'NOT_REPAIRABLE',
      detail: 'not emptied: Dns (Custom::Dns) cannot be repaired',
      resources: [],
    });
    expect(c.calls).toEqual([]);
  });

  it('stops at the first resource that failed to empty (per-item errors or an exception): no retry', async () => {
    const partial = ctx({
      failed: [failed('A'), failed('B')],
      owned: [owned('A'), owned('B')],
      left: 5,
      bucket: async () => ({ ...emptied, errors: ['AccessDenied: k1'] }),
    });
    const out = await emptyForRetry(partial.context, d, 'arn:stack', { regions: [] }, log);
    expect(out).toMatchObject({ status: 'failed', detail: 'A: AccessDenied: k1' });
    expect(out.resources).toHaveLength(1);
    expect(partial.calls).toEqual(['bucket eu-west-1 stack-a']);
    // Objects refused one by one are an error of the run too, naming the operation.
    expect(partial.errors).toEqual([
      expect.objectContaining({
        operation: 'DeleteObjects',
        code: 'ACCESS_DENIED',
        serviceCode: 'AccessDenied',
        stacks: ['stack'],
      }),
    ]);

    const thrown = ctx({
      failed: [failed('A')],
      owned: [owned('A')],
      left: 5,
      bucket: async () => {
        throw Object.assign(new Error('no such bucket'), { name: 'NoSuchBucket' });
      },
    });
    const out2 = await emptyForRetry(thrown.context, d, 'arn:stack', { regions: [] }, log);
    expect(out2).toEqual({
      status: 'failed',
      detail: 'A: NoSuchBucket: no such bucket',
      resources: [
        {
          logicalId: 'A',
          type: 'AWS::S3::Bucket',
          physicalId: 'stack-a',
          removed: 0,
          deleteMarkers: 0,
          bytes: 0,
          errors: ['NoSuchBucket: no such bucket'],
        },
      ],
    });
    expect(thrown.audit.at(-1)).toMatchObject({
      event: 'empty-complete',
      errors: ['NoSuchBucket: no such bucket'],
    });
    expect(thrown.errors).toEqual([
      expect.objectContaining({
        code: 'NOT_FOUND',
        serviceCode: 'NoSuchBucket',
        stacks: ['stack'],
        effect: 'kept',
      }),
    ]);
  });

  it('a failed read of what the stack owns empties nothing, and is an error of the run', async () => {
    const c = ctx({ failed: [failed('A')], owned: [owned('A')], left: 5 });
    c.context.deps.aws.stackResources = async () => {
      throw Object.assign(new Error('denied'), {
        name: 'AccessDenied',
        envReaperOperation: 'ListStackResources',
      });
    };
    const out = await emptyForRetry(c.context, d, 'arn:stack', { regions: [] }, log);
    expect(out).toEqual({
      status: 'failed',
      detail: 'what failed could not be read (ListStackResources: AccessDenied)',
      resources: [],
    });
    expect(c.calls).toEqual([]);
    expect(c.errors).toEqual([
      expect.objectContaining({ operation: 'ListStackResources', code: 'ACCESS_DENIED', stacks: ['stack'] }),
    ]);
  });
});
