import type { StackFacts } from '../../src/core/model.js';
import type { RunResult } from '../../src/core/run-result.js';
import type { ExecutorDeps } from '../../src/executor/executor.js';
import { silentLogger } from '../../src/log/logger.js';
import { emptyState } from '../../src/state/state.js';
import { ago, NOW, snapshot } from './fixtures.js';

/**
 * Fakes of every AWS and GitLab method the executor can reach, wrapped so that each call, read or
 * write, is recorded: "no call at all" is then proven, not assumed.
 */
export function recorders() {
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
    inspectLeftover: async () => ({ exists: false, tags: {} }),
    deleteBucket: async () => undefined,
    deleteRepository: async () => undefined,
    deleteLogGroup: async () => undefined,
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

export function runOf(
  statuses: ('due' | 'waiting' | 'keep' | 'flag' | 'braked')[],
  brake = false,
): RunResult {
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

export const options = {
  runId: 'run-1',
  concurrency: 2,
  deleteTimeoutMs: 1000,
  onDeleteFailed: 'report' as const,
  deleteEnvironments: true,
  mergeRequestNotes: true,
  mergeRequestNotices: false,
  keepLabels: ['env-reaper::keep'],
  unusedWindowDays: 14,
  teardown: 'delete-stack' as const,
  teardownProjects: {},
  stopJobTimeoutMs: 900_000,
  maxRepairs: 0,
  poll: { minMs: 1, maxMs: 15_000 },
};

export function deps(r: ReturnType<typeof recorders>): ExecutorDeps {
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
