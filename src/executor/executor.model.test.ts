import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { options } from '../../test/helpers/executor-fakes.js';
import { ago, NOW, snapshot } from '../../test/helpers/fixtures.js';
import type { StackFacts } from '../core/model.js';
import type { EnvironmentRecord, RunError, RunResult } from '../core/run-result.js';
import { silentLogger } from '../log/logger.js';
import { emptyState, type State } from '../state/state.js';
import { type ExecutorDeps, execute } from './executor.js';
import { noteMarker } from './notes.js';

/**
 * Model-based test of the executor and its state (fast-check `commands`): random sequences of runs,
 * runs killed at any call (before or after that call took effect), MRs reopened, keep labels added and
 * stacks changed between plan and delete, against a model of what must always hold:
 * - no stack gets a second DeleteStack, and none that was alive when the call was made gets one;
 * - each stack gets at most one "deleted" note, and exactly one once its deletion finished;
 * - the state on disk is always valid JSON with well-formed deletion records;
 * - after the commands, two clean runs finish every dead stack (converge).
 */

const numRuns = Number(process.env.FC_NUM_RUNS ?? 100);
const STACKS = 4;

class Killed extends Error {}

interface WorldStack {
  id: string;
  name: string;
  status: 'CREATE_COMPLETE' | 'DELETE_IN_PROGRESS' | 'DELETE_COMPLETE';
  dead: boolean;
  labelled: boolean;
  updatedAt: string;
  deleteCalls: number;
}

interface World {
  stacks: WorldStack[];
  notes: Map<number, string[]>;
  disk: string;
  violations: string[];
  /** Dep calls left before the process dies (undefined: it does not die). */
  killIn: number | undefined;
  killAfterEffect: boolean;
  killed: boolean;
  runs: number;
  /** A change AWS will show when the stack is re-read, made after this run's plan. */
  changeAfterPlan: string | undefined;
  /** Something a person does in GitLab after this run's plan and before its deletions. */
  afterPlan: (() => void) | undefined;
  /** An AWS or GitLab method that fails on every call of this run (denied, down), and how often it did. */
  failing: string | undefined;
  failHits: number;
}

const mrOfIndex = (i: number) => 10 + i;

function newWorld(): World {
  return {
    stacks: Array.from({ length: STACKS }, (_, i) => ({
      id: `arn:aws:cloudformation:eu-west-1:111111111111:stack/s-${i}/x`,
      name: `s-${i}`,
      status: 'CREATE_COMPLETE',
      dead: true,
      labelled: false,
      updatedAt: ago(48),
      deleteCalls: 0,
    })),
    notes: new Map(),
    disk: JSON.stringify(emptyState()),
    violations: [],
    killIn: undefined,
    killAfterEffect: false,
    killed: false,
    runs: 0,
    changeAfterPlan: undefined,
    afterPlan: undefined,
    failing: undefined,
    failHits: 0,
  };
}

const alive = (s: WorldStack) => !s.dead || s.labelled;

/** Every call into the outside world passes here: the process may die before or after its effect. */
async function call<T>(w: World, effect: () => T): Promise<T> {
  if (w.killed) throw new Killed('process is dead');
  if (w.killIn !== undefined && w.killIn-- <= 0) {
    w.killed = true;
    if (w.killAfterEffect) effect();
    throw new Killed('SIGKILL');
  }
  return effect();
}

function facts(s: WorldStack): StackFacts {
  return {
    account: '111111111111',
    region: 'eu-west-1',
    stackId: s.id,
    name: s.name,
    status: s.status,
    createdAt: ago(72),
    updatedAt: s.updatedAt,
    tags: {},
    terminationProtection: false,
  };
}

/** Makes the method `w.failing` of an AWS or GitLab side fail on every call, as a denied or 5xx call does. */
function failable<T extends object>(w: World, impl: T): T {
  for (const [name, fn] of Object.entries(impl) as [string, (...a: unknown[]) => unknown][])
    (impl as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      if (w.failing === name && !w.killed) {
        w.failHits++;
        throw Object.assign(new Error(`${name}: injected failure`), {
          name: 'ServiceUnavailable',
          envReaperOperation: name,
        });
      }
      return fn(...args);
    };
  return impl;
}

/** The methods a failing run may fail: every AWS and GitLab call this executor makes. */
const FAILABLE = [
  'callerAccount',
  'describeStack',
  'listExports',
  'listImports',
  'deleteStack',
  'stopEnvironment',
  'mergeRequestNoteBodies',
  'createMergeRequestNote',
] as const;

