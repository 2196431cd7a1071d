import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/json-report.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';
import { configFile, runCli, tagsFor } from './cli.js';

/** What the reap e2e tests share: worlds of review stacks, a sandbox and config per test, write-log reads. */

const running: Sandbox[] = [];

/** Closes every sandbox a test started (register with `afterEach`). */
export async function closeSandboxes(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.close()));
}

export interface StackSpec {
  name: string;
  ref: string;
  extra?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export function world(
  stacks: StackSpec[],
  gitlabExtra: Record<string, unknown> = {},
  awsExtra: Record<string, unknown> = {},
) {
  const actives = Array.from({ length: 8 }, (_, i) => `feature/live-${i}`);
  return {
    aws: {
      deleteSeconds: 0.3,
      ...awsExtra,
      accounts: [
        {
          id: '111111111111',
          regions: {
            'eu-west-1': {
              stacks: [
                ...actives.map((ref, i) => ({
                  name: `review-live-${i}`,
                  created: '-2d',
                  tags: tagsFor(1, ref),
                })),
                ...stacks.map((s) => ({
                  name: s.name,
                  created: '-3d',
                  updated: '-1d',
                  tags: { ...tagsFor(1, s.ref, { 'gitlab:environment': `review/${s.ref}` }), ...s.tags },
                  ...s.extra,
                })),
              ],
            },
          },
        },
      ],
    },
    gitlab: {
      projects: [
        {
          id: 1,
          path: 'acme/shop',
          branches: [
            { name: 'main', protected: true },
            ...actives.map((name) => ({ name, committed: '-1h' })),
            { name: 'feature/fresh' },
          ],
          mergeRequests: [
            ...actives.map((ref, i) => ({ iid: 100 + i, sourceBranch: ref, state: 'opened' })),
            { iid: 2, sourceBranch: 'feature/merged', state: 'merged', mergedAt: '-3h' },
            { iid: 3, sourceBranch: 'feature/fresh', state: 'merged', mergedAt: '-10m' },
            { iid: 4, sourceBranch: 'feature/failing', state: 'merged', mergedAt: '-5h' },
            { iid: 5, sourceBranch: 'feature/exporter', state: 'merged', mergedAt: '-5h' },
          ],
          environments: stacks.map((s) => ({ name: `review/${s.ref}`, lastDeployment: { ref: s.ref } })),
          ...gitlabExtra,
        },
      ],
    },
  };
}

export const MAIN: StackSpec[] = [
  { name: 'review-merged', ref: 'feature/merged', tags: { 'gitlab:mr-iid': '2' } },
  { name: 'review-fresh', ref: 'feature/fresh' },
  { name: 'review-gone', ref: 'feature/gone' },
  { name: 'review-protected', ref: 'feature/gone-too', extra: { terminationProtection: true } },
  { name: 'review-keep', ref: 'feature/gone-3', tags: { 'env-reaper:keep': 'true' } },
  { name: 'review-busy', ref: 'feature/gone-4', extra: { status: 'UPDATE_IN_PROGRESS' } },
  {
    name: 'review-failing',
    ref: 'feature/failing',
    extra: { deletion: { outcome: 'failed', failedResources: [{ logicalId: 'AssetsBucket' }] } },
  },
];

export async function setup(scenario: Record<string, unknown>, config: Record<string, unknown> = {}) {
  const sb = await startSandbox({ scenario });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-reap-'));
  const file = await configFile({
    aws: { regions: ['eu-west-1'] },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    limits: { deleteTimeout: '30s' },
    ...config,
  });
  // REST: these tests hold and fail REST routes (GraphQL's paths: graphql-*.e2e).
  const env = { ...sb.env(), ENV_REAPER_GITLAB_API: 'rest' };
  const reap = (extra: string[] = []) =>
    runCli(['reap', '--apply', '--config', file, '--format', 'json', ...extra], env);
  return { sb, dir, file, env, reap };
}

export const deletesOf = (sb: Sandbox) =>
  sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => String(w.params?.name));
export const statusOf = (sb: Sandbox, name: string) =>
  sb.world.allStacks().find((s) => s.name === name)?.status;
export const byName = (report: Report) =>
  Object.fromEntries(report.environments.map((e) => [e.stack.name, e]));
