import fc from 'fast-check';
import pino from 'pino';
import type { AwsLeftoverReader, TaggedHit } from '../../src/aws/ports.js';
import { arnType } from '../../src/core/leftovers.js';
import type { RunError, RunResult } from '../../src/core/run-result.js';
import type { LeftoverReapDeps } from '../../src/run/leftover-reap.js';
import type { JsonLinesLog } from '../../src/state/file-store.js';
import { emptyState, type State } from '../../src/state/state.js';

/**
 * A random world of deleted environments and what they left (issue #36), in process: the tagging index
 * and each service's own view of every resource (they may disagree: tags changed, a resource gone, a
 * keep tag added since), GitLab's answer per environment (the branch back, an MR open, a failed read),
 * and the failure modes (MFA delete, an image pulled after the deletion, a call that fails). The fakes
 * record every write, so a test can check each deletion against the world it was made in.
 */

export const NOW = Date.parse('2026-11-28T12:00:00Z');
const DAY = 86_400_000;
const ACCOUNT = '111111111111';

/** One resource of the world. */
export interface WorldResource {
  arn: string;
  env: number;
  /** Tags in the tagging index (what the run finds it by). */
  indexTags: Record<string, string>;
  /** Tags its service has now. */
  tags: Record<string, string>;
  exists: boolean;
  objects: number;
  mfaDelete: boolean;
  pulledAfterDeletion: boolean;
  /** Its deletion call fails. */
  failing: boolean;
}

/** One deleted environment. */
export interface WorldEnv {
  stackId: string;
  deletedDaysAgo: number;
  branchBack: boolean;
  mrOpen: boolean;
  gitlabFails: boolean;
}

export interface LeftoverWorld {
  envs: WorldEnv[];
  resources: WorldResource[];
}

const envTags = (i: number) => ({
  'gitlab:project-id': '1',
  'gitlab:ref': `feature/e${i}`,
  'gitlab:environment': `review/e${i}`,
});

const flag = (oneIn: number) => fc.integer({ min: 1, max: oneIn }).map((n) => n === 1);

const resourceArb = (envCount: number) =>
  fc
    .record({
      env: fc.integer({ min: 0, max: envCount - 1 }),
      kind: fc.constantFrom('bucket', 'bucket', 'repo', 'group', 'queue'),
      name: fc.stringMatching(/^[a-z][a-z0-9-]{2,12}$/),
      tagsChanged: flag(8),
      keep: flag(8),
      gone: flag(10),
      objects: fc.integer({ min: 0, max: 2500 }),
      mfaDelete: flag(8),
      pulled: flag(8),
      failing: flag(6),
    })
    .map((g): WorldResource => {
      const arn =
        g.kind === 'bucket'
          ? `arn:aws:s3:::${g.name}`
          : g.kind === 'repo'
            ? `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${g.name}`
            : g.kind === 'group'
              ? `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/${g.name}`
              : `arn:aws:sqs:eu-west-1:${ACCOUNT}:${g.name}`;
      const indexTags = envTags(g.env);
      const tags: Record<string, string> = g.tagsChanged ? { 'gitlab:project-id': '1' } : { ...indexTags };
      if (g.keep) tags['env-reaper:keep'] = 'true';
      return {
        arn,
        env: g.env,
        indexTags,
        tags,
        exists: !g.gone,
        objects: g.kind === 'bucket' ? g.objects : 0,
        mfaDelete: g.kind === 'bucket' && g.mfaDelete,
        pulledAfterDeletion: g.kind === 'repo' && g.pulled,
        failing: g.failing,
      };
    });

