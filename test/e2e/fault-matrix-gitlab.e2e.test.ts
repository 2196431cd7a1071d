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

/** The fault matrix over every GitLab route (test/helpers/fault-matrix.ts says what each case must be). */

const operations = OPERATIONS.gitlab
  .map((logged) => operationOf('gitlab', logged))
  .filter((o) => o !== undefined);
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
    `fault matrix (gitlab): ${timings.length} cases, ${Math.round(total / 1000)} s of CLI time, slowest ${slowest.map((t) => `${t.label} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}\n`,
  );
});

describe('fault matrix (gitlab): the clean runs', () => {
  it('exit 0, delete, note, empty and write the dashboard, and call exactly the listed operations', () => {
    for (const r of [clean, withDashboard]) {
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      expect(r.report?.errors).toEqual([]);
      expect(r.deleted.length).toBeGreaterThan(3);
      expect(r.emptied.length).toBeGreaterThan(0);
      expect(r.dashboards).toHaveLength(1);
    }
    const called = new Set(
      [...clean.called, ...withDashboard.called]
        .filter((c) => c.startsWith('gitlab '))
        .map((c) => c.slice(7)),
    );
    expect([...called].sort()).toEqual([...OPERATIONS.gitlab].sort());
  });
});

describe.concurrent('fault matrix (gitlab): each operation failing persistently', () => {
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
