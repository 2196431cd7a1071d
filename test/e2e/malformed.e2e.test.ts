import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Fuzz: GitLab answers 200 with something that is not what the API promises (an HTML error page, JSON
 * cut short, nulls, missing fields, wrong types, an object for a list). Every kind of break on every route
 * the evidence comes from, through `reap --apply`: the stacks whose evidence was broken are kept as
 * `unknown` with a reason that names the break, never deleted, and the run itself neither crashes nor
 * stops: the healthy project's dead stacks are deleted in the same run.
 */

const VARIANTS = ['html', 'truncated', 'nulls', 'missing', 'types', 'shape'] as const;
const ROUTES = {
  project: '^/projects/1$',
  branches: '^/projects/1/repository/branches',
  'merge requests': '^/projects/1/merge_requests',
  environments: '^/projects/1/environments',
};

function scenario() {
  const stack = (name: string, project: number, ref: string) => ({
    name,
    created: '-3d',
    updated: '-1d',
    tags: tagsFor(project, ref, { 'gitlab:environment': `review/${ref}` }),
  });
  const project = (id: number, path: string) => ({
    id,
    path,
    branches: [{ name: 'main', protected: true }, { name: 'feature/live' }],
    mergeRequests: [
      { iid: 1, sourceBranch: 'feature/merged', state: 'merged', mergedAt: '-5h' },
      { iid: 2, sourceBranch: 'feature/live', state: 'opened' },
      // Every stack's evidence has items to break, so per-item breaks (nulls, types…) always bite.
      { iid: 3, sourceBranch: 'feature/gone', state: 'closed', closedAt: '-5h' },
    ],
    environments: ['feature/merged', 'feature/gone', 'feature/live'].map((ref) => ({
      name: `review/${ref}`,
      lastDeployment: { ref },
    })),
  });
  return {
    aws: {
      deleteSeconds: 0.1,
      accounts: [
        {
          id: '111111111111',
          regions: {
            'eu-west-1': {
              stacks: [
                stack('review-1-merged', 1, 'feature/merged'),
                stack('review-1-gone', 1, 'feature/gone'),
                stack('review-1-live', 1, 'feature/live'),
                stack('review-2-merged', 2, 'feature/merged'),
                stack('review-2-gone', 2, 'feature/gone'),
              ],
            },
          },
        },
      ],
    },
    gitlab: { projects: [project(1, 'acme/fuzzed'), project(2, 'acme/healthy')] },
  };
}

const running: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const cases = VARIANTS.flatMap((variant) =>
  Object.entries(ROUTES).map(([route, match]) => ({ variant, route, match })),
);

describe('malformed GitLab answers', () => {
  it.concurrent.each(cases)(
    '$variant on $route: stacks unknown, nothing of theirs deleted, no crash',
    async ({ variant, match }) => {
      const sb = await startSandbox({ scenario: scenario() });
      running.push(sb);
      sb.world.addFault({ service: 'gitlab', match, kind: 'malformed', variant });
      const dir = await mkdtemp(join(tmpdir(), 'env-reaper-fuzz-'));
      const file = await configFile({
        aws: { regions: ['eu-west-1'] },
        state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
        limits: { maxDeletionPercent: 100, deleteTimeout: '20s' },
        // Even a policy that deletes project-gone and unowned stacks must not turn a broken answer into one.
        policy: { actions: { 'project-gone': 'delete', unowned: 'delete' } },
      });
      const r = await runCli(['reap', '--apply', '--config', file, '--format', 'json'], {
        ...sb.env(),
        // Malformed REST answers (GraphQL's: fault-matrix-graphql.e2e).
        ENV_REAPER_GITLAB_API: 'rest',
      });
      expect(r.code, r.stderr.slice(-1500)).toBe(1);
      expect(r.stderr).not.toMatch(/TypeError|ReferenceError|Unhandled|at .*\.js:\d+/);
      const report = JSON.parse(r.stdout) as Report;
      const deleted = sb.world.writes
        .filter((w) => w.operation === 'DeleteStack')
        .map((w) => String(w.params?.name));
      expect(deleted.filter((n) => n.startsWith('review-1-'))).toEqual([]);
      expect(deleted.sort()).toEqual(['review-2-gone', 'review-2-merged']);
      for (const e of report.environments.filter((x) => x.stack.name.startsWith('review-1-'))) {
        expect(e.verdict, e.stack.name).toBe('unknown');
        expect(e.reasons.map((x) => x.code)).toContain('GITLAB_ERROR');
      }
      expect(report.errors.length).toBeGreaterThan(0);
    },
  );
});
