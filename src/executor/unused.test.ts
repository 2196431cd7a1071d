import { describe, expect, it } from 'vitest';
import {
  addStack,
  applyOptions,
  executorWorld,
  jobEndsWith,
  runWith,
  shopRecord,
} from '../../test/helpers/executor-world.js';
import type { EnvironmentRecord } from '../core/run-result.js';
import { execute } from './executor.js';

/**
 * The executor's side of issue #35: a flagged unused environment gets its notice; a `stop` goes through
 * the environment's on_stop job whatever `policy.teardown` says, and never calls DeleteStack.
 */

function unused(
  name: string,
  action: 'flag' | 'stop',
  status: 'flag' | 'due' = action === 'stop' ? 'due' : 'flag',
) {
  const r = shopRecord(name);
  return {
    ...r,
    classification: {
      ...r.classification,
      verdict: 'unused',
      reasons: [{ code: 'NO_TRAFFIC', detail: 'no requests for 14 days on alb app/x/1' }],
    },
    plan: { stackId: r.stack.stackId, verdict: 'unused', action, status },
  } as EnvironmentRecord;
}

describe('unused environments in the executor', () => {
  it('dry-run says the notice it would post and the stop it would make, and writes nothing', async () => {
    const w = executorWorld();
    const flagged = unused('review-quiet', 'flag');
    const stopped = unused('review-silent', 'stop');
    addStack(w, stopped);
    await execute(
      runWith([flagged, stopped]),
      w.deps(),
      applyOptions({ apply: false, mergeRequestNotices: true }),
    );
    expect(w.writes()).toEqual([]);
    expect(
      w.logs.filter((l) => String(l.msg).startsWith('DRY-RUN')).map((l) => [l.msg, l.stack ?? l.mrIid]),
    ).toEqual([
      ['DRY-RUN: would post an unused-environment notice', 'review-quiet'],
      [
        'DRY-RUN: would stop the unused environment so its on_stop job tears the stack down (never DeleteStack)',
        'review-silent',
      ],
      ['DRY-RUN: would note the merge request', 12],
    ]);
  });

  it('a flagged unused environment gets its notice once; without notices on, none', async () => {
    const w = executorWorld();
    const flagged = unused('review-quiet', 'flag');
    await execute(runWith([flagged]), w.deps(), applyOptions({ mergeRequestNotices: false }));
    expect(w.writes()).toEqual([]);
    await execute(runWith([flagged]), w.deps(), applyOptions({ mergeRequestNotices: true }));
    expect(w.writes()).toEqual(['createMergeRequestNote']);
    expect(w.notes.get('101!12')?.[0]).toMatch(/no one has opened this environment for 14 days/);
    expect(w.notes.get('101!12')?.[0]).toMatch(/Nothing will be deleted/);
    // A flagged stack of another verdict gets no notice.
    const idle = { ...flagged, classification: { ...flagged.classification, verdict: 'idle' as const } };
    const other = executorWorld();
    await execute(runWith([idle]), other.deps(), applyOptions({ mergeRequestNotices: true }));
    expect(other.writes()).toEqual([]);
  });

  it('stop goes through the on_stop job even with teardown delete-stack, and never calls DeleteStack', async () => {
    const w = executorWorld();
    const r = unused('review-silent', 'stop');
    addStack(w, r);
    const out = await execute(
      runWith([r]),
      jobEndsWith(w, 'stopped'),
      applyOptions({ teardown: 'delete-stack', stopJobTimeoutMs: 1_000 }),
    );
    expect(w.calls.filter((c) => c.method === 'deleteStack')).toEqual([]);
    expect(w.calls.filter((c) => c.method === 'stopEnvironment').map((c) => c.args[2])).toEqual([
      { force: false },
    ]);
    expect(out.get(r.stack.stackId)).toMatchObject({ result: 'failed', teardown: 'stop-job' });
  });
});
