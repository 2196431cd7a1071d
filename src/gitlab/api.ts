import { createGitLabRequestHandler, type GitLabHttpOptions } from './http.js';
import { createGitLabJson, type GitLabJson } from './json-client.js';
import type { GitLabGraphql } from './ports.js';

/** Options for the GitLab clients: where, who, and the HTTP layer's bounds. */
export interface GitLabClientOptions extends GitLabHttpOptions {
  url: string;
  token?: string | undefined;
  jobToken?: string | undefined;
}

/** The request handler every GitLab call of a run goes through (one pacer, one budget). */
export type GitLabRequestHandler = ReturnType<typeof createGitLabRequestHandler>;

/**
 * The run's REST client (`json-client.ts`) on our request handler (retry, Retry-After, pacing); pass the
 * handler the GraphQL client uses too, so REST and GraphQL share one rate budget.
 */
export function createGitLabApi(
  options: GitLabClientOptions,
  handler: GitLabRequestHandler = createGitLabRequestHandler(options),
): GitLabJson {
  return createGitLabJson(options, handler);
}

/** A GraphQL answer: only its body is read (the reader checks it is a GraphQL answer). */
interface Answer {
  body: unknown;
}

/**
 * The GraphQL client: one POST per query to `/api/graphql` through the same handler as REST. Only a
 * personal, project or group access token may use GraphQL (a CI job token may not): `null` without one.
 * It does not go through gitbeaker's requester, which would rewrite the variables' names in snake_case.
 */
export function createGitLabGraphql(
  options: GitLabClientOptions,
  handler: GitLabRequestHandler,
): GitLabGraphql | null {
  if (!options.token) return null;
  const token = options.token;
  return {
    async query(text, variables) {
      const answer: Answer = await handler('api/graphql', {
        prefixUrl: options.url,
        method: 'POST',
        idempotent: true,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: text, variables }),
      });
      // Whatever came back (an HTML page from a proxy included): the reader checks it is a GraphQL answer.
      return answer.body;
    },
  };
}
