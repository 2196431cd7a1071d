import { createRequesterFn } from '@gitbeaker/requester-utils';
import { Gitlab } from '@gitbeaker/rest';
import { createGitLabRequestHandler, type GitLabHttpOptions } from './http.js';

/** Options for the gitbeaker-backed reader and writer: where, who, and the HTTP layer's bounds. */
export interface GitLabClientOptions extends GitLabHttpOptions {
  url: string;
  token?: string | undefined;
  jobToken?: string | undefined;
}

/** The gitbeaker client; one per run, so the reader and the writer share one pacer and one budget. */
export type GitLabApi = InstanceType<typeof Gitlab>;

/** Creates the gitbeaker instance with our request handler (retry, Retry-After, pacing). */
export function createGitLabApi(options: GitLabClientOptions): GitLabApi {
  const handler = createGitLabRequestHandler(options);
  const auth = options.token ? { token: options.token } : { jobToken: options.jobToken ?? '' };
  return new Gitlab({
    host: options.url,
    ...auth,
    // Our handler owns timeouts per request; gitbeaker's one signal per whole paginated call would not do.
    queryTimeout: null,
    requesterFn: createRequesterFn((_, reqo) => Promise.resolve(reqo), handler),
  } as ConstructorParameters<typeof Gitlab>[0]);
}
