import { z } from 'zod';
import { type GitLabJson, path } from './json-client.js';
import type { GitLabExecutorReader, GitLabWriter } from './ports.js';
import { environmentState } from './schemas.js';

const notes = z.array(z.object({ body: z.string() })).transform((n) => n.map((x) => x.body));
const issue = z.object({ iid: z.number().int(), description: z.string().nullish() });
const stopped = z.object({ state: environmentState }).transform((e) => e.state);
/** What a write answers when only its success matters: any JSON, read no further. */
const anything = z.unknown();

/** The executor's GitLab reads, on the JSON client (each named by its route when it fails). */
export function createGitLabExecutorReader(api: GitLabJson): GitLabExecutorReader {
  return {
    environmentState: (projectId, environmentId) =>
      api.find(path`projects/${projectId}/environments/${environmentId}`, stopped),
    mergeRequestNoteBodies: (projectId, mrIid) =>
      api.get(path`projects/${projectId}/merge_requests/${mrIid}/notes`, notes, { perPage: 100 }),
    async findIssue(project, label) {
      const found = await api.get(path`projects/${project}/issues`, z.array(issue), {
        labels: label,
        state: 'opened',
        perPage: 20,
      });
      const first = found[0];
      return first ? { iid: first.iid, description: first.description ?? '' } : null;
    },
  };
}

/** The GitLab writer (the run's one client: same HTTP handler, pacing and retries as the reader). */
export function createGitLabWriter(api: GitLabJson): GitLabWriter {
  return {
    // GitLab answers the stop with the environment: its state steers the teardown, so it is parsed.
    stopEnvironment: (projectId, environmentId, options = { force: true }) =>
      api.post(path`projects/${projectId}/environments/${environmentId}/stop`, stopped, {
        force: options.force,
      }),
    deleteEnvironment: (projectId, environmentId) =>
      api.delete(path`projects/${projectId}/environments/${environmentId}`),
    async createMergeRequestNote(projectId, mrIid, body) {
      await api.post(path`projects/${projectId}/merge_requests/${mrIid}/notes`, anything, { body });
    },
    async createIssue(project, title, description, label) {
      const out = await api.post(path`projects/${project}/issues`, issue, {
        title,
        description,
        labels: label,
      });
      return out.iid;
    },
    async updateIssue(project, iid, description) {
      await api.put(path`projects/${project}/issues/${iid}`, anything, { description });
    },
  };
}
