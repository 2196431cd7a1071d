// @ts-nocheck
import { describe, expect, it } from 'vitest';
import { defaultPolicy, stack } from '../../test/helpers/fixtures.js';
import { matchOwner } from './match.js';

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
});
