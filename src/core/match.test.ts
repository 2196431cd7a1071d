import { describe, expect, it } from 'vitest';
import { defaultPolicy, stack } from '../../test/helpers/fixtures.js';
import { isRootStack, matchOwner, mergeRequestFor } from './match.js';
import type { GitLabEvidence, MergeRequestFacts } from './model.js';

const ownership = {
  ...defaultPolicy().ownership,
  stackNamePatterns: [{ pattern: '^review-(?<project>[a-z]+)-(?<refSlug>[a-z0-9-]+)$' }],
  projects: { shop: 'acme/shop', api: 202 },
};

describe('matchOwner', () => {
  it('reads the default tag keys', () => {
    const s = stack({
      tags: {
        'gitlab:project-id': '101',
        'gitlab:ref': 'feature/x',
        'gitlab:ref-slug': 'feature-x',
        'gitlab:environment': 'review/feature-x',
        'gitlab:mr-iid': '42',
      },
    });
    expect(matchOwner(s, ownership)).toEqual({
      matchedBy: 'tags',
      projectId: 101,
      ref: 'feature/x',
      refSlug: 'feature-x',
      environment: 'review/feature-x',
      mrIid: 42,
    });
  });

  it('falls back to the project path tag', () => {
    const s = stack({ tags: { 'gitlab:project-path': 'acme/shop', 'gitlab:ref-slug': 'x' } });
    expect(matchOwner(s, ownership)).toMatchObject({ projectPath: 'acme/shop', refSlug: 'x' });
  });

  it('honours configured tag keys', () => {
    const custom = { ...ownership, tags: { ...ownership.tags, projectId: 'team:project' } };
    expect(matchOwner(stack({ tags: { 'team:project': '7' } }), custom)).toMatchObject({ projectId: 7 });
  });

  it('matches by name pattern and maps the project group', () => {
    const s = stack({ name: 'review-shop-feature-x', tags: {} });
    expect(matchOwner(s, ownership)).toEqual({
      matchedBy: 'name-pattern',
      projectPath: 'acme/shop',
      refSlug: 'feature-x',
    });
    expect(matchOwner(stack({ name: 'review-api-fix', tags: {} }), ownership)).toMatchObject({
      projectId: 202,
    });
  });

  it('marks a name match with an unmapped project as unresolved', () => {
    expect(matchOwner(stack({ name: 'review-blog-x', tags: {} }), ownership)).toMatchObject({
      unresolved: true,
    });
  });

  it('leaves stacks without tags or pattern out of scope', () => {
    expect(matchOwner(stack({ name: 'shared-vpc', tags: { team: 'net' } }), ownership)).toBeUndefined();
  });

  it('never matches a nested stack', () => {
    const nested = stack({ parentId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/root/1' });
    expect(matchOwner(nested, ownership)).toBeUndefined();
  });

  it('trims tag values and ignores empty ones; a tag with no project is in scope but unresolved', () => {
    expect(
      matchOwner(stack({ tags: { 'gitlab:project-id': ' 101 ', 'gitlab:ref': '  ' } }), ownership),
    ).toEqual({
      matchedBy: 'tags',
      projectId: 101,
    });
    expect(matchOwner(stack({ tags: { 'gitlab:ref': 'feature/x' } }), ownership)).toEqual({
      matchedBy: 'tags',
      ref: 'feature/x',
      unresolved: true,
    });
    expect(matchOwner(stack({ tags: { 'gitlab:environment': 'review/x' } }), ownership)).toEqual({
      matchedBy: 'tags',
      environment: 'review/x',
      unresolved: true,
    });
    // A tag set of blanks is no ownership at all: out of scope, unless a name pattern claims the stack.
    expect(
      matchOwner(
        stack({ name: 'other', tags: { 'gitlab:project-id': ' ', 'gitlab:ref-slug': '' } }),
        ownership,
      ),
    ).toBeUndefined();
  });

  it('reads the environment slug and MR iid tags, and only digits make an iid or a project id', () => {
    const s = stack({
      tags: {
        'gitlab:project-id': '12a',
        'gitlab:project-path': 'acme/shop',
        'gitlab:environment-slug': 'review-feat-abc123',
        'gitlab:mr-iid': '!7',
      },
    });
    expect(matchOwner(s, ownership)).toEqual({
      matchedBy: 'tags',
      projectPath: 'acme/shop',
      environmentSlug: 'review-feat-abc123',
    });
    expect(
      matchOwner(stack({ tags: { 'gitlab:project-id': '5', 'gitlab:mr-iid': '0042' } }), ownership),
    ).toEqual({
      matchedBy: 'tags',
      projectId: 5,
      mrIid: 42,
    });
  });

  it('tags win over a name pattern; the first matching pattern wins; its groups fill the owner', () => {
    const two = {
      ...ownership,
      stackNamePatterns: [
        { pattern: '^pr-(?<projectId>\\d+)-(?<ref>[a-z]+)-(?<environmentSlug>env-[a-z0-9]+)$' },
        { pattern: '^pr-(?<project>[a-z]+)-(?<refSlug>.+)$' },
      ],
    };
    expect(matchOwner(stack({ name: 'pr-77-main-env-x1', tags: {} }), two)).toEqual({
      matchedBy: 'name-pattern',
      projectId: 77,
      ref: 'main',
      environmentSlug: 'env-x1',
    });
    expect(matchOwner(stack({ name: 'pr-shop-a-b', tags: {} }), two)).toEqual({
      matchedBy: 'name-pattern',
      projectPath: 'acme/shop',
      refSlug: 'a-b',
    });
    expect(matchOwner(stack({ name: 'pr-shop-a-b', tags: { 'gitlab:project-id': '9' } }), two)).toEqual({
      matchedBy: 'tags',
      projectId: 9,
    });
    // A projectId group wins over a mapped project group.
    const both = {
      ...ownership,
      stackNamePatterns: [{ pattern: '^x-(?<projectId>\\d+)-(?<project>[a-z]+)$' }],
    };
    expect(matchOwner(stack({ name: 'x-3-shop', tags: {} }), both)).toEqual({
      matchedBy: 'name-pattern',
      projectId: 3,
    });
  });

  it('a root stack has no parent, or an empty one', () => {
    expect(isRootStack(stack({}))).toBe(true);
    expect(isRootStack(stack({ parentId: '' }))).toBe(true);
    expect(isRootStack(stack({ parentId: 'arn:x' }))).toBe(false);
  });
});

describe('mergeRequestFor', () => {
  const mr = (iid: number, state: MergeRequestFacts['state']): MergeRequestFacts => ({
    iid,
    sourceBranch: 'feature/x',
    state,
    updatedAt: '2026-11-01T00:00:00Z',
  });
  const gitlab = (mrs: MergeRequestFacts[]): GitLabEvidence => ({ mergeRequests: { ok: true, value: mrs } });

  it('the tagged MR first, then the latest merged, else the latest closed, else an open one', () => {
    expect(mergeRequestFor({ matchedBy: 'tags', mrIid: 3 }, gitlab([mr(9, 'merged')]))).toBe(3);
    expect(
      mergeRequestFor({ matchedBy: 'tags' }, gitlab([mr(2, 'merged'), mr(8, 'merged'), mr(9, 'closed')])),
    ).toBe(8);
    expect(
      mergeRequestFor({ matchedBy: 'tags' }, gitlab([mr(4, 'closed'), mr(6, 'closed'), mr(9, 'opened')])),
    ).toBe(6);
    expect(mergeRequestFor({ matchedBy: 'tags' }, gitlab([mr(5, 'opened'), mr(7, 'locked')]))).toBe(5);
    expect(mergeRequestFor({ matchedBy: 'tags' }, gitlab([]))).toBeUndefined();
    expect(
      mergeRequestFor(
        { matchedBy: 'tags' },
        { mergeRequests: { ok: false, error: { code: 'INTERNAL', message: '' } } },
      ),
    ).toBeUndefined();
  });
});
