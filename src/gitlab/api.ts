import { createRequesterFn } from '@gitbeaker/requester-utils';
import { Gitlab } from '@gitbeaker/rest';
import { createGitLabRequestHandler, type GitLabHttpOptions } from './http.js';
import type { GitLabGraphql } from './ports.js';

/** Options for the gitbeaker-backed reader and writer: where, who, and the HTTP layer's bounds. */
export interface GitLabClientOptions extends GitLabHttpOptions {
  url: string;
  token?: string | undefined;
  jobToken?: string | undefined;
}

/** The gitbeaker client; one per run, so the reader and the writer share one pacer and one budget. */
export type GitLabApi = InstanceType<typeof Gitlab>;

/** The request handler every GitLab call of a run goes through (one pacer, one budget). */
export type GitLabRequestHandler = ReturnType<typeof createGitLabRequestHandler>;

/**
 * Creates the gitbeaker instance with our request handler (retry, Retry-After, pacing); pass the handler
 * the GraphQL client uses too, so REST and GraphQL share one rate budget.
 */
export function createGitLabApi(
  options: GitLabClientOptions,
  handler: GitLabRequestHandler = createGitLabRequestHandler(options),
): GitLabApi {
  const auth = options.token ? { token: options.token } : { jobToken: options.jobToken ?? '' };
  return new Gitlab({
    host: options.url,
    ...auth,
    // Our handler owns timeouts per request; gitbeaker's one signal per whole paginated call would not do.
    queryTimeout: null,
    requesterFn: createRequesterFn((_, reqo) => Promise.resolve(reqo), handler),
  } as ConstructorParameters<typeof Gitlab>[0]);
}

/**
 * The GraphQL client: one POST per query to `/api/graphql` through the same handler as REST. Only a
 * personal, project or group access token may use GraphQL (a CI job token may not): `null` without one.
 */
export function createGitLabGraphql(
  options: GitLabClientOptions,
  handler: GitLabRequestHandler,
): GitLabGraphql | null {
  if (!options.token) return null;
  const token = options.token;
  return {
    async query(text, variables) {
      const answer = (await handler('api/graphql', {
        prefixUrl: options.url,
        method: 'POST',
        idempotent: true,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: text, variables }),
      })) as { body: unknown };
      // Whatever came back (an HTML page from a proxy included): the reader checks it is a GraphQL answer.
      return answer.body;
    },
  };
}
