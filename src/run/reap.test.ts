import { describe, expect, it } from 'vitest';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { liveAndGoneWorld } from '../../test/helpers/worlds.js';
import type { AwsClients } from '../aws/clients.js';
import { createAwsWriter } from '../aws/writer.js';
import { parseConfig } from '../config/load.js';
import type { GitLabJson } from '../gitlab/json-client.js';
import { createGitLabWriter } from '../gitlab/writer.js';
import { reap } from './reap.js';

const config = (dir: string) =>
  parseConfig({
    aws: { regions: ['eu-west-1'] },
    limits: { maxDeletionPercent: 100 },
    state: { auditLog: `${dir}/audit.jsonl` },
  });

async function setup() {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/env-reaper-reap-test-`);
  const w = inProcessWorld(liveAndGoneWorld({ live: 2, gone: ['review-old-a', 'review-old-b'] }));
  const deps = { ...w.deps, executorIo: w.executorIo, store: w.store };
  return { w, deps, cfg: config(dir) };
}

/**
 * Every write method, read from the real writers (not listed by hand, so a new write cannot be missed):
 * their construction touches no client, so empty stand-ins do.
 */
const WRITE_METHODS = [
  ...Object.keys(createAwsWriter({} as AwsClients)).map((m) => `aws.${m}`),
  ...Object.keys(createGitLabWriter({} as GitLabJson)).map((m) => `gitlab.${m}`),
];

const writes = (calls: Map<string, number>) => [...calls.keys()].filter((k) => WRITE_METHODS.includes(k));

it('knows every write method, emptying included', () => {
  expect(WRITE_METHODS).toEqual(
    expect.arrayContaining([
      'aws.deleteStack',
      'aws.emptyBucket',
      'aws.emptyRepository',
      'gitlab.stopEnvironment',
    ]),
  );
});

describe('reap() in process', () => {
  it('dry-run: records verdicts in state, writes nothing to AWS or GitLab', async () => {
    const { w, deps, cfg } = await setup();
    const out = await reap(cfg, deps, { runId: 'r1', apply: false });
    expect(writes(w.calls)).toEqual([]);
    expect(out.outcomes.size).toBe(0);
    expect(out.run.plan.due).toBe(2);
    expect(Object.keys(w.store.state.stacks)).toHaveLength(4);
    expect(w.store.state.lastRun?.mode).toBe('dry-run');
    expect(out.trend.new.sort()).toEqual(['review-old-a', 'review-old-b']);
  });

  it('apply: deletes exactly the due stacks, re-checked one by one, and a second run converges', async () => {
    const { w, deps, cfg } = await setup();
    const first = await reap(cfg, deps, { runId: 'r1', apply: true });
    expect(Object.fromEntries([...first.outcomes].map(([id, o]) => [id.split('/')[1], o.result]))).toEqual({
      'review-old-a': 'deleted',
      'review-old-b': 'deleted',
    });
    expect(w.calls.get('aws.deleteStack')).toBe(2);
    // Each deletion re-read its stack and re-read its GitLab evidence first.
    expect(w.calls.get('aws.describeStack')).toBeGreaterThanOrEqual(4);
    expect(
      w.world.stacks
        .filter((s) => s.status === 'DELETE_COMPLETE')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['review-old-a', 'review-old-b']);
    const second = await reap(cfg, deps, { runId: 'r2', apply: true });
    expect(second.outcomes.size).toBe(0);
    expect(w.calls.get('aws.deleteStack')).toBe(2);
    expect(second.trend.resolved.sort()).toEqual(['review-old-a', 'review-old-b']);
  });

  it('a branch restored between the audit and the deletion cancels that deletion', async () => {
    const { w, deps, cfg } = await setup();
    const project = w.world.projects.get(1);
    const original = deps.executorIo.aws.describeStack;
    deps.executorIo.aws.describeStack = async (t, r, id) => {
      // The branch comes back right before the executor re-checks the evidence.
      if (id.includes('review-old-a'))
        project?.branches.set('feature/old-a', {
          name: 'feature/old-a',
          protected: false,
          committedAt: new Date().toISOString(),
          merged: false,
        });
      if (project && !project.branchNames.includes('feature/old-a'))
        project.branchNames.push('feature/old-a');
      project?.branchNames.sort();
      return original(t, r, id);
    };
    const out = await reap(cfg, deps, { runId: 'r1', apply: true });
    const a = [...out.outcomes].find(([id]) => id.includes('review-old-a'))?.[1];
    expect(a?.result).toBe('cancelled');
    expect(a?.error?.code).toBe('EVIDENCE_CHANGED');
  });
});
