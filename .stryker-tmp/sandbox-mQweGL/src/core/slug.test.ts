// @ts-nocheck
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
    // sha256('review/feature-x'), computed once with node:crypto; src/core imports no I/O, tests included.
    const digest = '08128821cf77dc87e2e12b4a36677d72a1176eba11bdd7b28048cc80edb17f58';
    expect(environmentSlug('review/feature-x', digest)).toBe('review-feature-x-bjrazc');
  });
});
