import pino from 'pino';
import type { AccountTarget } from '../../src/aws/ports.js';
import type { EnvironmentFacts, MergeRequestFacts, StackFacts, Verdict } from '../../src/core/model.js';
import type { EnvironmentRecord, RunError, RunResult } from '../../src/core/run-result.js';
import { auditLineSchema } from '../../src/executor/audit-events.js';
import type { ExecutorDeps, ExecutorOptions, Recheck } from '../../src/executor/executor.js';
import { type DeletionPhase, deletionPhase, mayFollow } from '../../src/executor/lifecycle.js';
import type { EnvironmentState } from '../../src/gitlab/ports.js';
import { emptyState, type State } from '../../src/state/state.js';
import { options as baseOptions } from './executor-fakes.js';
import { env, mr, NOW, project, snapshot } from './fixtures.js';

/**
 * A small scriptable world for the executor's unit tests: stacks whose status moves along a script
 * after DeleteStack, GitLab environments and MR notes, and a record of everything the executor did:
 * every call with its arguments, every audit entry, every log line, every state save and every run
 * error. Tests assert on these whole, so a changed code, message, field or order fails them.
 */

/** One stack of the world. */
export interface WorldStack {
  facts: StackFacts;
  /** Statuses `describeStack` answers after each DeleteStack, one per poll; the last one repeats. */
  afterDelete: string[];
  /** Statuses after a retry DeleteStack (empty-and-retry, retain, force). */
  afterRetry?: string[];
  deletes: number;
  polls: number;
  failedResources?: { logicalId: string; type: string; reason: string; physicalId?: string }[];
}

/** A recorded call. */
export interface Call {
  method: string;
  args: unknown[];
}

