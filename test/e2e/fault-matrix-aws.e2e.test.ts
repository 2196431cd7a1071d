import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaseResult,
  checkCase,
  faultOf,
  kindsOf,
  OPERATIONS,
  operationOf,
  runCase,
} from '../helpers/fault-matrix.js';

/** The fault matrix over every AWS operation (test/helpers/fault-matrix.ts says what each case must be). */

const operations = OPERATIONS.aws.map((logged) => operationOf('aws', logged)).filter((o) => o !== undefined);
let clean: CaseResult;
let withDashboard: CaseResult;
const timings: { label: string; ms: number }[] = [];

beforeAll(async () => {
  clean = await runCase();
  withDashboard = await runCase(undefined, { dashboardExists: true });
}, 120_000);

afterAll(() => {
  if (timings.length === 0) return;
  const total = timings.reduce((n, t) => n + t.ms, 0);
  const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 3);
  process.stderr.write(
    `fault matrix (aws): ${timings.length} cases, ${Math.round(total / 1000)} s of CLI time, slowest ${slowest.map((t) => `${t.label} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}\n`,
  );
});

describe('fault matrix (aws): the clean runs', () => {
  it('exit 0, delete, note, empty and write the dashboard, and call exactly the listed operations', () => {
    for (const r of [clean, withDashboard]) {
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      expect(r.report?.errors).toEqual([]);
      expect(r.deleted.length).toBeGreaterThan(3);
      expect(r.emptied.length).toBeGreaterThan(0);
      expect(r.dashboards).toHaveLength(1);
    }
    const called = new Set(
      [...clean.called, ...withDashboard.called].filter((c) => c.startsWith('aws ')).map((c) => c.slice(4)),
    );
    expect([...called].sort()).toEqual([...OPERATIONS.aws].sort());
  });
});

describe.concurrent('fault matrix (aws): each operation failing persistently', () => {
  for (const op of operations)
    for (const kind of kindsOf(op))
      it(`${op.logged}: ${kind}`, async () => {
        // The dashboard's routes run where its issue exists: a failed read must not make a second one.
        const dashboardExists = op.logged === 'GET /projects/:id/issues' || op.logged.startsWith('PUT ');
        const r = await runCase(faultOf(op, kind), { dashboardExists });
        timings.push({ label: `${op.logged} ${kind}`, ms: r.ms });
        checkCase(op, kind, r, dashboardExists ? withDashboard : clean);
      }, 120_000);
});
