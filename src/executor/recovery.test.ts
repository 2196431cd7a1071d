import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  record,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import { env, NOW } from '../../test/helpers/fixtures.js';
import type { DeletionRecord } from '../state/state.js';
import { execute } from './executor.js';

/** What a killed run left in state, and the dry-run lines of the environment steps. */

const shop = shopRecord;

function left(name: string, over: Partial<DeletionRecord> = {}): DeletionRecord {
  return {
    status: 'started',
    runId: 'run-0',
    token: 'env-reaper-run-0-x',
    attempts: 1,
    startedAt: new Date(NOW - 60_000).toISOString(),
    account: '111111111111',
    region: 'eu-west-1',
    name,
    verdict: 'merged',
    reasons: [{ code: 'MR_MERGED', detail: '!12 merged' }],
    projectId: 101,
    environmentId: 5,
    mrIid: 12,
    ...over,
  };
}

describe('what a killed run left', () => {
  it('a deletion left started is polled to its end, never requested again, and gets its follow-up', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const s = addStack(w, r, ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    s.deletes = 1; // DeleteStack went out in the killed run
    w.environments.set('101/5', 'available');
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a'),
    };
    const out = await execute(
      runWith([{ ...r, plan: { ...r.plan, status: 'keep' } }]),
      w.deps(),
      applyOptions(),
    );
    expect(out.get(r.stack.stackId)).toEqual({ result: 'deleted' });
    expect(w.writes()).toEqual(['stopEnvironment', 'deleteEnvironment', 'createMergeRequestNote']);
    expect(w.events()).toEqual([
      'delete-complete',
      'environment-stopped',
      'environment-deleted',
      'mr-note-posted',
    ]);
    expect(w.logs.find((l) => l.msg === 'resuming a deletion an earlier run did not finish')).toMatchObject({
      runId: 'run-0',
      stack: 'review-a',
      stackId: r.stack.stackId,
    });
  });

  it('a left deletion that ended badly is recorded failed with its code; a stack not in this run gets no outcome', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const s = addStack(w, r, ['DELETE_FAILED']);
    s.deletes = 1;
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a'),
    };
    const out = await execute(runWith([]), w.deps(), applyOptions());
    expect(out.size).toBe(0);
    expect(w.state.stacks[r.stack.stackId]?.deletion).toMatchObject({
      status: 'failed',
      error: { code: 'DELETE_FAILED', message: 'DELETE_FAILED' },
    });
    expect(w.writes()).toEqual([]);
  });

  it('a left deletion whose poll fails stays started, and is an error of the run', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a'),
    };
    w.failOn('describeStack');
    await execute(runWith([]), w.deps(), applyOptions());
    expect(w.state.stacks[r.stack.stackId]?.deletion?.status).toBe('started');
    expect(w.errors.map((e) => [e.scope, e.effect, e.stacks])).toEqual([
      ['aws:111111111111/eu-west-1 status of a deletion an earlier run started', 'not-done', ['review-a']],
    ]);
  });

  it('a deletion that timed out earlier and has since completed is recorded deleted and gets its follow-up', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const s = addStack(w, r, ['GONE']);
    s.deletes = 1;
    w.environments.set('101/5', 'available');
    const timedOut = left('review-a', {
      status: 'failed',
      deleteRequested: true,
      finishedAt: new Date(NOW - 30_000).toISOString(),
      error: { code: 'DELETE_TIMEOUT', message: 'still DELETE_IN_PROGRESS after 1800 s' },
    });
    w.state.stacks[r.stack.stackId] = { name: 'review-a', firstSeen: {}, lastSeen: '', deletion: timedOut };
    await execute(runWith([]), w.deps(), applyOptions());
    expect(w.writes()).toEqual(['stopEnvironment', 'deleteEnvironment', 'createMergeRequestNote']);
    expect(w.events()).toEqual([
      'delete-complete',
      'environment-stopped',
      'environment-deleted',
      'mr-note-posted',
    ]);
    const d = w.state.stacks[r.stack.stackId]?.deletion;
    expect(d).toMatchObject({ status: 'deleted', finishedAt: new Date(NOW).toISOString() });
    expect(d && 'error' in d).toBe(false);
    expect(w.messages(30)).toContain('a deletion that timed out in an earlier run has completed');
    expect(w.sleeps).toEqual([]);
  });

  it('a deletion that timed out and is still deleting is read once and left for the next run; a failed read is an error', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    const s = addStack(w, r, ['DELETE_IN_PROGRESS']);
    s.deletes = 1;
    const error = { code: 'DELETE_TIMEOUT' as const, message: 'still DELETE_IN_PROGRESS after 1800 s' };
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a', { status: 'failed', error }),
    };
    await execute(runWith([]), w.deps(), applyOptions());
    expect(w.methods()).toEqual(['describeStack']);
    expect(w.state.stacks[r.stack.stackId]?.deletion).toMatchObject({ status: 'failed', error });
    expect(w.sleeps).toEqual([]);
    w.failOn('describeStack');
    await execute(runWith([]), w.deps(), applyOptions());
    expect(w.errors.map((e) => [e.scope, e.effect])).toEqual([
      ['aws:111111111111/eu-west-1 status of a deletion that timed out in an earlier run', 'not-done'],
    ]);
    // Any other failed deletion is not looked at again here: the audit judges its stack.
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a', { status: 'failed', error: { code: 'DELETE_FAILED', message: 'x' } }),
    };
    w.heal('describeStack');
    await execute(runWith([]), w.deps(), applyOptions());
    expect(w.methods()).toEqual(['describeStack', 'describeStack']);
  });

  it('a finished deletion with nothing left to do, or due again, is left alone', async () => {
    const w = executorWorld();
    const a = shop('review-a');
    const b = shop('review-b');
    addStack(w, a);
    addStack(w, b);
    w.state.stacks[a.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a', { status: 'deleted', environmentStopped: true, notePosted: true }),
    };
    // Without notes configured, a missing note is not a missing follow-up either.
    w.state.stacks[b.stack.stackId] = {
      name: 'review-b',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-b', { status: 'deleted', environmentStopped: true }),
    };
    await execute(runWith([]), w.deps(), applyOptions({ mergeRequestNotes: false }));
    expect(w.calls).toEqual([]);
  });

  it('a resumed stop-job whose stack this run did not audit gets no fallback DeleteStack', async () => {
    const w = executorWorld();
    const r = shop('review-a');
    addStack(w, r);
    w.environments.set('101/5', 'stopped'); // the job ended and left the stack
    w.state.stacks[r.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      deletion: left('review-a', {
        teardown: 'stop-job-then-delete',
        stopRequestedAt: new Date(NOW - 60_000).toISOString(),
        environmentStopped: true,
      }),
    };
    const out = await execute(runWith([]), w.deps(), applyOptions({ teardown: 'stop-job-then-delete' }));
    expect(out.size).toBe(0);
    expect(w.writes()).toEqual([]);
    expect(w.state.stacks[r.stack.stackId]?.deletion).toMatchObject({
      status: 'cancelled',
      fallback: 'STOP_JOB_LEFT_STACK',
      error: {
        code: 'EVIDENCE_CHANGED',
        message: 'the stack was not audited in this run: no fallback deletion',
      },
    });
    expect(w.messages(40)).toEqual([
      'the on_stop job did not delete the stack',
      'fallback DeleteStack cancelled',
    ]);
  });
});

