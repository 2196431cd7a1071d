import { defaultConfig, policyFromConfig } from '../../src/config/load.js';
import type {
  BranchFacts,
  EnvironmentFacts,
  Evidence,
  GitLabEvidence,
  MergeRequestFacts,
  Owner,
  ProjectFacts,
  StackFacts,
  StackSnapshot,
} from '../../src/core/model.js';
import type { Policy } from '../../src/core/policy.js';
import type { RunResult } from '../../src/core/run-result.js';
import type { ResourceUsage, UsageReading } from '../../src/core/usage.js';

/** A fixed clock for table tests. */
export const NOW = Date.parse('2026-11-28T12:00:00Z');

/** ISO time `hours` before NOW. */
export function ago(hours: number): string {
  return new Date(NOW - hours * 3_600_000).toISOString();
}

/** The default policy, as the default config gives it. */
export function defaultPolicy(): Policy {
  return policyFromConfig(defaultConfig());
}

export function stack(over: Partial<StackFacts> = {}): StackFacts {
  const name = over.name ?? 'review-shop-feature-x';
  return {
    account: '111111111111',
    region: 'eu-west-1',
    stackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/0000`,
    name,
    status: 'CREATE_COMPLETE',
    createdAt: ago(24 * 3),
    tags: { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/x' },
    terminationProtection: false,
    ...over,
  };
}

export const project: ProjectFacts = { id: 101, path: 'acme/shop', defaultBranch: 'main', archived: false };

export function branch(name: string, over: Partial<BranchFacts> = {}): BranchFacts {
  return { name, protected: false, default: false, committedAt: ago(2), ...over };
}

export function mr(
  iid: number,
  sourceBranch: string,
  over: Partial<MergeRequestFacts> = {},
): MergeRequestFacts {
  return { iid, sourceBranch, state: 'opened', updatedAt: ago(2), ...over };
}

export function env(over: Partial<EnvironmentFacts> = {}): EnvironmentFacts {
  return { id: 1, name: 'review/feature-x', state: 'available', tier: 'development', ...over };
}

/** A snapshot with complete, healthy GitLab evidence unless overridden. */
export function snapshot(
  over: { stack?: Partial<StackFacts>; owner?: Owner | undefined; gitlab?: Partial<GitLabEvidence> } = {},
): StackSnapshot {
  const owner: Owner | undefined =
    'owner' in over ? over.owner : { matchedBy: 'tags', projectId: 101, ref: 'feature/x' };
  return {
    stack: stack(over.stack),
    ...(owner ? { owner } : {}),
    gitlab: {
      project: { ok: true, value: project },
      branches: {
        ok: true,
        value: [branch('main', { default: true, protected: true }), branch('feature/x')],
      },
      mergeRequests: { ok: true, value: [] },
      ...over.gitlab,
    },
  };
}

/** A run that found nothing (a report's skeleton): tests add the errors or parts they need. */
export function emptyRun(over: Partial<RunResult> = {}): RunResult {
  return {
    runId: 'r',
    generatedAt: '2026-12-01T00:00:00.000Z',
    now: 0,
    mode: 'apply',
    scanned: [],
    stacksScanned: 0,
    nested: 0,
    unmanaged: [],
    environments: [],
    plan: { items: [], due: 0, brake: null },
    errors: [],
    ...over,
  };
}

/**
 * A usage reading taken at NOW of `days` days up to today, one entry per resource: its kind and
 * requests per day (oldest first; shorter arrays are padded with silent days in front).
 */
export function usage(
  resources: { kind: ResourceUsage['kind']; arn?: string; daily?: number[]; complete?: boolean }[],
  days = 28,
): Evidence<UsageReading> {
  const DAY = 86_400_000;
  const today = Math.floor(NOW / DAY) * DAY;
  return {
    ok: true,
    value: {
      readAt: new Date(NOW).toISOString(),
      from: new Date(today - (days - 1) * DAY).toISOString(),
      days,
      resources: resources.map((r, i) => {
        const daily = r.daily ?? [];
        return {
          arn:
            r.arn ??
            `arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/review-${i}/0f${i}`,
          kind: r.kind,
          daily: ['ec2-instance', 'ecs-service', 'gwlb', 'appsync', 'other'].includes(r.kind)
            ? []
            : [...Array.from({ length: Math.max(0, days - daily.length) }, () => 0), ...daily],
          complete: r.complete ?? true,
        };
      }),
      metrics: resources.length,
    },
  };
}
