import { z } from 'zod';
import { describeFailure } from '../errors/failure.js';
import { type GitLabJson, path } from './json-client.js';
import type { GitLabProbes } from './ports.js';

/** `GET /personal_access_tokens/self`, as the token facts doctor checks. */
const tokenInfo = z
  .object({
    scopes: z.array(z.string()).default([]),
    active: z.boolean().default(true),
    expires_at: z.string().nullish(),
  })
  .transform((t) => ({ scopes: t.scopes, active: t.active, expiresAt: t.expires_at ?? null }));

/** `GET /metadata`: only the version is read. */
const metadata = z.unknown().transform((m): { version?: string } => {
  const read = z.object({ version: z.string() }).safeParse(m);
  return read.success ? { version: read.data.version } : {};
});

/** `doctor`'s GitLab reads on the run's client (one pacer, one rate budget). */
export function createGitLabProbes(api: GitLabJson): GitLabProbes {
  return {
    tokenInfo: () => api.get(path`personal_access_tokens/self`, tokenInfo),
    async reach() {
      try {
        return await api.get(path`metadata`, metadata);
      } catch (error) {
        // Any HTTP answer (401 for a wrong token, 404 on an older GitLab) means GitLab is there.
        const { status } = describeFailure(error);
        if (status !== undefined) return { status };
        throw error;
      }
    },
  };
}
