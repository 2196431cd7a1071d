/**
 * Exact ports of GitLab's slug algorithms (GitLab's API documentation).
 * The `u` flag matters: Ruby's gsub works per code point, so an emoji becomes one dash, not two.
 */

/**
 * `CI_COMMIT_REF_SLUG`: lowercase, every char outside `[a-z0-9]` to `-`, first 63 chars, then trim dashes.
 * Repeated dashes are kept (`feature//x` → `feature--x`).
 */
export function refSlug(ref: string): string {
  return ref
    .toLowerCase()
    .replace(/[^a-z0-9]/gu, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/**
 * `CI_ENVIRONMENT_SLUG` as GitLab has generated it since gitlab-foss!30551. The caller passes the SHA-256
 * hex digest of the name, so this module stays free of `node:crypto`. Older environments carry random
 * suffixes: never use this to find a branch, read `slug` from the API instead.
 */
export function environmentSlug(name: string, sha256Hex: string): string {
  let slugified = name.toLowerCase().replace(/[^a-z0-9]/gu, '-');
  if (!/^[a-z]/.test(slugified)) slugified = `env-${slugified}`;
  slugified = slugified.replace(/-{2,}/g, '-');
  if (slugified.length > 24 || slugified !== name) {
    let slug = slugified.slice(0, 17);
    if (!slug.endsWith('-')) slug += '-';
    return slug + BigInt(`0x${sha256Hex}`).toString(36).slice(-6);
  }
  return slugified.replace(/-$/, '');
}