/** The safety checks: while one fails, nothing may be deleted. */
const CHECKS = new Set<string>(['callerAccount', 'describeStack', 'listExports']);

function writers(w: World): Pick<ExecutorDeps, 'aws' | 'gitlab'> {
  const sides = rawWriters(w);
  return { aws: failable(w, sides.aws), gitlab: failable(w, sides.gitlab) };
}

function rawWriters(w: World): Pick<ExecutorDeps, 'aws' | 'gitlab'> {
  const byId = (id: string) => w.stacks.find((s) => s.id === id) as WorldStack;
  return {
    aws: {
      callerAccount: () => call(w, () => '111111111111'),
      describeStack: (_t, _r, id) =>
        call(w, () => {
          const s = byId(id);
          // CloudFormation moves on: a deletion in progress completes by the next read.
          const seen = facts(s);
          if (s.status === 'DELETE_IN_PROGRESS') s.status = 'DELETE_COMPLETE';
          return seen;
        }),
      listExports: () => call(w, () => []),
      listImports: () => call(w, () => []),
      deleteStack: (_t, _r, id) =>
        call(w, () => {
          const s = byId(id);
          s.deleteCalls++;
          if (s.deleteCalls > 1) w.violations.push(`second DeleteStack for ${s.name}`);
          if (alive(s)) w.violations.push(`DeleteStack for ${s.name} while it was alive`);
          if (s.status === 'CREATE_COMPLETE') s.status = 'DELETE_IN_PROGRESS';
        }),
      failedResources: () => call(w, () => []),
      stackResources: () => call(w, () => []),
      emptyBucket: () => call(w, () => ({ removed: 0, deleteMarkers: 0, bytes: 0, errors: [] })),
      emptyRepository: () => call(w, () => ({ removed: 0, deleteMarkers: 0, bytes: 0, errors: [] })),
      inspectLeftover: () => call(w, () => ({ exists: false, tags: {} })),
      deleteBucket: () => call(w, () => void w.violations.push('DeleteBucket from the stack executor')),
      deleteRepository: () =>
        call(w, () => void w.violations.push('DeleteRepository from the stack executor')),
      deleteLogGroup: () => call(w, () => void w.violations.push('DeleteLogGroup from the stack executor')),
    },
    gitlab: {
      environmentState: () => call(w, () => 'stopped'),
      stopEnvironment: () => call(w, () => 'stopped'),
      deleteEnvironment: () => call(w, () => undefined),
      mergeRequestNoteBodies: (_p, iid) => call(w, () => [...(w.notes.get(iid) ?? [])].reverse()),
      createMergeRequestNote: (_p, iid, body) =>
        call(w, () => {
          w.notes.set(iid, [...(w.notes.get(iid) ?? []), body]);
        }),
      findIssue: () => call(w, () => null),
      createIssue: () => call(w, () => 1),
      updateIssue: () => call(w, () => undefined),
    },
  };
}

/** What audit + plan would hand the executor now: every live-looking dead stack is due. */
function runOf(w: World): RunResult {
  const environments: EnvironmentRecord[] = w.stacks
    .filter((s) => s.status !== 'DELETE_COMPLETE')
    .map((s, i) => {
      const base = snapshot({ stack: facts(s) });
      const index = Number(s.name.slice(2));
      const status = s.status === 'DELETE_IN_PROGRESS' || alive(s) ? 'keep' : 'due';
      return {
        stack: base.stack,
        owner: { matchedBy: 'tags', projectId: 101, ref: 'feature/x', mrIid: mrOfIndex(index) },
        evidence: {
          ...base.gitlab,
          environment: { ok: true, value: { id: i + 1, name: `review/${s.name}`, state: 'available' } },
        },
        classification: { stackId: s.id, verdict: 'merged', reasons: [] },
        plan: { stackId: s.id, verdict: 'merged', action: 'delete', status },
      } as EnvironmentRecord;
    });
  return {
    runId: `run-${w.runs}`,
    generatedAt: new Date(NOW).toISOString(),
    now: NOW,
    mode: 'apply',
    scanned: [],
    stacksScanned: environments.length,
    nested: 0,
    unmanaged: [],
    environments,
    plan: {
      items: environments.map((e) => e.plan),
      due: environments.filter((e) => e.plan.status === 'due').length,
      brake: null,
    },
    errors: [],
  };
}

