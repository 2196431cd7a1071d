import type { GitLabApi } from './api.js';
import type { GitLabProbes } from './ports.js';
import { statusOf } from './reader.js';

/** `doctor`'s GitLab reads on the run's client (one pacer, one rate budget). */
export function createGitLabProbes(api: GitLabApi): GitLabProbes {
  return {
    async tokenInfo() {
      const t = (await api.PersonalAccessTokens.show()) as unknown as {
        scopes?: string[];
        active?: boolean;
        expires_at?: string | null;
      };
      return { scopes: t.scopes ?? [], active: t.active !== false, expiresAt: t.expires_at ?? null };
    },
    async reach() {
      try {
        const m = (await api.Metadata.show()) as unknown as { version?: unknown };
        return typeof m.version === 'string' ? { version: m.version } : {};
      } catch (error) {
        // Any HTTP answer (401 for a wrong token, 404 on an older GitLab) means GitLab is there.
        const status = statusOf(error);
        if (status !== undefined) return { status };
        throw error;
      }
    },
  };
}
