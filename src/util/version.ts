import { createRequire } from 'node:module';

/** env-reaper's version, read once from its package.json (the one place it is written). */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

/** The User-Agent of every request to AWS and GitLab, so their logs name the tool and its version. */
export const USER_AGENT = `env-reaper/${VERSION}`;
