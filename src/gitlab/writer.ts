import { z } from 'zod';
import type { GitLabApi } from './api.js';
import type { GitLabExecutorReader, GitLabWriter } from './ports.js';
import { at, statusOf } from './reader.js';

const noteSchema = z.object({ body: z.string() });
const issueSchema = z.object({ iid: z.number().int(), description: z.string().nullish() });

/** The gitbeaker-backed note reader. */
export function createGitLabExecutorReader(api: GitLabApi): GitLabExecutorReader {
  return {
    // Each names its route when it fails (a malformed answer too), like the audit's reads.
    environmentState: at('GET /projects/:id/environments/:id', async (projectId, environmentId) => {
      try {
        const env = await api.Environments.show(projectId, environmentId);
        return z.object({ state: z.string() }).parse(env).state;
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
    }),
    mergeRequestNoteBodies: at('GET /projects/:id/merge_requests/:id/notes', async (projectId, mrIid) => {
      const notes = await api.MergeRequestNotes.all(projectId, mrIid, { perPage: 100 } as never);
      return z
        .array(noteSchema)
        .parse(notes)
        .map((n) => n.body);
    }),
    findIssue: at('GET /projects/:id/issues', async (project, label) => {
      const issues = await api.Issues.all({
        projectId: project,
        labels: label,
        state: 'opened',
        perPage: 20,
      } as never);
      const first = z.array(issueSchema).parse(issues)[0];
      return first ? { iid: first.iid, description: first.description ?? '' } : null;
    }),
  };
}

/** The gitbeaker-backed writer (the run's one client: same HTTP handler, pacing and retries as the reader). */
export function createGitLabWriter(api: GitLabApi): GitLabWriter {
  return {
    async stopEnvironment(projectId, environmentId, options = { force: true }) {
      // gitbeaker types `force` as a string (a typing bug); GitLab reads the JSON boolean.
      const out = await api.Environments.stop(projectId, environmentId, { force: options.force } as never);
      return String((out as { state?: string }).state ?? '');
    },
    async deleteEnvironment(projectId, environmentId) {
      await api.Environments.remove(projectId, environmentId);
    },
    async createMergeRequestNote(projectId, mrIid, body) {
      await api.MergeRequestNotes.create(projectId, mrIid, body);
    },
    async createIssue(project, title, description, label) {
      const out = await api.Issues.create(project, title, { description, labels: label } as never);
      return issueSchema.parse(out).iid;
    },
    async updateIssue(project, iid, description) {
      await api.Issues.edit(project, iid, { description } as never);
    },
  };
}
