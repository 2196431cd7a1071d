import type { AccountTarget } from '../aws/clients.js';
import type { AwsDeletionReader } from '../aws/stacks.js';
import type { AwsWriter } from '../aws/writer.js';
import type { Reason, StackFacts, Verdict } from '../core/model.js';
import type { PlanStatus } from '../core/plan.js';
import type { EnvironmentRecord } from '../core/run-result.js';
import type { GitLabExecutorReader, GitLabWriter } from '../gitlab/writer.js';
import type { Logger } from '../log/logger.js';
import type { JsonLinesLog } from '../state/file-store.js';
import type { State } from '../state/state.js';

/** What re-verification found for one stack right before its deletion. */
export interface Recheck {
  verdict: Verdict;
  status: PlanStatus;
  reasons: Reason[];
}

/** Dependencies of the executor; tests pass fakes. */
export interface ExecutorDeps {
  /** The reads around a deletion, and DeleteStack. */
  aws: AwsDeletionReader & AwsWriter;
  /** Our own notes and the dashboard issue, and the GitLab writes. */
  gitlab: GitLabExecutorReader & GitLabWriter;
  logger: Logger;
  auditLog: JsonLinesLog;
  state: State;
  /** Persists `state` (serialised by the executor). */
  saveState: () => Promise<void>;
  /** Re-reads the GitLab evidence for one stack and classifies it again. */
  recheck: (record: EnvironmentRecord, fresh: StackFacts) => Promise<Recheck>;
  /** The configured target (credentials) of an account. */
  targetOf: (account: string) => AccountTarget;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Options of one execution. */
export interface ExecutorOptions {
  apply: boolean;
  runId: string;
  concurrency: number;
  deleteTimeoutMs: number;
  onDeleteFailed: 'report' | 'retain' | 'force' | 'empty-and-retry';
  /**
   * empty-and-retry: how many buckets or repositories this run may still empty (limits.maxDeletionsPerRun
   * less the deletions planned: emptying destroys data, so it counts like a deletion). Default 0.
   */
  maxRepairs?: number;
  deleteEnvironments: boolean;
  mergeRequestNotes: boolean;
  /** Advance notices on the MR for stacks that will be deleted later. */
  mergeRequestNotices?: boolean;
  /** The keep labels, for the notice text. */
  keepLabels?: string[];
  /** policy.teardown, and per project (path or id). */
  teardown?: 'delete-stack' | 'stop-job' | 'stop-job-then-delete';
  teardownProjects?: Record<string, 'delete-stack' | 'stop-job' | 'stop-job-then-delete'>;
  /** limits.stopJobTimeout (ms). */
  stopJobTimeoutMs?: number;
  /** Polling bounds (ms); tests shorten them. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Checked before each write: a stopping daemon lets operations in flight finish but starts none. */
  shouldStop?: () => boolean;
  /**
   * `reap --apply-plan`: only these stacks may be deleted (stack id → evidence digest at plan time); a
   * stack whose evidence changed since is cancelled with `EVIDENCE_CHANGED`.
   */
  planned?: Map<string, string>;
}

/** Everything the per-stack steps of one execution share. */
export interface ExecutionContext {
  deps: ExecutorDeps;
  options: ExecutorOptions;
  /** Saves state; saves are serialised (steps run concurrently, the state is written whole). */
  save: () => Promise<void>;
  /** Appends one line to the audit log, tagged with the run id. */
  audit: (entry: Record<string, unknown>) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Buckets or repositories empty-and-retry may still empty in this run (shared by every stack). */
  repairsLeft: { count: number };
}

/** The shared context of one `--apply` execution. */
export function executionContext(deps: ExecutorDeps, options: ExecutorOptions): ExecutionContext {
  let saving: Promise<void> = Promise.resolve();
  return {
    deps,
    options,
    save: () => {
      saving = saving.then(deps.saveState, deps.saveState);
      return saving;
    },
    audit: (entry) => deps.auditLog.append({ runId: options.runId, ...entry }),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    now: deps.now ?? (() => Date.now()),
    repairsLeft: { count: Math.max(0, options.maxRepairs ?? 0) },
  };
}
