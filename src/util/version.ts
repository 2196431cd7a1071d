import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** env-reaper's version, read once from its package.json (the one place it is written). */
export const VERSION: string = (require('../../package.json') as { version: string }).version;

/**
 * The commit this build was made from (`dist/build-info.json`, written by `npm run build`); `unknown`
 * when running from the sources or from a build without one.
 */
export const COMMIT: string = (() => {
  try {
    const info = require('../build-info.json') as { commit?: unknown };
    return typeof info.commit === 'string' && /^[0-9a-f]{7,40}$|^unknown$/.test(info.commit)
      ? info.commit
      : 'unknown';
  } catch {
    return 'unknown';
  }
})();

/** The short form people read: `0.1.0 (abc1234)`. */
export const VERSION_TEXT = `${VERSION} (${COMMIT === 'unknown' ? 'commit unknown' : COMMIT.slice(0, 12)})`;

/**
 * The User-Agent of every request to AWS and GitLab, so their logs name the tool, its version and build
 * (the commit as semver build metadata: `env-reaper/0.1.0+abc123456789`).
 */
export const USER_AGENT = `env-reaper/${VERSION}${COMMIT === 'unknown' ? '' : `+${COMMIT.slice(0, 12)}`}`;
