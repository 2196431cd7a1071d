import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { environmentSlug, refSlug } from './slug.js';

describe('refSlug (CI_COMMIT_REF_SLUG)', () => {
  // GitLab's own vectors: spec/lib/gitlab/utils_spec.rb
  it.each([
    ['TEST', 'test'],
    ['project_with_underscores', 'project-with-underscores'],
    ['namespace/project', 'namespace-project'],
    ['a'.repeat(70), 'a'.repeat(63)],
    ['test_trailing_', 'test-trailing'],
  ])('%s → %s', (input, expected) => {
    expect(refSlug(input)).toBe(expected);
  });

  it('keeps repeated dashes', () => {
    expect(refSlug('feature//x')).toBe('feature--x');
  });

  it('replaces an astral character with a single dash (per code point)', () => {
    expect(refSlug('fix-🚀-rocket')).toBe('fix---rocket');
  });

  it('trims dashes after truncating to 63', () => {
    expect(refSlug(`${'a'.repeat(62)}/b`)).toBe('a'.repeat(62));
  });

  it('a branch of only symbols slugifies to the empty string', () => {
    expect(refSlug('///')).toBe('');
  });
});

describe('environmentSlug (CI_ENVIRONMENT_SLUG)', () => {
  // GitLab's vectors (spec/lib/gitlab/slug/environment_spec.rb) stub the digest to 'a' * 64 → 'q517sa'.
  const stub = 'a'.repeat(64);
  it.each([
    ['review/1-foo', 'review-1-foo-q517sa'],
    ['PRODUCTION', 'production-q517sa'],
    ['1/foo', 'env-1-foo-q517sa'],
    ['foo-', 'foo'],
    ['staging-1234567890123456', 'staging-1234567890123456'],
    ['staging-12345678901234567', 'staging-123456789-q517sa'],
  ])('%s → %s', (name, expected) => {
    expect(environmentSlug(name, stub)).toBe(expected);
  });

  it('uses the real SHA-256 suffix of the original name', () => {
    const name = 'review/feature-x';
    const digest = createHash('sha256').update(name).digest('hex');
    const suffix = BigInt(`0x${digest}`).toString(36).slice(-6);
    expect(environmentSlug(name, digest)).toBe(`review-feature-x-${suffix}`);
    expect(environmentSlug(name, digest)).toHaveLength(17 + 6);
  });
});