describe('dry-run lines of the environment steps', () => {
  it('delete-stack with an environment not stopped: "would stop environment"; no note line without notes', async () => {
    const w = executorWorld();
    const a = shop('review-a', { environment: env({ id: 5, name: 'review/a', state: 'stopping' }) });
    addStack(w, a);
    await execute(runWith([a]), w.deps(), applyOptions({ apply: false, mergeRequestNotes: false }));
    expect(w.logs.map((l) => [l.msg, l.environment ?? l.stack])).toEqual([
      ['DRY-RUN: would delete stack', 'review-a'],
      ['DRY-RUN: would stop environment', 'review/a'],
    ]);
    // Only the reads apply makes first: the account guard and the export graph.
    expect(w.methods()).toEqual(['callerAccount', 'listExports']);
  });

  it('no notice line for a waiting stack already noticed, or without an MR, or with notices off', async () => {
    const w = executorWorld();
    const noticed = shop('review-a', { status: 'waiting' });
    const noMr = record('review-b', { status: 'waiting' });
    w.state.stacks[noticed.stack.stackId] = {
      name: 'review-a',
      firstSeen: {},
      lastSeen: '',
      notices: { merged: { at: new Date(NOW).toISOString(), mrIid: 12 } },
    };
    await execute(
      runWith([noticed, noMr]),
      w.deps(),
      applyOptions({ apply: false, mergeRequestNotices: true }),
    );
    await execute(
      runWith([shop('review-c', { status: 'waiting' })]),
      w.deps(),
      applyOptions({ apply: false }),
    );
    expect(w.logs).toEqual([]);
  });
});
