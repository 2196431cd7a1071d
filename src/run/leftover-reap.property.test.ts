import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Coverage, record } from '../../test/helpers/core-arbitraries.js';
import { leftoverWorldArb, runOf, stateOf, worldDeps } from '../../test/helpers/leftover-world.js';
import { parseConfig } from '../config/load.js';
import { LEFTOVER_DELETABLE_TYPES } from '../core/leftover-plan.js';
import { arnType } from '../core/leftovers.js';
import { reapLeftoverStep } from './leftover-reap.js';
import { findLeftovers } from './leftovers.js';

/**
 * Leftover deletion over random worlds (issue #36), the whole step in process (find → decide → re-check
 * → delete): with `leftovers.delete` unset nothing is written; with it set, every resource deleted met
 * every condition in the world it was deleted from, the brakes held, each deletion is audited, a failed
 * call is a run error and not a deletion, and a second run deletes nothing twice.
 */

const DAY = 86_400_000;
// Each case is two whole steps: a third of FC_NUM_RUNS, never fewer than 300 (Stryker's dry run lowers FC_NUM_RUNS).
const RUNS = Math.max(300, Math.floor(Number(process.env.FC_NUM_RUNS ?? 1000) / 3));

const configArb = fc.record({
  delete: fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as string[]) },
    { weight: 3, arbitrary: fc.subarray([...LEFTOVER_DELETABLE_TYPES], { minLength: 1 }) },
  ),
  maxDeletionsPerRun: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(100)),
  stacksDue: fc.integer({ min: 0, max: 3 }),
});

describe('leftover deletion over random worlds (fast-check, in process)', () => {
  it('deletes only what meets every condition, within the brakes, audited, once; nothing without leftovers.delete', async ({
    task,
  }) => {
    const cov = new Coverage();
    await fc.assert(
      fc.asyncProperty(leftoverWorldArb, configArb, async (world, c) => {
        cov.hit('cases');
        const config = parseConfig({
          limits: { maxDeletionsPerRun: c.maxDeletionsPerRun, maxDeletionPercent: 100 },
          leftovers: { delete: c.delete },
        });
        const state = stateOf(world);
        const before = structuredClone(world);
        const { deps, leftovers, writes, audit, errors } = worldDeps(world, state);
        const step = async () => {
          const run = runOf(c.stacksDue);
          run.leftovers = await findLeftovers(config, { ...deps, leftovers }, state, run);
          await reapLeftoverStep(config, deps, state, run, { apply: true, runId: run.runId, now: run.now });
          return run;
        };
        const first = await step();
        const firstWrites = writes.length;
        if (c.delete.length === 0) {
          expect(writes).toEqual([]);
          cov.hit('nothing opted in, leftovers found', (first.leftovers?.resources.length ?? 0) > 0);
        }
        const deleted = [...new Set(writes.filter((w) => w.op.startsWith('delete')).map((w) => w.arn))];
        const done = (first.leftovers?.resources ?? []).filter((l) => l.result?.result === 'deleted');
        expect(done.map((l) => l.arn).sort()).toEqual(
          deleted.filter((arn) => !before.resources.find((r) => r.arn === arn)?.failing).sort(),
        );
        expect(done.length + c.stacksDue).toBeLessThanOrEqual(Math.max(c.maxDeletionsPerRun, c.stacksDue));
        if (done.length > 0) expect(done.length + c.stacksDue).toBeLessThanOrEqual(c.maxDeletionsPerRun);
        for (const arn of deleted) {
          const r = before.resources.find((x) => x.arn === arn);
          const env = r ? before.envs[r.env] : undefined;
          expect(r && env).toBeTruthy();
          if (!r || !env) continue;
          cov.hit('deleted');
          expect(c.delete).toContain(arnType(arn));
          expect(r.exists).toBe(true);
          expect(r.tags['gitlab:environment']).toBe(r.indexTags['gitlab:environment']);
          expect(r.tags['env-reaper:keep']).toBeUndefined();
          expect(r.mfaDelete).toBe(false);
          expect(r.pulledAfterDeletion).toBe(false);
          expect(env.deletedDaysAgo * DAY).toBeGreaterThanOrEqual(config.leftovers.deleteAfter);
          expect(env.branchBack || env.mrOpen || env.gitlabFails).toBe(false);
          expect(audit.filter((a) => a.arn === arn).map((a) => a.event)[0]).toBe('leftover-delete-attempt');
          if (r.failing) {
            cov.hit('a deletion failed');
            expect(errors.some((e) => e.stacks?.includes(`review-e${r.env}`))).toBe(true);
            expect(state.leftovers?.[arn]?.status).toBe('failed');
          } else {
            expect(state.leftovers?.[arn]?.status).toBe('deleted');
            expect(audit.filter((a) => a.arn === arn).map((a) => a.event)).toContain('leftover-deleted');
          }
        }
        cov.hit(
          'kept by a condition',
          (first.leftovers?.resources ?? []).some((l) => l.decision?.status === 'report'),
        );
        // Run again on what is left: nothing deleted twice.
        await step();
        const again = writes.slice(firstWrites).filter((w) => w.op.startsWith('delete'));
        for (const w of again) {
          expect(before.resources.find((r) => r.arn === w.arn)?.failing).toBe(true);
          cov.hit('a failed deletion retried');
        }
      }),
      { numRuns: RUNS },
    );
    record(task, cov);
    cov.require('deleted', 20);
    cov.require('nothing opted in, leftovers found', 5);
    cov.require('a deletion failed', 1);
    cov.require('kept by a condition', 0.3);
  }, 60_000);
});