/**
 * One process: load state from disk, execute, save to disk after each write (unless it died). Returns
 * the errors the run reported (`onError`).
 */
async function runProcess(w: World, kill?: { at: number; afterEffect: boolean }): Promise<RunError[]> {
  const errors: RunError[] = [];
  w.runs++;
  w.killed = false;
  w.killIn = kill?.at;
  w.killAfterEffect = kill?.afterEffect ?? false;
  const run = runOf(w);
  if (w.changeAfterPlan) {
    const s = w.stacks.find((x) => x.name === w.changeAfterPlan);
    if (s && s.status === 'CREATE_COMPLETE') s.updatedAt = new Date(NOW - 60_000 + w.runs).toISOString();
    w.changeAfterPlan = undefined;
  }
  w.afterPlan?.();
  w.afterPlan = undefined;
  const state = JSON.parse(w.disk) as State;
  const { aws, gitlab } = writers(w);
  await execute(
    run,
    {
      aws,
      gitlab,
      logger: silentLogger(),
      auditLog: { append: () => call(w, () => undefined) } as never,
      state,
      saveState: () =>
        call(w, () => {
          w.disk = JSON.stringify(state);
        }),
      recheck: async (record) => {
        const s = w.stacks.find((x) => x.id === record.stack.stackId) as WorldStack;
        return alive(s)
          ? { verdict: 'active', status: 'keep', reasons: [] }
          : { verdict: 'merged', status: 'due', reasons: [] };
      },
      targetOf: (account) => ({ id: account, regions: ['eu-west-1'] }),
      sleep: async () => undefined,
      now: () => NOW,
      onError: (e) => errors.push(e),
    },
    {
      ...options,
      apply: true,
      runId: `run-${w.runs}`,
      deleteTimeoutMs: 60_000,
      deleteEnvironments: false,
    },
  ).catch((error: unknown) => {
    if (!(error instanceof Killed)) throw error;
  });
  w.killIn = undefined;
  w.killed = false;
  return errors;
}

function checkInvariants(w: World): void {
  expect(w.violations).toEqual([]);
  for (const s of w.stacks) {
    const notes = (w.notes.get(mrOfIndex(Number(s.name.slice(2)))) ?? []).filter((b) =>
      b.includes(noteMarker(s.id)),
    );
    expect(notes.length, `notes for ${s.name}`).toBeLessThanOrEqual(1);
  }
  const state = JSON.parse(w.disk) as State;
  for (const st of Object.values(state.stacks)) {
    if (st.deletion) expect(['started', 'deleted', 'failed']).toContain(st.deletion.status);
  }
}

type Model = { stats: Record<string, number> };
type Real = World;

class Apply implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, w: Real) {
    m.stats.apply = (m.stats.apply ?? 0) + 1;
    await runProcess(w);
    checkInvariants(w);
  }
  toString = () => 'apply';
}

class KilledApply implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly at: number,
    readonly afterEffect: boolean,
  ) {}
  check = () => true;
  async run(m: Model, w: Real) {
    m.stats.killed = (m.stats.killed ?? 0) + 1;
    await runProcess(w, { at: this.at, afterEffect: this.afterEffect });
    checkInvariants(w);
  }
  toString = () => `kill at call ${this.at}${this.afterEffect ? ' (after its effect)' : ''}`;
}

/**
 * A run in which one AWS or GitLab method fails on every call: it must end (never throw), say so
 * (an error for each failed call reached), and delete nothing while a safety check cannot be made.
 */
class FailingApply implements fc.AsyncCommand<Model, Real> {
  constructor(readonly method: (typeof FAILABLE)[number]) {}
  check = () => true;
  async run(m: Model, w: Real) {
    w.failing = this.method;
    w.failHits = 0;
    const before = w.stacks.map((s) => s.deleteCalls);
    const errors = await runProcess(w);
    w.failing = undefined;
    checkInvariants(w);
    if (w.failHits > 0) {
      const key = CHECKS.has(this.method) ? 'failed check' : 'failed call';
      m.stats[key] = (m.stats[key] ?? 0) + 1;
      // Loud: the failed call is an error of the run, named.
      expect(errors.some((e) => e.operation === this.method)).toBe(true);
    }
    if (w.failHits > 0 && CHECKS.has(this.method)) expect(w.stacks.map((s) => s.deleteCalls)).toEqual(before);
  }
  toString = () => `a run in which every ${this.method} fails`;
}

