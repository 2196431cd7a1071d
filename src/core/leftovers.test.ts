import { describe, expect, it } from 'vitest';
import { arnType, leftoverCandidate, leftoverFilters, STACK_ID_TAG } from './leftovers.js';
import type { OwnershipTags } from './policy.js';

const keys: OwnershipTags = {
  projectId: 'gitlab:project-id',
  projectPath: 'gitlab:project-path',
  ref: 'gitlab:ref',
  refSlug: 'gitlab:ref-slug',
  environment: 'gitlab:environment',
  environmentSlug: 'gitlab:environment-slug',
  mrIid: 'gitlab:mr-iid',
  keep: 'env-reaper:keep',
};

describe('leftoverFilters: the tags that identify a deleted environment', () => {
  it('takes the project id and the environment name when the stack had them', () => {
    expect(
      leftoverFilters(
        {
          'gitlab:project-id': '42',
          'gitlab:project-path': 'acme/shop',
          'gitlab:environment': 'review/x',
          'gitlab:ref': 'feature/x',
        },
        keys,
      ),
    ).toEqual([
      { key: 'gitlab:project-id', value: '42' },
      { key: 'gitlab:environment', value: 'review/x' },
    ]);
  });

  it('falls back to the path, then the ref, then the ref slug', () => {
    expect(leftoverFilters({ 'gitlab:project-path': 'acme/shop', 'gitlab:ref': 'f/x' }, keys)).toEqual([
      { key: 'gitlab:project-path', value: 'acme/shop' },
      { key: 'gitlab:ref', value: 'f/x' },
    ]);
    expect(
      leftoverFilters({ 'gitlab:project-id': '1', 'gitlab:ref': '', 'gitlab:ref-slug': 'f-x' }, keys),
    ).toEqual([
      { key: 'gitlab:project-id', value: '1' },
      { key: 'gitlab:ref-slug', value: 'f-x' },
    ]);
  });

  it('looks for nothing without both a project and an environment tag (it would match the whole project)', () => {
    expect(leftoverFilters({ 'gitlab:project-id': '1' }, keys)).toBeUndefined();
    expect(leftoverFilters({ 'gitlab:environment': 'review/x' }, keys)).toBeUndefined();
    expect(
      leftoverFilters({ 'gitlab:project-id': '', 'gitlab:environment': 'review/x' }, keys),
    ).toBeUndefined();
  });
});

describe('leftoverCandidate', () => {
  const live = new Set(['arn:live']);
  it('never counts a stack as a leftover', () => {
    expect(leftoverCandidate({ type: 'cloudformation:stack', tags: {} }, 'arn:gone', live)).toBe(false);
    expect(leftoverCandidate({ type: 'cloudformation:stackset', tags: {} }, 'arn:gone', live)).toBe(false);
  });
  it('keeps what the deleted stack created, or no stack did, or a stack no longer live', () => {
    expect(
      leftoverCandidate({ type: 's3:bucket', tags: { [STACK_ID_TAG]: 'arn:gone' } }, 'arn:gone', live),
    ).toBe(true);
    expect(leftoverCandidate({ type: 'logs:log-group', tags: {} }, 'arn:gone', live)).toBe(true);
    expect(
      leftoverCandidate({ type: 's3:bucket', tags: { [STACK_ID_TAG]: 'arn:older' } }, 'arn:gone', live),
    ).toBe(true);
  });
  it('counts what the deleted stack created even while the caller still lists that stack as live', () => {
    const stillListed = new Set(['arn:gone']);
    expect(
      leftoverCandidate({ type: 's3:bucket', tags: { [STACK_ID_TAG]: 'arn:gone' } }, 'arn:gone', stillListed),
    ).toBe(true);
  });
  it('leaves a live stack’s resources alone (a new deployment of the same environment)', () => {
    expect(
      leftoverCandidate({ type: 's3:bucket', tags: { [STACK_ID_TAG]: 'arn:live' } }, 'arn:gone', live),
    ).toBe(false);
  });
});

describe('arnType', () => {
  it.each([
    ['arn:aws:s3:::my-bucket', 's3:bucket'],
    ['arn:aws:s3:::my-bucket/key', 's3:my-bucket'],
    ['arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/x', 'logs:log-group'],
    ['arn:aws:ecr:eu-west-1:1:repository/app/web', 'ecr:repository'],
    ['arn:aws:lambda:eu-west-1:1:function:f', 'lambda:function'],
    ['arn:aws:sqs:eu-west-1:1:queue-name', 'sqs'],
    ['arn:aws:sns:eu-west-1:1:topic-name', 'sns'],
  ])('%s → %s', (arn, type) => expect(arnType(arn)).toBe(type));
});
