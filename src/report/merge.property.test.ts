import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emptyRun } from '../../test/helpers/fixtures.js';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { parseConfig } from '../config/load.js';
import { audit } from '../run/audit.js';
import { buildReport, type Report } from './json-report.js';
import { mergeReports } from './merge.js';

const numRuns = Math.min(40, Number(process.env.FC_NUM_RUNS ?? 40));

/**
 * `report merge` keeps everything one run's report has: the merge of the shards' reports, split at
 * random (shard count, order of the files, a shard's file given twice), is the unsharded run's report,
 * field by field. Only what sharding changes by nature differs: the run id and the API calls (every
 * shard lists every region).
 */

async function demo() {
  const scenario = parse(await readFile('test/scenarios/demo.yaml', 'utf8'));
  const demoConfig = parse(await readFile('test/scenarios/demo.env-reaper.yaml', 'utf8'));
  // Brakes are judged per shard: with them out of the way, the plans agree stack by stack.
  const config = parseConfig({
    ...demoConfig,
    cost: { enabled: false },
    limits: { maxDeletionPercent: 100, maxDeletionsPerRun: 10_000 },
  });
  return { scenario, config };
}

/** The report without what sharding changes by nature, errors in a stable order. */
function comparable(r: Report): Omit<Report, 'runId' | 'apiCalls'> {
  const { runId: _id, apiCalls: _calls, ...rest } = r;
  const { apiCalls: _totals, ...summary } = r.summary;
  // Calls are what each run made (every shard lists every region), as apiCalls are.
  const usage = summary.usage ? { ...summary.usage, calls: undefined } : undefined;
  return {
    ...rest,
    summary: { ...summary, ...(usage ? { usage } : {}) } as Report['summary'],
    errors: [...r.errors].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  };
}

describe('report merge (property)', () => {
  it('the merge of any shard split is the unsharded report, field by field', async () => {
    const { scenario, config } = await demo();
    // One world for every run (its stack ids and clock are made when it starts); audits only read it.
    const w = inProcessWorld(scenario);
    const run = async (shard?: { index: number; count: number }) => {
      const runId = shard ? `r-${shard.index}-of-${shard.count}` : 'r';
      const result = await audit(config, w.deps, { runId, mode: 'dry-run', shard });
      return buildReport(result, w.deps.stats.snapshot());
    };
    const whole = await run();
    // The demo reaches every part of a report: ghosts, stuck environments, errors, unmanaged stacks.
    expect(whole.gitlabEnvironments?.ghosts.length).toBeGreaterThan(0);
    expect(whole.unmanaged.length).toBeGreaterThan(0);
    const coverage = { counts: new Set<number>(), duplicated: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.boolean(),
        async (count, seed, duplicate) => {
          coverage.counts.add(count);
          const shards: Report[] = [];
          for (let index = 1; index <= count; index++) shards.push(await run({ index, count }));
          // Files in any order; the same file given twice changes nothing.
          const order = shards.map((s, i) => ({ s, k: (seed * (i + 7)) % 101 })).sort((a, b) => a.k - b.k);
          const files = order.map((x) => x.s);
          if (duplicate && files[0]) {
            coverage.duplicated++;
            files.push(files[0]);
          }
          const merged = mergeReports(files);
          expect(comparable(merged)).toEqual(comparable(whole));
        },
      ),
      { numRuns },
    );
    // Not vacuous: several shard counts, and duplicated files, were tried.
    expect(coverage.counts.size).toBeGreaterThanOrEqual(3);
    expect(coverage.duplicated).toBeGreaterThan(0);
  }, 60_000);

  it('keeps the trend of every shard, sorted as one run sorts it', () => {
    const base = (runId: string, trend: Report['trend']): Report =>
      ({
        ...buildReport(emptyRun(), { calls: {}, errors: {} }),
        runId,
        trend,
      }) as Report;
    const merged = mergeReports([
      base('r1', { previousRunId: 'p', new: ['b'], resolved: ['z'], stillFlagged: [{ name: 'x', runs: 2 }] }),
      base('r2', { previousRunId: 'p', new: ['a'], resolved: [], stillFlagged: [{ name: 'y', runs: 5 }] }),
    ]);
    expect(merged.trend).toEqual({
      previousRunId: 'p',
      new: ['a', 'b'],
      resolved: ['z'],
      stillFlagged: [
        { name: 'y', runs: 5 },
        { name: 'x', runs: 2 },
      ],
    });
  });
});
