import { describe, expect, it } from 'vitest';
import { xmlError } from '../../test/helpers/hostile.js';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { liveAndGoneWorld } from '../../test/helpers/worlds.js';
import { parseConfig } from '../config/load.js';
import type { ExecutionOutcome } from '../executor/outcome.js';
import { audit } from '../run/audit.js';
import { parseKeepBoxes, renderDashboard } from './dashboard.js';
import { renderHtml } from './html.js';
import { buildReport, type Report, reportSchema } from './json-report.js';
import { renderJunit } from './junit.js';
import { mergeReports } from './merge.js';
import { jsonChunks, render } from './output.js';
import { renderMarkdown, renderTable } from './text.js';

/** A report from a real (in-process) run: three live stacks, two dead ones, one unmanaged. */
async function report(
  outcomes = (_id: (name: string) => string) => new Map<string, ExecutionOutcome>(),
): Promise<Report> {
  const w = inProcessWorld(
    liveAndGoneWorld({
      live: 3,
      gone: ['review-old-a', 'review-old-b'],
      stacks: [{ name: 'vpc', tags: {} }],
    }),
  );
  const config = parseConfig({ aws: { regions: ['eu-west-1'] }, limits: { maxDeletionPercent: 100 } });
  const run = await audit(config, w.deps, { runId: 'r1', mode: 'dry-run' });
  const id = (name: string) => run.environments.find((e) => e.stack.name === name)?.stack.stackId ?? '';
  return buildReport(run, w.deps.stats.snapshot(), outcomes(id));
}

describe('renderers (in process)', () => {
  it('the JSON report validates against its schema and streams to the same JSON', async () => {
    const r = await report();
    expect(reportSchema.safeParse(r).success).toBe(true);
    expect(JSON.parse([...jsonChunks(r)].join(''))).toEqual(JSON.parse(JSON.stringify(r)));
    expect(r.summary.inScope).toBe(5);
    expect(r.unmanaged.map((u) => u.name)).toEqual(['vpc']);
  });

  it('the table lists every verdict group, its stacks, and the project by path', async () => {
    const text = renderTable(await report(), { colour: false, now: Date.now() });
    expect(text).toMatch(/branch-deleted/);
    expect(text).toMatch(/review-old-a/);
    expect(text).toMatch(/acme\/shop/);
    expect(text.includes('\u001b[')).toBe(false);
  });

  it('Markdown has one section per verdict with a row per stack', async () => {
    const md = renderMarkdown(await report(), { now: Date.now() });
    expect(md).toMatch(/### branch-deleted \(2\)/);
    expect(
      md.match(/^\| `?review-old-/gm)?.length ?? md.split('review-old-').length - 1,
    ).toBeGreaterThanOrEqual(2);
  });

  it('JUnit is well-formed XML with one test case per in-scope stack, failures for the reapable', async () => {
    const xml = renderJunit(await report());
    expect(xmlError(xml)).toBeUndefined();
    expect(xml).toMatch(/<testsuites[ >]/);
    expect(xml.match(/<testcase /g)?.length).toBe(5);
    expect(xml.match(/<failure /g)?.length).toBe(2);
  });

  it('HTML is a whole document naming every stack', async () => {
    const html = renderHtml(await report());
    expect(html).toMatch(/^<!doctype html>/i);
    for (const name of ['review-old-a', 'review-old-b', 'review-live-0']) expect(html).toContain(name);
  });

  it('the dashboard has a keep box per reapable stack, which parseKeepBoxes reads back', async () => {
    const r = await report();
    const body = renderDashboard(r, { keptUntil: new Map(), recentlyDeleted: [], keepDays: 7 });
    const boxes = parseKeepBoxes(body);
    const reapable = r.environments.filter((e) => e.action !== 'keep').map((e) => e.stack.id);
    expect([...boxes.keys()].sort()).toEqual(reapable.sort());
    expect([...boxes.values()].every((ticked) => ticked === false)).toBe(true);
  });

  it('every format renders through the one entry point, and merge of one report is that report', async () => {
    const r = await report();
    const out = (format: string) => render(r, format, { colour: false, now: Date.now() });
    // Each format is the one it names, and names every stack with its verdict.
    expect(JSON.parse(out('json'))).toEqual(JSON.parse(JSON.stringify(r)));
    expect(out('junit')).toMatch(/^<\?xml[^>]*>\s*<testsuites[ >]/);
    expect(out('html')).toMatch(/^<!doctype html>/i);
    expect(out('markdown')).toMatch(/^\|.*\|$/m);
    for (const format of ['table', 'markdown', 'junit', 'html'])
      for (const e of r.environments) {
        expect(out(format)).toContain(e.stack.name);
        expect(out(format)).toContain(e.verdict);
      }
    // The whole report, not only its summary (the merge once dropped GitLab environments and trend).
    const { runId: _merged, ...merged } = mergeReports([r]);
    const { runId: _one, ...one } = r;
    expect(merged).toEqual(one);
  });

  it('execution outcomes show up in the report with their codes, and scrubbed messages', async () => {
    const r = await report(
      (id) =>
        new Map([
          [id('review-old-a'), { result: 'deleted' }],
          [
            id('review-old-b'),
            { result: 'cancelled', error: { code: 'STACK_CHANGED', message: 'tags changed' } },
          ],
        ]),
    );
    const byName = Object.fromEntries(r.environments.map((e) => [e.stack.name, e]));
    expect(byName['review-old-a']?.result).toBe('deleted');
    expect(byName['review-old-b']?.result).toBe('cancelled');
    expect(byName['review-old-b']?.error).toEqual({ code: 'STACK_CHANGED', message: 'tags changed' });
    expect(byName['review-live-0']?.result).toBe('skipped');
  });

  it('merged shard reports list each leftover once', async () => {
    const r = await report();
    const leftover = (arn: string) => ({
      arn,
      type: 's3:bucket',
      account: '111111111111',
      region: 'eu-west-1',
      stackId: 'arn:stack',
      stackName: 'review-old-a',
      deletedAt: '2026-11-28T00:00:00.000Z',
      confirmed: true,
    });
    const a = {
      ...r,
      leftovers: {
        checked: 1,
        resources: [leftover('arn:aws:s3:::b'), leftover('arn:aws:s3:::a')],
        skipped: [],
      },
    };
    const b = {
      ...r,
      runId: 'another-shard',
      leftovers: { checked: 1, resources: [leftover('arn:aws:s3:::a')], skipped: [] },
    };
    expect(mergeReports([a, b]).leftovers?.resources.map((l) => l.arn)).toEqual([
      'arn:aws:s3:::a',
      'arn:aws:s3:::b',
    ]);
    expect(mergeReports([r]).leftovers).toBeUndefined();
  });
});