/** A person reopens the MR or labels it "keep": between two runs, or while a run is between plan and delete. */
class Revive implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly i: number,
    readonly how: 'reopen' | 'label',
    readonly duringRun: boolean,
  ) {}
  check = () => true;
  async run(m: Model, w: Real) {
    const key = `${this.how === 'reopen' ? 'reopened' : 'labelled'}${this.duringRun ? ' during a run' : ''}`;
    m.stats[key] = (m.stats[key] ?? 0) + 1;
    const s = w.stacks[this.i] as WorldStack;
    const revive = () => {
      if (this.how === 'reopen') s.dead = false;
      else s.labelled = true;
    };
    if (!this.duringRun) return revive();
    w.afterPlan = revive;
    const before = s.deleteCalls;
    await runProcess(w);
    checkInvariants(w);
    // Re-checked right before deletion: the run that planned it does not delete it.
    expect(s.deleteCalls).toBe(before);
  }
  toString = () => `${this.how} s-${this.i}${this.duringRun ? ' between plan and delete, then a run' : ''}`;
}

class Change implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = () => true;
  async run(m: Model, w: Real) {
    m.stats.changed = (m.stats.changed ?? 0) + 1;
    w.changeAfterPlan = `s-${this.i}`;
    const before = (w.stacks[this.i] as WorldStack).deleteCalls;
    await runProcess(w);
    checkInvariants(w);
    // A stack that changed after the plan is not deleted by that run.
    expect((w.stacks[this.i] as WorldStack).deleteCalls).toBe(before);
  }
  toString = () => `s-${this.i} changes between plan and delete, then a run`;
}

describe('executor and state (model-based)', () => {
  it('random plans, kills, reopened MRs, labels and changed stacks: no double delete, nothing live deleted, one note each, valid state, convergence', async ({
    task,
  }) => {
    const stats: Record<string, number> = {};
    const index = fc.integer({ min: 0, max: STACKS - 1 });
    const commands = fc.commands(
      [
        fc.constant(new Apply()),
        fc
          .tuple(fc.integer({ min: 0, max: 40 }), fc.boolean())
          .map(([at, after]) => new KilledApply(at, after)),
        fc
          .tuple(fc.integer({ min: 0, max: 40 }), fc.boolean())
          .map(([at, after]) => new KilledApply(at, after)),
        fc
          .tuple(index, fc.constantFrom<'reopen' | 'label'>('reopen', 'label'), fc.boolean())
          .map(([i, how, during]) => new Revive(i, how, during)),
        index.map((i) => new Change(i)),
        fc.constantFrom(...FAILABLE).map((method) => new FailingApply(method)),
      ],
      { maxCommands: 12 },
    );
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const w = newWorld();
        const model: Model = { stats };
        await fc.asyncModelRun(() => ({ model, real: w }), cmds);
        // Converge: two clean runs finish whatever is left.
        await runProcess(w);
        await runProcess(w);
        checkInvariants(w);
        for (const s of w.stacks) {
          const notes = (w.notes.get(mrOfIndex(Number(s.name.slice(2)))) ?? []).filter((b) =>
            b.includes(noteMarker(s.id)),
          );
          if (s.deleteCalls > 0) {
            expect(s.status, s.name).toBe('DELETE_COMPLETE');
            expect(notes, `one note once ${s.name} is deleted`).toHaveLength(1);
            stats['deleted stacks'] = (stats['deleted stacks'] ?? 0) + 1;
          } else {
            expect(alive(s), `${s.name} dead but never deleted`).toBe(true);
            expect(notes).toHaveLength(0);
          }
          if (alive(s)) stats['alive stacks'] = (stats['alive stacks'] ?? 0) + 1;
        }
      }),
      { numRuns },
    );
    (task.meta as Record<string, unknown>).coverage = stats;
    // Not vacuous: kills, reopens, labels and changes all happened, and stacks were both deleted and kept.
    for (const k of [
      'killed',
      'reopened',
      'labelled',
      'reopened during a run',
      'labelled during a run',
      'changed',
      'deleted stacks',
      'alive stacks',
    ])
      expect(stats[k] ?? 0, k).toBeGreaterThan(numRuns / 20);
    // A failing run is one command kind of many, and a failing check one method of eight: rarer.
    for (const k of ['failed check', 'failed call']) expect(stats[k] ?? 0, k).toBeGreaterThan(numRuns / 50);
  }, 120_000);
});
