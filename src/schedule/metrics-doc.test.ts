import { describe, expect, it } from 'vitest';
import { expectCommitted } from '../../test/helpers/doc-region.js';
import { tableCells } from '../report/doc-tables.js';
import { METRICS, metricsDocRegion, ReaperMetrics } from './metrics.js';

/** The metrics table of docs/deploy.md is the code's (issue #33: it had lost env_reaper_run_errors_total). */
describe('the metrics table', () => {
  it('docs/deploy.md has the generated table (run `npm run gen`)', async () => {
    await expectCommitted(metricsDocRegion());
  });

  it('lists every metric the daemon registers, with its type and labels', async () => {
    const registered = (await new ReaperMetrics().registry.getMetricsAsJSON())
      .filter((m) => !/^env_reaper_(process|nodejs)_/.test(m.name))
      .map((m) => ({ name: m.name, type: String(m.type) }));
    expect(registered).toEqual(Object.values(METRICS).map((m) => ({ name: m.name, type: m.type })));
    expect(registered.map((m) => m.name)).toContain('env_reaper_run_errors_total');
    const rows = tableCells(metricsDocRegion().content).slice(2);
    expect(rows.map((r) => r[0])).toEqual(Object.values(METRICS).map((m) => `\`${m.name}\``));
    expect(rows.find((r) => r[0] === '`env_reaper_run_errors_total`')?.[2]).toBe('`service`, `operation`');
  });
});
