import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import type { DeletionRecord } from '../state/state.js';
import { execute } from './executor.js';
import { DELETION_PHASES, deletionPhase, FIRST_PHASES, mayFollow } from './lifecycle.js';

/**
 * The deletion lifecycle, named once (lifecycle.ts). The executor world checks every saved change of a
 * deletion against its transitions (test/helpers/executor-world.ts); these cases pin the sequences the
 * main paths go through, so that check is known to see them.
 */

const base: DeletionRecord = {
  status: 'started',
  runId: 'r',
  token: 't',
  attempts: 1,
  startedAt: '2026-12-01T00:00:00Z',
  account: '111111111111',
  region: 'eu-west-1',
  name: 'review-a',
  verdict: 'merged',
  reasons: [],
};

describe('deletion lifecycle', () => {
  it('names the phase of each saved shape', () => {
    expect(deletionPhase(base)).toBe('requested');
    expect(deletionPhase({ ...base, teardown: 'stop-job', stopRequestedAt: 'x' })).toBe('stop-requested');
    expect(deletionPhase({ ...base, teardown: 'stop-job', deleteRequested: true })).toBe('delete-sent');
    expect(deletionPhase({ ...base, status: 'deleted', environmentId: 5 })).toBe('follow-up');
    expect(deletionPhase({ ...base, status: 'deleted', environmentId: 5, environmentStopped: true })).toBe(
      'done',
    );
    expect(deletionPhase({ ...base, status: 'deleted', mrIid: 2 })).toBe('follow-up');
    expect(deletionPhase({ ...base, status: 'deleted', mrIid: 2 }, { mergeRequestNotes: false })).toBe(
      'done',
    );
    expect(deletionPhase({ ...base, status: 'failed' })).toBe('failed');
    expect(deletionPhase({ ...base, status: 'cancelled' })).toBe('cancelled');
  });

  it('allows only the listed transitions, and every phase is reachable from a first phase', () => {
    expect(mayFollow('requested', 'delete-sent')).toBe(true);
    expect(mayFollow('done', 'requested')).toBe(false);
    expect(mayFollow('delete-sent', 'requested')).toBe(false);
    expect(mayFollow('follow-up', 'delete-sent')).toBe(false);
    const reached = new Set<string>(FIRST_PHASES);
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of [...reached])
        for (const n of DELETION_PHASES[p as keyof typeof DELETION_PHASES].next)
          if (!reached.has(n)) changed = reached.add(n) !== undefined;
    }
    expect([...reached].sort()).toEqual(Object.keys(DELETION_PHASES).sort());
  });

  it('a DeleteStack teardown goes requested → delete-sent → follow-up → done', async () => {
    const w = executorWorld();
    const r = shopRecord('review-a');
    addStack(w, r);
    await execute(runWith([r]), w.deps(), applyOptions());
    expect(w.phases.get(r.stack.stackId)).toEqual(['requested', 'delete-sent', 'follow-up', 'done']);
  });

  it('a saved change that is not a transition fails the world (the check is live)', async () => {
    const w = executorWorld();
    const r = shopRecord('review-a');
    addStack(w, r);
    const deps = w.deps();
    w.phases.set(r.stack.stackId, ['done']);
    await expect(execute(runWith([r]), deps, applyOptions())).rejects.toThrow(
      /went from done to requested: not a transition of its lifecycle/,
    );
  });
});
