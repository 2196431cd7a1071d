import { describe, expect, it } from 'vitest';
import type { FailedResource, StackResource } from '../aws/stacks.js';
import { repairTargets } from './repair.js';

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
