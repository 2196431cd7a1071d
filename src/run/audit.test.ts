import { describe, expect, it } from 'vitest';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { liveAndGoneWorld } from '../../test/helpers/worlds.js';
import { parseConfig } from '../config/load.js';
import { audit } from './audit.js';

const config = (extra: Record<string, unknown> = {}) =>
  parseConfig({ aws: { regions: ['eu-west-1'] }, limits: { maxDeletionPercent: 100 }, ...extra });

const world = () =>
  inProcessWorld(
    liveAndGoneWorld({
      live: 3,
      gone: ['review-old-a', 'review-old-b'],
      stacks: [{ name: 'hand-made-vpc', tags: {} }],
    }),
  );

describe('audit() in process', () => {
  it('classifies every stack from the readers it is given, and plans the dead ones for deletion', async () => {
    const w = world();
    const run = await audit(config(), w.deps, { runId: 'r1', mode: 'dry-run' });
    const verdicts = Object.fromEntries(
      run.environments.map((e) => [e.stack.name, e.classification.verdict]),
    );
    expect(verdicts).toEqual({
      'review-live-0': 'active',
      'review-live-1': 'active',
      'review-live-2': 'active',
      'review-old-a': 'branch-deleted',
      'review-old-b': 'branch-deleted',
    });
    expect(run.unmanaged.map((u) => u.name)).toEqual(['hand-made-vpc']);
    expect(run.stacksScanned).toBe(6);
    expect(run.errors).toEqual([]);
    expect(run.plan.due).toBe(2);
    // One project: its facts are read once, not once per stack.
    expect(w.calls.get('gitlab.project')).toBe(1);
    expect(w.calls.get('aws.listStacks')).toBe(1);
  });

  it('is deterministic: the same world and clock give the same result', async () => {
    const w = world();
    const a = await audit(config(), w.deps, { runId: 'r1', mode: 'dry-run' });
    const b = await audit(config(), w.deps, { runId: 'r1', mode: 'dry-run' });
    expect(b).toEqual(a);
  });

  it('explain restricts the run to one stack and plans it without brakes', async () => {
    const w = world();
    const run = await audit(config({ limits: { maxDeletionsPerRun: 0 } }), w.deps, {
      runId: 'r1',
      mode: 'dry-run',
      onlyStack: 'review-old-a',
    });
    expect(run.environments.map((e) => e.stack.name)).toEqual(['review-old-a']);
    expect(run.plan.brake).toBeNull();
    expect(run.environments[0]?.plan.status).toBe('due');
  });

  it('shards split the stacks without overlap, and together cover them all', async () => {
    const names = new Set<string>();
    let total = 0;
    for (const index of [1, 2, 3]) {
      const run = await audit(config(), world().deps, {
        runId: 'r1',
        mode: 'dry-run',
        shard: { index, count: 3 },
      });
      for (const e of run.environments) names.add(e.stack.name);
      total += run.environments.length;
    }
    expect(total).toBe(5);
    expect(names.size).toBe(5);
  });

  it('a reader that fails for one region reports an error and never turns it into deletions', async () => {
    const w = world();
    w.deps.aws.listStacks = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    };
    const run = await audit(config(), w.deps, { runId: 'r1', mode: 'dry-run' });
    expect(run.environments).toEqual([]);
    expect(run.errors).toEqual([
      {
        scope: 'aws:111111111111/eu-west-1',
        code: 'RATE_LIMITED',
        serviceCode: 'Throttling',
        message: 'Rate exceeded',
        service: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
      },
    ]);
    expect(run.plan.due).toBe(0);
  });

  it('prices each stack from its own account only, when two accounts share a tag value', async () => {
    const tags = { 'gitlab:project-id': '1', 'gitlab:ref': 'feature/gone', team: 'shared' };
    const scenario = liveAndGoneWorld({ live: 0, gone: [], stacks: [{ name: 'review-in-a', tags }] });
    (scenario.aws.accounts as unknown[]).push({
      id: '222222222222',
      regions: { 'eu-west-1': { stacks: [{ name: 'review-in-b', tags }] } },
    });
    const w = inProcessWorld(scenario);
    const bills: Record<string, number> = { '111111111111': 10, '222222222222': 20 };
    const deps = {
      ...w.deps,
      cost: {
        costByTag: async (target: { id?: string }) => new Map([['shared', bills[target.id ?? ''] ?? 0]]),
        costByResource: async () => new Map<string, number>(),
      },
    };
    const run = await audit(
      config({
        aws: { regions: ['eu-west-1'], accounts: [{ id: '111111111111' }, { id: '222222222222' }] },
        cost: { enabled: true, lookbackDays: 30, tagKey: 'team' },
      }),
      deps,
      { runId: 'r1', mode: 'dry-run' },
    );
    const byAccount = Object.fromEntries(
      run.environments.map((e) => [e.stack.account, run.costs?.monthly[e.stack.stackId]]),
    );
    expect(byAccount).toEqual({ '111111111111': 10, '222222222222': 20 });
  });

  it('names exactly the stacks one failed lookup made unknown', async () => {
    // Two refs: looked up one by one, not listed.
    const w = inProcessWorld(liveAndGoneWorld({ live: 0, gone: ['review-old-a', 'review-old-b'] }));
    const branch = w.deps.gitlab.branch;
    w.deps.gitlab.branch = async (projectId, name) => {
      if (name !== 'main') throw Object.assign(new Error('boom'), { cause: { response: { status: 503 } } });
      return branch(projectId, name);
    };
    const run = await audit(config(), w.deps, { runId: 'r1', mode: 'dry-run' });
    // Two failures alike (same route, same status): each names only the stack its lookup was for.
    expect(run.errors.map((e) => [e.scope, e.service, e.project, e.stacks, e.effect]).sort()).toEqual([
      ['gitlab:project 1 branch feature/old-a', 'gitlab', '1', ['review-old-a'], 'kept'],
      ['gitlab:project 1 branch feature/old-b', 'gitlab', '1', ['review-old-b'], 'kept'],
    ]);
    expect(run.environments.map((e) => e.classification.verdict)).toEqual(['unknown', 'unknown']);
  });
});