export function executorWorld() {
  const stacks = new Map<string, WorldStack>();
  const environments = new Map<string, EnvironmentState>();
  const notes = new Map<string, string[]>();
  const calls: Call[] = [];
  const audit: Record<string, unknown>[] = [];
  const logs: Record<string, unknown>[] = [];
  const errors: RunError[] = [];
  const failures = new Map<string, unknown>();
  /** Exports of the region (name → exporting stack id) and who imports each (export name → stack names). */
  const exports = new Map<string, string>();
  const imports = new Map<string, string[]>();
  const state: State = emptyState();
  let saves = 0;
  /** Each deletion's phases, in the order the saves showed them. */
  const phases = new Map<string, DeletionPhase[]>();
  /** Every wait the executor asked for, in ms (its backoff). */
  const sleeps: number[] = [];
  let clock = NOW;
  let recheck: (record: EnvironmentRecord, fresh: StackFacts) => Promise<Recheck> = async (record) => ({
    verdict: record.classification.verdict,
    status: 'due',
    reasons: record.classification.reasons,
  });

  const called = (method: string, ...args: unknown[]) => {
    calls.push({ method, args });
    const failure = failures.get(method);
    if (failure !== undefined) throw failure;
  };
  const statusOf = (s: WorldStack): string => {
    const script = s.deletes > 1 && s.afterRetry ? s.afterRetry : s.afterDelete;
    const i = Math.min(s.polls, script.length - 1);
    s.polls++;
    return script[i] as string;
  };
  const aws: ExecutorDeps['aws'] = {
    async callerAccount(target: AccountTarget) {
      called('callerAccount', target.id);
      return target.id ?? '111111111111';
    },
    async describeStack(_t, region, stackId) {
      called('describeStack', region, stackId);
      const s = stacks.get(stackId);
      if (!s) return null;
      if (s.deletes === 0) return s.facts;
      const status = statusOf(s);
      return status === 'GONE' ? null : { ...s.facts, status };
    },
    async listExports(_t, region) {
      called('listExports', region);
      return [...exports].map(([name, exportingStackId]) => ({ name, exportingStackId }));
    },
    async listImports(_t, region, name) {
      called('listImports', region, name);
      return imports.get(name) ?? [];
    },
    async deleteStack(_t, region, stackId, options) {
      called('deleteStack', region, stackId, options);
      const s = stacks.get(stackId);
      if (s) {
        s.deletes++;
        s.polls = 0;
      }
    },
    async failedResources(_t, region, stackId) {
      called('failedResources', region, stackId);
      return (stacks.get(stackId)?.failedResources ?? []).map(({ logicalId, type, reason }) => ({
        logicalId,
        type,
        reason,
      }));
    },
    async stackResources(_t, region, stackId) {
      called('stackResources', region, stackId);
      return (stacks.get(stackId)?.failedResources ?? []).map((r) => ({
        logicalId: r.logicalId,
        type: r.type,
        physicalId: r.physicalId ?? r.logicalId.toLowerCase(),
        status: 'DELETE_FAILED',
      }));
    },
    async emptyBucket(_t, region, bucket) {
      called('emptyBucket', region, bucket);
      return { removed: 3, deleteMarkers: 1, bytes: 300, errors: [] };
    },
    async emptyRepository(_t, region, repository) {
      called('emptyRepository', region, repository);
      return { removed: 2, deleteMarkers: 0, bytes: 200, errors: [] };
    },
    async inspectLeftover(_t, region, arn) {
      called('inspectLeftover', region, arn);
      return { exists: false, tags: {} };
    },
    async deleteBucket(_t, region, bucket) {
      called('deleteBucket', region, bucket);
    },
    async deleteRepository(_t, region, repository) {
      called('deleteRepository', region, repository);
    },
    async deleteLogGroup(_t, region, group) {
      called('deleteLogGroup', region, group);
    },
  };
  const gitlab: ExecutorDeps['gitlab'] = {
    async environmentState(projectId, environmentId) {
      called('environmentState', projectId, environmentId);
      return environments.get(`${projectId}/${environmentId}`) ?? null;
    },
    async stopEnvironment(projectId, environmentId, options = { force: true }) {
      called('stopEnvironment', projectId, environmentId, options);
      const key = `${projectId}/${environmentId}`;
      const next = options.force ? 'stopped' : 'stopping';
      environments.set(key, environments.get(key) === 'available' ? next : 'stopped');
      return environments.get(key) ?? 'stopped';
    },
    async deleteEnvironment(projectId, environmentId) {
      called('deleteEnvironment', projectId, environmentId);
      environments.delete(`${projectId}/${environmentId}`);
    },
    async mergeRequestNoteBodies(projectId, mrIid) {
      called('mergeRequestNoteBodies', projectId, mrIid);
      return notes.get(`${projectId}!${mrIid}`) ?? [];
    },
    async createMergeRequestNote(projectId, mrIid, body) {
      called('createMergeRequestNote', projectId, mrIid, body);
      notes.set(`${projectId}!${mrIid}`, [...(notes.get(`${projectId}!${mrIid}`) ?? []), body]);
    },
    async findIssue(projectId, label) {
      called('findIssue', projectId, label);
      return null;
    },
    async createIssue(projectId, title, body, label) {
      called('createIssue', projectId, title, body, label);
      return 7;
    },
    async updateIssue(projectId, iid, body) {
      called('updateIssue', projectId, iid, body);
    },
  };
  const logger = pino(
    { level: 'debug', base: undefined, timestamp: false },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );

  const world = {
    stacks,
    exports,
    imports,
    sleeps,
    environments,
    notes,
    calls,
    audit,
    phases,
    logs,
    errors,
    state,
    get saves() {
      return saves;
    },
    /** Makes every call of `method` throw `error` from now on. */
    failOn(method: string, error: unknown = Object.assign(new Error(`${method} refused`), { name: 'Boom' })) {
      failures.set(method, error);
    },
    heal(method: string) {
      failures.delete(method);
    },
    setRecheck(fn: typeof recheck) {
      recheck = fn;
    },
    advance(ms: number) {
      clock += ms;
    },
    /** The methods called, in order (`describeStack` polls included). */
    methods: () => calls.map((c) => c.method),
    /** The writes made, in order. */
    writes: () =>
      calls
        .map((c) => c.method)
        .filter((m) =>
          [
            'deleteStack',
            'emptyBucket',
            'emptyRepository',
            'deleteBucket',
            'deleteRepository',
            'deleteLogGroup',
            'stopEnvironment',
            'deleteEnvironment',
            'createMergeRequestNote',
            'createIssue',
            'updateIssue',
          ].includes(m),
        ),
    /** Log messages at or above `level` (pino numbers: 30 info, 40 warn, 50 error). */
    messages: (level = 30) => logs.filter((l) => (l.level as number) >= level).map((l) => l.msg),
    events: () => audit.map((a) => a.event),
    /** The log lines, an error field reduced to its type (a stack trace names files and lines). */
    logLines: () =>
      logs.map(({ err, ...line }) =>
        err === undefined ? line : { ...line, err: (err as { type?: string }).type },
      ),
    deps(over: Partial<ExecutorDeps> = {}): ExecutorDeps {
      return {
        aws,
        gitlab,
        logger,
        // Every line checked against the audit log's table (src/executor/audit-events.ts) as it is written.
        auditLog: {
          append: async (entry: Record<string, unknown>) => {
            auditLineSchema.parse(entry);
            audit.push(entry);
          },
        } as never,
        state,
        // Every saved change of a deletion must be a transition of its lifecycle (src/executor/lifecycle.ts).
        saveState: async () => {
          saves++;
          for (const [id, s] of Object.entries(state.stacks)) {
            if (!s.deletion) continue;
            const now = deletionPhase(s.deletion);
            const seen = phases.get(id) ?? [];
            const last = seen.at(-1);
            if (last !== undefined && !mayFollow(last, now))
              throw new Error(
                `deletion of ${id} went from ${last} to ${now}: not a transition of its lifecycle`,
              );
            if (last !== now) phases.set(id, [...seen, now]);
          }
        },
        recheck: (record, fresh) => recheck(record, fresh),
        targetOf: (account) => ({ id: account, regions: ['eu-west-1'] }),
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
        now: () => clock,
        onError: (e) => errors.push(e),
        ...over,
      };
    },
  };
  return world;
}

