import { projectKey } from '../core/model.js';
import type { RunError } from '../core/run-result.js';
import type { GitLabCollection, OwnedStack } from './collector.js';

/**
 * A token GitLab refuses is one fact about the token, not one per project: a 401 anywhere (GitLab
 * answers 401 to every request of a revoked, expired or mistyped token, public projects included), or a
 * 403 on every project read while none was read (a token without `read_api`). The run then reports one
 * error naming GitLab, its URL and what to check (never the token), and every owned stack is `unknown`,
 * also where some answer happened to come first: nothing read with a refused token is evidence.
 */

/** The run error's scope: every stack's evidence carries it, so the report lists them all under it. */
export const TOKEN_SCOPE = 'gitlab:token';

/** What to check, by status (shared with `doctor`). */
export const TOKEN_ADVICE = {
  401: 'check GITLAB_TOKEN: it may be revoked, expired or mistyped (GitLab answers 401 to every request then)',
  403: 'check the token’s scopes: it needs read_api (api for reap --apply)',
} as const;

/** Whether the collection's errors say the token was refused, and how. */
export function tokenRefusal(
  collection: Pick<GitLabCollection, 'errors' | 'projects'>,
): 401 | 403 | undefined {
  const { errors } = collection;
  if (errors.some((e) => e.code === 'UNAUTHENTICATED')) return 401;
  const readAny = [...collection.projects.values()].some((p) => p !== null);
  if (!readAny && errors.length > 0 && errors.every((e) => e.code === 'ACCESS_DENIED')) return 403;
  return undefined;
}

/** The collection with a refused token said once: one run error, every owned stack failed under it. */
export function collapseTokenRefusal<C extends GitLabCollection>(
  collection: C,
  owned: OwnedStack[],
  gitlabUrl: string | undefined,
): C {
  const status = tokenRefusal(collection);
  if (status === undefined) return collection;
  const code = status === 401 ? 'UNAUTHENTICATED' : 'ACCESS_DENIED';
  const operation = collection.errors.find((e) => e.code === code)?.operation;
  const error: RunError = {
    scope: TOKEN_SCOPE,
    code,
    status,
    message: `GitLab at ${shown(gitlabUrl)} refused the token (HTTP ${status}): ${TOKEN_ADVICE[status]}`,
    service: 'gitlab',
    ...(operation !== undefined ? { operation } : {}),
  };
  const evidence = new Map(collection.evidence);
  // The stacks the collector reads GitLab for (an owner with a project); the rest never asked GitLab.
  for (const s of owned.filter((x) => projectKey(x.owner) !== undefined && !x.owner.unresolved)) {
    const { scope: _s, service: _v, ...failure } = error;
    evidence.set(s.stackId, { project: { ok: false, error: { ...failure, scope: TOKEN_SCOPE } } });
  }
  return { ...collection, evidence, errors: [error] };
}

/** The URL as the report may show it: no user or password, even if the configuration carries one. */
function shown(url: string | undefined): string {
  if (url === undefined) return 'the configured URL';
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.origin + u.pathname.replace(/\/$/, '');
  } catch {
    return 'the configured URL';
  }
}
