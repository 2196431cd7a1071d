import type { BranchFacts, EnvironmentFacts, MergeRequestFacts, ProjectFacts } from '../core/model.js';

/**
 * The gitlab layer's map of the outside world: every read and write env-reaper makes against GitLab, as
 * the rest of the code sees it. `reader.ts`, `writer.ts` and `probes.ts` implement them on the JSON
 * client (`json-client.ts`) and the HTTP layer (`http.ts`, `transport.ts`); tests pass fakes of these interfaces.
 */

/** The states a GitLab environment has. */
export type EnvironmentState = 'available' | 'stopping' | 'stopped';

/** One page of a GitLab listing. */
export interface Page<T> {
  items: T[];
  nextPage: number | null;
  /** `null` when GitLab omits totals (over 10,000 rows). */
  totalPages: number | null;
}

/** The read side of GitLab that env-reaper needs; tests swap it without global mocks. */
export interface GitLabReader {
  /** `null` on 404 (gone, or not visible to this token). */
  project(key: string | number): Promise<ProjectFacts | null>;
  branchesPage(projectId: number, page: number): Promise<Page<BranchFacts>>;
  /** `null` on 404 Branch Not Found. */
  branch(projectId: number, name: string): Promise<BranchFacts | null>;
  mergeRequestsPage(
    projectId: number,
    page: number,
    filter?: { sourceBranch?: string },
  ): Promise<Page<MergeRequestFacts>>;
  environmentsPage(
    projectId: number,
    page: number,
    filter?: { name?: string; states?: EnvironmentState },
  ): Promise<Page<EnvironmentFacts>>;
  /** The single GET, with `last_deployment`. */
  environment(projectId: number, environmentId: number): Promise<EnvironmentFacts>;
  /** One MR by iid; `null` on 404. */
  mergeRequest(projectId: number, iid: number): Promise<MergeRequestFacts | null>;
}

/**
 * One GraphQL query to `POST /api/graphql`, paced, counted and retried like any GitLab read (a query
 * changes nothing, so a 5xx is retried). Resolves with the parsed JSON body of a 2xx answer, whose
 * `errors` the caller reads; rejects like any GitLab call (an HTTP 404: no GraphQL on this instance).
 */
export interface GitLabGraphql {
  query(text: string, variables: Record<string, unknown>): Promise<unknown>;
}

/**
 * The reads the executor makes around its GitLab writes: our own notes, the dashboard issue, and the
 * state of an environment whose on_stop job it follows.
 */
export interface GitLabExecutorReader {
  /** `available`, `stopping` or `stopped`; `null` when the environment is gone. */
  environmentState(projectId: number, environmentId: number): Promise<EnvironmentState | null>;
  /** Bodies of the MR's notes (newest first), to find our hidden marker. */
  mergeRequestNoteBodies(projectId: number, mrIid: number): Promise<string[]>;
  /** The open issue carrying `label`, if any (the dashboard). */
  findIssue(project: string | number, label: string): Promise<{ iid: number; description: string } | null>;
}

/** The narrow GitLab write side the executor uses. Only src/executor calls it. */
export interface GitLabWriter {
  /**
   * Stops an environment and returns its new state. By default with `force`, which skips the on_stop
   * job (the stack it would tear down is gone); `{ force: false }` runs it (a stop-job teardown).
   */
  stopEnvironment(
    projectId: number,
    environmentId: number,
    options?: { force: boolean },
  ): Promise<EnvironmentState>;
  deleteEnvironment(projectId: number, environmentId: number): Promise<void>;
  createMergeRequestNote(projectId: number, mrIid: number, body: string): Promise<void>;
  createIssue(project: string | number, title: string, description: string, label: string): Promise<number>;
  updateIssue(project: string | number, iid: number, description: string): Promise<void>;
}

/** What the token can do, as `GET /personal_access_tokens/self` says (personal, project and group tokens). */
export interface TokenInfo {
  scopes: string[];
  active: boolean;
  expiresAt: string | null;
}

/** The reads `doctor` makes beyond a run's. */
export interface GitLabProbes {
  tokenInfo(): Promise<TokenInfo>;
  /**
   * Whether GitLab answers at its URL (`GET /metadata`): its version when the token may read it, the
   * HTTP status it answered otherwise; throws when nothing answers (refused, unresolved, timed out).
   */
  reach(): Promise<{ version?: string; status?: number }>;
}
