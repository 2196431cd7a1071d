import type { AccountTarget, AwsDeletionReader, AwsWriter } from '../aws/ports.js';
import type { Reason, StackFacts, Verdict } from '../core/model.js';
import type { PlanStatus } from '../core/plan.js';
import type { EnvironmentRecord, RunError } from '../core/run-result.js';
import type { DeleteFailedHandling, TeardownMode } from '../core/teardown.js';
import { type FailureSite as BaseSite, runErrorOf } from '../errors/failure.js';
import type { AuditEntry } from './audit-events.js';

export { runErrorOf };

import type { GitLabExecutorReader, GitLabWriter } from '../gitlab/ports.js';
import type { Logger } from '../log/logger.js';
import type { JsonLinesLog } from '../state/file-store.js';
import type { State } from '../state/state.js';

/** What re-verification found for one stack right before its deletion. */
export interface Recheck {
  verdict: Verdict;
  status: PlanStatus;
  reasons: Reason[];
  /** Lookups of the re-check that failed: the evidence could not be re-read (never a finding). */
  errors?: RunError[];
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
  /**
   * Whether the configured credentials reach an account. A deletion an earlier run left unfinished in an
   * account no longer reached is reported, never followed with another account's credentials.
   */
  reaches?: (account: string) => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /**
   * Receives every failed call of the execution (a safety check, a poll, a follow-up write): the run
   * adds them to the report's `errors[]`, so a run that did less than asked exits 1.
   */
  onError?: (error: RunError) => void;
  /** After each due stack's deletion ends: how many ended, of how many, deleted and failed. */
  progress?: (p: DeleteProgress) => void;
}

/** Where the deletions of a run stand. */
export interface DeleteProgress {
  done: number;
  total: number;
  deleted: number;
  failed: number;
}

/** Options of one execution. */
export interface ExecutorOptions {
  apply: boolean;
  runId: string;
  concurrency: number;
  deleteTimeoutMs: number;
  onDeleteFailed: DeleteFailedHandling;
  /**
   * empty-and-retry: how many buckets or repositories this run may still empty (limits.maxDeletionsPerRun
   * less the deletions planned: emptying destroys data, so it counts like a deletion).
   */
  maxRepairs: number;
  deleteEnvironments: boolean;
  mergeRequestNotes: boolean;
  /** Advance notices on the MR for stacks that will be deleted later. */
  mergeRequestNotices: boolean;
  /** The keep labels, for the notice text. */
  keepLabels: string[];
  /** `usage.window` in days: the unused notice says it ("no one has opened this environment for 14 days"). */
  unusedWindowDays: number;
  /** policy.teardown, and per project (path or id). */
  teardown: TeardownMode;
  teardownProjects: Record<string, TeardownMode>;
  /** limits.stopJobTimeout (ms). */
  stopJobTimeoutMs: number;
  /** Polling bounds (ms): how a status poll backs off. Tests shorten them. */
  poll: PollBounds;
  /** Checked before each write: a stopping daemon lets operations in flight finish but starts none. */
  shouldStop?: () => boolean;
  /**
   * `reap --apply-plan`: only these stacks may be deleted (stack id → evidence digest at plan time); a
   * stack whose evidence changed since is cancelled with `EVIDENCE_CHANGED`.
   */
  planned?: Map<string, string>;
}

/** How a status poll backs off: from `minMs`, × 1.5 each time, to at most `maxMs`. */
export interface PollBounds {
  minMs: number;
  maxMs: number;
}

/**
 * The poll of a real run: the first look after 0.5 s (a stack without resources is gone by then), then
 * at most every 15 s, well under CloudFormation's DescribeStacks quota at the configured concurrency.
 */
export const POLL_BOUNDS: PollBounds = { minMs: 500, maxMs: 15_000 };

/** Everything the per-stack steps of one execution share. */
export interface ExecutionContext {
  deps: ExecutorDeps;
  options: ExecutorOptions;
  /** Saves state; saves are serialised (steps run concurrently, the state is written whole). */
  save: () => Promise<void>;
  /** Appends one line to the audit log, tagged with the run id (one of `AUDIT_EVENTS`). */
  audit: (entry: AuditEntry) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Buckets or repositories empty-and-retry may still empty in this run (shared by every stack). */
  repairsLeft: { count: number };
  /** Records a failed call as a run error and returns it (see `ExecutorDeps.onError`). */
  fail: (error: unknown, where: FailureSite) => RunError;
}

/** Where a failed call of the executor happened, and what it cost (always said here). */
export interface FailureSite extends BaseSite {
  /** The stacks it concerned. */
  stacks: string[];
  effect: NonNullable<RunError['effect']>;
}

/** Appends one audit line: the run id, then one of the events of `AUDIT_EVENTS`. */
export function writeAudit(
  deps: Pick<ExecutorDeps, 'auditLog'>,
  runId: string,
  entry: AuditEntry,
): Promise<void> {
  return deps.auditLog.append({ runId, ...entry });
}

/** Saves state one save after the other (steps run concurrently; the state is written whole). */
export function serialSaver(saveState: () => Promise<void>): () => Promise<void> {
  let saving: Promise<void> = Promise.resolve();
  return () => {
    saving = saving.then(saveState, saveState);
    return saving;
  };
}

/** Records a failed call: logged, handed to the run's errors, and returned. */
export function failureRecorder(
  deps: Pick<ExecutorDeps, 'logger' | 'onError'>,
): (error: unknown, where: FailureSite) => RunError {
  return (error, where) => {
    const e = runErrorOf(error, where);
    deps.logger.error(
      { what: where.what, code: e.code, operation: e.operation, stacks: where.stacks, err: error },
      'a call failed: the run is degraded',
    );
    deps.onError?.(e);
    return e;
  };
}

/** The shared context of one `--apply` execution. */
export function executionContext(deps: ExecutorDeps, options: ExecutorOptions): ExecutionContext {
  return {
    deps,
    options,
    save: serialSaver(deps.saveState),
    audit: (entry) => writeAudit(deps, options.runId, entry),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    now: deps.now ?? (() => Date.now()),
    repairsLeft: { count: Math.max(0, options.maxRepairs) },
    fail: failureRecorder(deps),
  };
}
