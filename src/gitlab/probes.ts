import type { GitLabApi } from './api.js';
import type { GitLabProbes } from './ports.js';

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
  };
}
