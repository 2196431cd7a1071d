import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ago, NOW, snapshot } from '../../test/helpers/fixtures.js';
import type { StackFacts } from '../core/model.js';
import type { RunResult } from '../core/run-result.js';
import { silentLogger } from '../log/logger.js';
import { emptyState } from '../state/state.js';
import { type ExecutorDeps, execute, requestToken } from './executor.js';
import { noteMarker } from './notes.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

/**
 * Fakes of every AWS and GitLab method the executor can reach, wrapped so that each call, read or
 * write, is recorded: "no call at all" is then proven, not assumed.
 */
function recorders() {
  const calls: string[] = [];
  const record = <T extends object>(impl: T): T => {
    for (const [name, fn] of Object.entries(impl) as [string, (...a: unknown[]) => unknown][])
      (impl as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(name);
        return fn(...args);
      };
    return impl;
  };
  const aws: ExecutorDeps['aws'] = record({
    callerAccount: async () => '111111111111',
    describeStack: async (): Promise<StackFacts | null> => null,
    listExports: async () => [],
    listImports: async () => [],
    deleteStack: async () => undefined,
    failedResources: async () => [],
    stackResources: async () => [],
    emptyBucket: async () => ({ removed: 0, deleteMarkers: 0, bytes: 0, errors: [] }),
    emptyRepository: async () => ({ removed: 0, deleteMarkers: 0, bytes: 0, errors: [] }),
  });
  const gitlab: ExecutorDeps['gitlab'] = record({
    environmentState: async () => 'stopped',
    stopEnvironment: async () => 'stopped',
    deleteEnvironment: async () => undefined,
    mergeRequestNoteBodies: async () => [],
    createMergeRequestNote: async () => undefined,
    findIssue: async () => null,
    createIssue: async () => 1,
    updateIssue: async () => undefined,
  });
  return { calls, aws, gitlab };
}

function runOf(statuses: ('due' | 'waiting' | 'keep' | 'flag' | 'braked')[], brake = false): RunResult {
  const environments = statuses.map((status, i) => {
    const s = snapshot({
      stack: {
        name: `s-${i}`,
        stackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/s-${i}/x`,
        createdAt: ago(48),
      },
    });
    return {
      stack: s.stack,
      owner: s.owner ?? { matchedBy: 'tags' as const },
      evidence: s.gitlab,
      classification: { stackId: s.stack.stackId, verdict: 'merged' as const, reasons: [] },
      plan: { stackId: s.stack.stackId, verdict: 'merged' as const, action: 'delete' as const, status },
    };
  });
  return {
    runId: 'run-1',
    generatedAt: new Date(NOW).toISOString(),
    now: NOW,
    mode: 'dry-run',
    scanned: [],
    stacksScanned: statuses.length,
    nested: 0,
    unmanaged: [],
    environments,
    plan: {
      items: environments.map((e) => e.plan),
      due: brake ? 0 : statuses.filter((x) => x === 'due').length,
      brake: brake ? { kind: 'max-deletions', due: 1, inScope: 1, limit: 0 } : null,
    },
    errors: [],
  };
}

const options = {
  runId: 'run-1',
  concurrency: 2,
  deleteTimeoutMs: 1000,
  onDeleteFailed: 'report' as const,
  deleteEnvironments: true,
  mergeRequestNotes: true,
  pollMinMs: 1,
};

function deps(r: ReturnType<typeof recorders>) {
  return {
    aws: r.aws,
    gitlab: r.gitlab,
    logger: silentLogger(),
    auditLog: { append: async () => undefined } as never,
    state: emptyState(),
    saveState: async () => undefined,
    recheck: async () => ({ verdict: 'merged' as const, status: 'due' as const, reasons: [] }),
    targetOf: (account: string) => ({ id: account, regions: ['eu-west-1'] }),
    sleep: async () => undefined,
  };
}

describe('executor', () => {
  it('dry-run makes no call at all to AWS or GitLab, whatever the plan (property)', async () => {
    const status = fc.constantFrom('due', 'waiting', 'keep', 'flag', 'braked') as fc.Arbitrary<
      'due' | 'waiting' | 'keep' | 'flag' | 'braked'
    >;
    await fc.assert(
      fc.asyncProperty(fc.array(status, { maxLength: 20 }), fc.boolean(), async (statuses, brake) => {
        const r = recorders();
        const out = await execute(runOf(statuses, brake), deps(r), { ...options, apply: false });
        expect(r.calls).toEqual([]);
        expect(out.size).toBe(0);
      }),
      { numRuns },
    );
  });

  it('a braked plan makes no call even with apply', async () => {
    const r = recorders();
    await execute(runOf(['due', 'due'], true), deps(r), { ...options, apply: true });
    expect(r.calls).toEqual([]);
  });

  it('deletes only due stacks, never waiting/keep/flag ones', async () => {
    const r = recorders();
    const deleted: string[] = [];
    r.aws.describeStack = async (_t, _r, id) => {
      const s = snapshot().stack;
      return deleted.includes(id) ? null : { ...s, stackId: id, createdAt: ago(48) };
    };
    r.aws.deleteStack = async (_t, _r, id) => {
      deleted.push(id);
    };
    const run = runOf(['due', 'waiting', 'keep', 'flag', 'due']);
    const out = await execute(run, deps(r), { ...options, apply: true });
    expect(deleted.map((id) => id.split('/')[1])).toEqual(['s-0', 's-4']);
    expect([...out.values()].map((o) => o.result)).toEqual(['deleted', 'deleted']);
  });

  it('builds valid, run-scoped ClientRequestTokens and stable note markers', () => {
    const token = requestToken('20261128T120000Z-abc123', 'arn:aws:cloudformation:eu-west-1:1:stack/x/y');
    expect(token).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/);
    expect(token.length).toBeLessThanOrEqual(128);
    expect(requestToken('r', 'a')).not.toBe(requestToken('r', 'b'));
    expect(noteMarker('arn:x')).toBe('<!-- env-reaper:deleted arn:x -->');
  });
});