/** A world: 1–4 deleted environments and up to 12 resources they left. */
export const leftoverWorldArb: fc.Arbitrary<LeftoverWorld> = fc
  .integer({ min: 1, max: 4 })
  .chain((n) =>
    fc.record({
      envs: fc.array(
        fc.record({
          deletedDaysAgo: fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: 8, max: 12 }) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) },
          ),
          branchBack: flag(6),
          mrOpen: flag(8),
          gitlabFails: flag(10),
        }),
        { minLength: n, maxLength: n },
      ),
      resources: fc.array(resourceArb(n), { maxLength: 12 }),
    }),
  )
  .map((w) => ({
    envs: w.envs.map((e, i) => ({
      ...e,
      stackId: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/review-e${i}/${i}`,
    })),
    resources: [...new Map(w.resources.map((r) => [r.arn, r])).values()],
  }));

/** A stack's state after env-reaper deleted it at `at` (its deletion record, with the stack's tags). */
export function deletedStack(
  name: string,
  tags: Record<string, string>,
  at: string,
  by: { runId: string; verdict: string },
): State['stacks'][string] {
  return {
    name,
    firstSeen: {},
    lastSeen: at,
    deletion: {
      status: 'deleted',
      runId: by.runId,
      token: 't',
      attempts: 1,
      startedAt: at,
      finishedAt: at,
      account: ACCOUNT,
      region: 'eu-west-1',
      name,
      tags,
      verdict: by.verdict,
      reasons: [],
    },
  };
}

/** The state env-reaper would have after deleting the world's environments. */
export function stateOf(world: LeftoverWorld): State {
  const state = emptyState();
  for (const [i, e] of world.envs.entries()) {
    const at = new Date(NOW - e.deletedDaysAgo * DAY).toISOString();
    state.stacks[e.stackId] = deletedStack(`review-e${i}`, envTags(i), at, {
      runId: 'r0',
      verdict: 'branch-deleted',
    });
  }
  return state;
}

/** A run result with no live stack (the leftovers step reads `now`, the live ids and the plan's due). */
export function runOf(stacksDue: number): RunResult {
  return {
    runId: 'r1',
    generatedAt: new Date(NOW).toISOString(),
    now: NOW,
    mode: 'apply',
    scanned: [{ account: ACCOUNT, region: 'eu-west-1' }],
    stacksScanned: 0,
    nested: 0,
    unmanaged: [],
    environments: [],
    plan: { items: [], due: stacksDue, brake: null },
    errors: [],
  };
}

/** The fakes over a world, and what they saw. */
export function worldDeps(world: LeftoverWorld, state: State) {
  const writes: { op: string; arn: string }[] = [];
  const audit: Record<string, unknown>[] = [];
  const errors: RunError[] = [];
  const byName = (kind: string, name: string) =>
    world.resources.find(
      (r) =>
        r.exists &&
        arnType(r.arn) === kind &&
        r.arn.endsWith(
          kind === 'logs:log-group'
            ? `:log-group:${name}`
            : kind === 'ecr:repository'
              ? `/${name}`
              : `:::${name}`,
        ),
    );
  const write = (op: string, kind: string, name: string) => {
    const r = byName(kind, name);
    if (!r) throw Object.assign(new Error('gone'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    writes.push({ op, arn: r.arn });
    if (r.failing)
      throw Object.assign(new Error('boom'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    return r;
  };
  const envOf = (r: WorldResource) => world.envs[r.env] as WorldEnv;
  const leftovers: AwsLeftoverReader = {
    async tagged(_t, _r, filters) {
      const env = filters.find((f) => f.key === 'gitlab:environment')?.value;
      return world.resources
        .filter((r) => r.indexTags['gitlab:environment'] === env)
        .map((r): TaggedHit => ({ arn: r.arn, type: arnType(r.arn), tags: { ...r.indexTags, ...r.tags } }));
    },
    async exists(_t, _r, hit) {
      const r = world.resources.find((x) => x.arn === hit.arn);
      if (hit.type === 'sqs') return { state: 'unverified' };
      return r?.exists ? { state: 'exists' } : { state: 'gone' };
    },
  };
  const gitlabFor = (projectBranch: string) => {
    const i = Number(/e(\d+)$/.exec(projectBranch)?.[1]);
    return world.envs[i];
  };
  const fail = () => Object.assign(new Error('GitLab 503'), { status: 503 });
  const deps: LeftoverReapDeps = {
    logger: pino({ level: 'silent' }),
    auditLog: { append: async (e: Record<string, unknown>) => void audit.push(e) } as unknown as JsonLinesLog,
    state,
    saveState: async () => undefined,
    targetOf: () => ({ id: ACCOUNT, regions: ['eu-west-1'] }),
    onError: (e) => void errors.push(e),
    now: () => NOW,
    aws: {
      callerAccount: async () => ACCOUNT,
      async inspectLeftover(_t, _r, arn) {
        const r = world.resources.find((x) => x.arn === arn);
        if (!r?.exists) return { exists: false, tags: {} };
        const deletedAt = NOW - envOf(r).deletedDaysAgo * DAY;
        return {
          exists: true,
          tags: { ...r.tags },
          mfaDelete: r.mfaDelete,
          ...(r.pulledAfterDeletion ? { lastPulledAt: new Date(deletedAt + 3_600_000).toISOString() } : {}),
        };
      },
      async emptyBucket(_t, _r, bucket) {
        const r = write('emptyBucket', 's3:bucket', bucket);
        const removed = r.objects;
        r.objects = 0;
        return { removed, deleteMarkers: 0, bytes: removed, errors: [] };
      },
      async deleteBucket(_t, _r, bucket) {
        const r = write('deleteBucket', 's3:bucket', bucket);
        r.exists = false;
      },
      async deleteRepository(_t, _r, name) {
        const r = write('deleteRepository', 'ecr:repository', name);
        r.exists = false;
      },
      async deleteLogGroup(_t, _r, name) {
        const r = write('deleteLogGroup', 'logs:log-group', name);
        r.exists = false;
      },
    },
    gitlab: {
      async project() {
        return { id: 1, path: 'acme/shop', archived: false, defaultBranch: 'main' };
      },
      async branchesPage() {
        return { items: [], nextPage: null, totalPages: 1 };
      },
      async branch(_p, name) {
        const e = gitlabFor(name);
        if (e?.gitlabFails) throw fail();
        return e?.branchBack ? { name, protected: false, default: false } : null;
      },
      async mergeRequestsPage(_p, _page, filter) {
        const e = gitlabFor(filter?.sourceBranch ?? '');
        if (e?.gitlabFails) throw fail();
        return {
          items: [
            {
              iid: 1,
              sourceBranch: filter?.sourceBranch ?? '',
              state: e?.mrOpen ? 'opened' : 'merged',
            } as const,
          ],
          nextPage: null,
          totalPages: 1,
        };
      },
      async environmentsPage() {
        return { items: [], nextPage: null, totalPages: 1 };
      },
      async environment() {
        throw new Error('not read');
      },
      async mergeRequest() {
        return null;
      },
    },
  };
  return { deps, leftovers, writes, audit, errors };
}