/** Executor options for these tests: apply, no environment deletion, fast polls. */
export function applyOptions(over: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return { ...baseOptions, apply: true, deleteTimeoutMs: 60_000, ...over };
}

/** One environment record of a run, with an optional GitLab environment and MR. */
export function record(
  name: string,
  over: {
    status?: 'due' | 'waiting' | 'keep';
    verdict?: Verdict;
    environment?: EnvironmentFacts;
    mr?: MergeRequestFacts;
    account?: string;
    deleteAfter?: string;
  } = {},
): EnvironmentRecord {
  const account = over.account ?? '111111111111';
  const s = snapshot({
    stack: {
      name,
      account,
      stackId: `arn:aws:cloudformation:eu-west-1:${account}:stack/${name}/x`,
      createdAt: new Date(NOW - 48 * 3_600_000).toISOString(),
    },
    gitlab: {
      project: { ok: true, value: project },
      ...(over.environment ? { environment: { ok: true, value: over.environment } } : {}),
      mergeRequests: { ok: true, value: over.mr ? [over.mr] : [] },
    },
  });
  const verdict = over.verdict ?? 'merged';
  const status = over.status ?? 'due';
  return {
    stack: s.stack,
    owner: { matchedBy: 'tags', projectId: 101, projectPath: 'acme/shop', ref: 'feature/x' },
    evidence: s.gitlab,
    classification: {
      stackId: s.stack.stackId,
      verdict,
      reasons: [{ code: 'MR_MERGED', detail: `!${over.mr?.iid ?? 1} from feature/x merged` }],
    },
    plan: {
      stackId: s.stack.stackId,
      verdict,
      action: status === 'keep' ? 'keep' : 'delete',
      status,
      ...(over.deleteAfter ? { deleteAfter: over.deleteAfter } : {}),
    },
  };
}

/** A run of these records (no brake unless asked). */
export function runWith(records: EnvironmentRecord[], brake = false): RunResult {
  return {
    runId: 'run-1',
    generatedAt: new Date(NOW).toISOString(),
    now: NOW,
    mode: 'apply',
    scanned: [],
    stacksScanned: records.length,
    nested: 0,
    unmanaged: [],
    environments: records,
    plan: {
      items: records.map((r) => r.plan),
      due: records.filter((r) => r.plan.status === 'due').length,
      brake: brake ? { kind: 'max-deletions', due: 1, inScope: 1, limit: 0 } : null,
    },
    errors: [],
  };
}

/** Adds the record's stack to the world, with the statuses it goes through once deleted. */
export function addStack(
  world: ReturnType<typeof executorWorld>,
  r: EnvironmentRecord,
  afterDelete: string[] = ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'],
  more: Partial<WorldStack> = {},
): WorldStack {
  const s: WorldStack = { facts: r.stack, afterDelete, deletes: 0, polls: 0, ...more };
  world.stacks.set(r.stack.stackId, s);
  return s;
}

/** A due stack of acme/shop with its environment (id 5) and merged MR !12: most scenarios start here. */
export function shopRecord(name: string, over: Parameters<typeof record>[1] = {}): EnvironmentRecord {
  return record(name, {
    environment: env({ id: 5, name: `review/${name}` }),
    mr: mr(12, 'feature/x', { state: 'merged' }),
    ...over,
  });
}

/**
 * Deps whose environment stop also ends the on_stop job at once, leaving the environment in `after`
 * (`stopped`: the job finished; `available`: it failed) and the stack in place.
 */
export function jobEndsWith(world: ReturnType<typeof executorWorld>, after: EnvironmentState): ExecutorDeps {
  const deps = world.deps();
  const stop = deps.gitlab.stopEnvironment;
  deps.gitlab = {
    ...deps.gitlab,
    stopEnvironment: async (projectId, environmentId, options) => {
      const state = await stop(projectId, environmentId, options);
      world.environments.set(`${projectId}/${environmentId}`, after);
      return state;
    },
  };
  return deps;
}
