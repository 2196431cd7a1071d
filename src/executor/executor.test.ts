import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deps, options, recorders, runOf } from '../../test/helpers/executor-fakes.js';
import { ago, snapshot } from '../../test/helpers/fixtures.js';
import { execute, requestToken } from './executor.js';
import { noteMarker } from './notes.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

describe('executor', () => {
  it('dry-run writes nothing, whatever the plan; it only reads what apply checks first (property)', async () => {
    const status = fc.constantFrom('due', 'waiting', 'keep', 'flag', 'braked') as fc.Arbitrary<
      'due' | 'waiting' | 'keep' | 'flag' | 'braked'
    >;
    await fc.assert(
      fc.asyncProperty(fc.array(status, { maxLength: 20 }), fc.boolean(), async (statuses, brake) => {
        const r = recorders();
        const out = await execute(runOf(statuses, brake), deps(r), { ...options, apply: false });
        // The account guard and the export graph (issue #33: the plan shows what apply would refuse),
        // only when something is due and no brake holds it; never a write.
        const due = !brake && statuses.includes('due');
        expect(r.calls.every((c) => ['callerAccount', 'listExports', 'listImports'].includes(c))).toBe(true);
        expect(r.calls.length > 0).toBe(due);
        expect(out.size).toBe(0);
      }),
      { numRuns },
    );
  });

  it('a braked plan makes no call even with apply', async () => {
    const r = recorders();
    await execute(runOf(['due', 'due'], true), deps(r), { ...options, apply: true });
    expect(r.calls).toEqual([]);
  });

  it('deletes only due stacks, never waiting/keep/flag ones', async () => {
    const r = recorders();
    const deleted: string[] = [];
    r.aws.describeStack = async (_t, _r, id) => {
      const s = snapshot().stack;
      return deleted.includes(id) ? null : { ...s, stackId: id, createdAt: ago(48) };
    };
    r.aws.deleteStack = async (_t, _r, id) => {
      deleted.push(id);
    };
    const run = runOf(['due', 'waiting', 'keep', 'flag', 'due']);
    const out = await execute(run, deps(r), { ...options, apply: true });
    expect(deleted.map((id) => id.split('/')[1])).toEqual(['s-0', 's-4']);
    expect([...out.values()].map((o) => o.result)).toEqual(['deleted', 'deleted']);
  });

  it('builds valid, run-scoped ClientRequestTokens and stable note markers', () => {
    const token = requestToken('20261128T120000Z-abc123', 'arn:aws:cloudformation:eu-west-1:1:stack/x/y');
    expect(token).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/);
    expect(token.length).toBeLessThanOrEqual(128);
    expect(requestToken('r', 'a')).not.toBe(requestToken('r', 'b'));
    expect(noteMarker('arn:x')).toBe('<!-- env-reaper:deleted arn:x -->');
  });
});
