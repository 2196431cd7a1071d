import type { EvidenceError } from '../core/model.js';
import { describeFailure } from '../errors/failure.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import { type GitLabJson, path } from './json-client.js';
import type { GitLabReader, Page } from './ports.js';
import { branchFacts, environmentFacts, mergeRequestFacts, projectFacts } from './schemas.js';

export { PER_PAGE } from './json-client.js';

/** Every item of a paged listing, page after page (the one paginator of the GitLab side). */
export async function readAll<T>(listPage: (page: number) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let next: number | null = 1;
  while (next !== null) {
    const page: Page<T> = await listPage(next);
    items.push(...page.items);
    next = page.nextPage;
  }
  return items;
}

/** HTTP status of a failed GitLab call, if it had an answer. */
export function statusOf(error: unknown): number | undefined {
  return describeFailure(error).status;
}

/**
 * A failure as evidence that could not be read: its code and status as the boundary classified them.
 * The message is scrubbed of secrets here: a server or proxy may echo the request back in its error text.
 */
export function toEvidenceError(error: unknown): EvidenceError {
  const f = describeFailure(error);
  return {
    code: f.code,
    message: scrub(f.message || (f.status !== undefined ? `HTTP ${f.status}` : f.code)),
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(f.serviceCode !== undefined ? { serviceCode: f.serviceCode } : {}),
    ...(f.operation !== undefined ? { operation: f.operation } : {}),
  };
}

/** The GitLab reader on the JSON client. Every failure is named by its route (`json-client.ts`). */
export function createGitLabReader(api: GitLabJson): GitLabReader {
  return {
    project: (key) => api.find(path`projects/${key}`, projectFacts),
    branchesPage: (projectId, page) =>
      api.page(path`projects/${projectId}/repository/branches`, branchFacts, page),
    branch: (projectId, name) =>
      api.find(path`projects/${projectId}/repository/branches/${name}`, branchFacts),
    mergeRequestsPage: (projectId, page, filter) =>
      api.page(path`projects/${projectId}/merge_requests`, mergeRequestFacts, page, {
        state: 'all',
        sourceBranch: filter?.sourceBranch,
      }),
    environmentsPage: (projectId, page, filter) =>
      api.page(path`projects/${projectId}/environments`, environmentFacts, page, {
        name: filter?.name,
        states: filter?.states,
      }),
    mergeRequest: (projectId, iid) =>
      api.find(path`projects/${projectId}/merge_requests/${iid}`, mergeRequestFacts),
    environment: (projectId, environmentId) =>
      api.get(path`projects/${projectId}/environments/${environmentId}`, environmentFacts),
  };
}
