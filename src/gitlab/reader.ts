import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { z } from 'zod';
import type { EvidenceError } from '../core/model.js';
import { ExternalServiceError } from '../errors/errors.js';
import { describeFailure, stamp } from '../errors/failure.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import type { GitLabApi } from './api.js';
import type { GitLabReader, Page } from './ports.js';
import {
  branchSchema,
  environmentSchema,
  mergeRequestSchema,
  projectSchema,
  toBranch,
  toEnvironment,
  toMergeRequest,
  toProject,
} from './schemas.js';

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

/** Page size for every listing: GitLab's maximum. */
export const PER_PAGE = 100;

/** HTTP status of a gitbeaker error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const cause = (error as { cause?: { response?: { status?: number } } })?.cause;
  return cause?.response?.status;
}

/**
 * Maps any failure to stable evidence error codes. The message is scrubbed of secrets here, at the
 * boundary: a server or proxy may echo the request (URL, headers) back in its error text.
 */
export function toEvidenceError(error: unknown): EvidenceError {
  const e = classifyError(error);
  const { operation } = describeFailure(error);
  return { code: e.code, message: scrub(e.message), ...(operation !== undefined ? { operation } : {}) };
}

function classifyError(error: unknown): EvidenceError {
  if (error instanceof GitbeakerTimeoutError) return { code: 'TIMEOUT', message: error.message };
  if (error instanceof GitbeakerRetryError) {
    return { code: /429/.test(error.message) ? 'RATE_LIMITED' : 'RETRIES_EXHAUSTED', message: error.message };
  }
  if (error instanceof GitbeakerRequestError) {
    const status = statusOf(error);
    return { code: `HTTP_${status ?? 'ERROR'}`, message: error.message || `HTTP ${status}` };
  }
  if (error instanceof z.ZodError)
    return { code: 'MALFORMED_RESPONSE', message: error.issues[0]?.message ?? 'malformed' };
  if (error instanceof ExternalServiceError) return { code: error.code, message: error.message };
  return { code: 'NETWORK', message: (error as Error)?.message ?? String(error) };
}

/** One array schema per item schema, built once instead of once per page. */
const arrays = new WeakMap<z.ZodType, z.ZodType>();

function pageOf<T>(
  res: { data: unknown; paginationInfo: { next: number | null; totalPages: number } },
  schema: z.ZodType<T>,
): { items: T[]; nextPage: number | null; totalPages: number | null } {
  let array = arrays.get(schema) as z.ZodType<T[]> | undefined;
  if (!array) {
    array = z.array(schema);
    arrays.set(schema, array);
  }
  const items = array.parse(res.data);
  const totalPages = Number.isFinite(res.paginationInfo.totalPages) ? res.paginationInfo.totalPages : null;
  return { items, nextPage: res.paginationInfo.next ?? null, totalPages };
}

async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof GitbeakerRequestError && statusOf(error) === 404) return null;
    throw error;
  }
}

/**
 * A reader method whose every failure names its route: an answer that does not parse (a malformed 200)
 * fails here, after the HTTP layer, which stamps only its own failures.
 */
export function at<A extends unknown[], R>(route: string, fn: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (error) {
      throw stamp(error, 'gitlab', route);
    }
  };
}

/** The GitLab reader on @gitbeaker/rest. */
export function createGitLabReader(api: GitLabApi): GitLabReader {
  const paged = { perPage: PER_PAGE, showExpanded: true as const, pagination: 'offset' as const };
  return {
    project: at('GET /projects/:id', async (key) => {
      const raw = await orNull(api.Projects.show(key));
      return raw === null ? null : toProject(projectSchema.parse(raw));
    }),
    branchesPage: at('GET /projects/:id/repository/branches', async (projectId, page) => {
      const res = await api.Branches.all(projectId, { ...paged, page });
      const p = pageOf(res as never, branchSchema);
      return { ...p, items: p.items.map(toBranch) };
    }),
    branch: at('GET /projects/:id/repository/branches/:id', async (projectId, name) => {
      const raw = await orNull(api.Branches.show(projectId, name));
      return raw === null ? null : toBranch(branchSchema.parse(raw));
    }),
    mergeRequestsPage: at('GET /projects/:id/merge_requests', async (projectId, page, filter) => {
      const res = await api.MergeRequests.all({
        projectId,
        state: 'all' as never,
        ...(filter?.sourceBranch !== undefined ? { sourceBranch: filter.sourceBranch } : {}),
        ...paged,
        page,
      } as never);
      const p = pageOf(res as never, mergeRequestSchema);
      return { ...p, items: p.items.map(toMergeRequest) };
    }),
    environmentsPage: at('GET /projects/:id/environments', async (projectId, page, filter) => {
      const res = await api.Environments.all(projectId, {
        ...(filter?.name !== undefined ? { name: filter.name } : {}),
        ...(filter?.states !== undefined ? { states: filter.states } : {}),
        ...paged,
        page,
      } as never);
      const p = pageOf(res as never, environmentSchema);
      return { ...p, items: p.items.map(toEnvironment) };
    }),
    mergeRequest: at('GET /projects/:id/merge_requests/:id', async (projectId, iid) => {
      const raw = await orNull(api.MergeRequests.show(projectId, iid));
      return raw === null ? null : toMergeRequest(mergeRequestSchema.parse(raw));
    }),
    environment: at('GET /projects/:id/environments/:id', async (projectId, environmentId) => {
      return toEnvironment(environmentSchema.parse(await api.Environments.show(projectId, environmentId)));
    }),
  };
}
