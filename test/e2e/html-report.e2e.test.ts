import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { runCli } from '../helpers/cli.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * The HTML report opened in real headless Chromium (Debian `chromium`, driven by playwright-core).
 * .ci/run installs Chromium; the screenshot lands in the system temp dir (env-reaper-html-report.png).
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error('CI must install Debian chromium (see .ci/run)');
if (!haveChromium)
  process.stderr.write('HTML report tests skipped: /usr/bin/chromium missing (apt-get install chromium)\n');

/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
const launch = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

let sb: Sandbox;
let dir: string;
beforeAll(async () => {
  if (!haveChromium) return;
  sb = await startSandbox({ scenario: 'test/scenarios/demo.yaml' });
  dir = await mkdtemp(join(tmpdir(), 'env-reaper-html-'));
});
afterAll(() => sb?.close());

describe.skipIf(!haveChromium)('HTML report in headless Chromium', () => {
  it('renders the charts and the sortable table with the right counts, self-contained', async () => {
    const r = await runCli(
      [
        'audit',
        '--config',
        'test/scenarios/demo.env-reaper.yaml',
        '--output',
        `html=${dir}/report.html`,
        '--output',
        `json=${dir}/report.json`,
      ],
      sb.env(),
    );
    expect([0, 1]).toContain(r.code);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report;
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    // Self-contained: nothing to fetch.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);

    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(`file://${dir}/report.html`);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);

      expect(await page.locator('#environments tbody tr').count()).toBe(report.summary.inScope);
      const bars = await page
        .locator('#chart-verdicts .bar')
        .evaluateAll((els) =>
          els.map((e) => [e.getAttribute('data-label'), Number(e.getAttribute('data-count'))]),
        );
      expect(Object.fromEntries(bars)).toEqual(report.summary.byVerdict);
      // Bars are drawn with a width proportional to their count.
      const widths = await page
        .locator('#chart-verdicts rect')
        .evaluateAll((els) =>
          els.map((e) => (e as unknown as { getBBox(): { width: number } }).getBBox().width),
        );
      expect(widths.every((w) => w > 0)).toBe(true);
      const ages = await page
        .locator('#chart-ages .bar')
        .evaluateAll((els) => els.reduce((n, e) => n + Number(e.getAttribute('data-count')), 0));
      expect(ages).toBe(report.summary.inScope);

      const cost = await page
        .locator('#chart-cost .bar')
        .evaluateAll((els) => els.reduce((n, e) => n + Number(e.getAttribute('data-count')), 0));
      expect(cost).toBeCloseTo(report.summary.cost?.monthlyTotal ?? Number.NaN, 1);
      // Sorting by age (column 7) puts the oldest last, then first.
      await page.locator('#environments th', { hasText: 'age' }).click();
      const ascending = await page
        .locator('#environments tbody td:nth-child(7)')
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-sort'))));
      expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
      await page.locator('#environments th', { hasText: 'age' }).click();
      const descending = await page
        .locator('#environments tbody td:nth-child(7)')
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-sort'))));
      expect(descending).toEqual([...ascending].reverse());

      // Filters and search (issue #33): what is shown matches, and says how many match.
      const visible = (attr: string) =>
        page
          .locator('#environments tbody tr:not([hidden])')
          .evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attr);
      await page.selectOption('#f-verdict', 'merged');
      const merged = report.summary.byVerdict.merged ?? 0;
      expect(merged).toBeGreaterThan(0);
      expect(await visible('data-verdict')).toEqual(Array(merged).fill('merged'));
      await expect.poll(() => page.locator('#shown').textContent()).toContain(`of ${merged} matching`);
      await page.selectOption('#f-verdict', '');
      await page.fill('#f-search', 'fix-typo');
      const names = await page
        .locator('#environments tbody tr:not([hidden]) td:first-child')
        .evaluateAll((els) => els.map((e) => e.textContent));
      expect(names).toEqual(['review-shop-fix-typo']);
      await page.fill('#f-search', '');

      await mkdir('reports', { recursive: true });
      await page.screenshot({ path: join(tmpdir(), 'env-reaper-html-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('a 50,000-stack report opens in a few seconds: 200 rows laid out, the rest a page away', async () => {
    const r = await runCli(
      ['audit', '--config', 'test/scenarios/demo.env-reaper.yaml', '--format', 'json'],
      sb.env(),
    );
    const small = JSON.parse(r.stdout) as Report;
    const one = small.environments[0] as Report['environments'][number];
    const big: Report = {
      ...small,
      environments: Array.from({ length: 50_000 }, (_, i) => ({
        ...one,
        stack: { ...one.stack, name: `review-big-${i}`, id: `${one.stack.id}-${i}` },
      })),
    };
    const { renderHtml } = await import('../../src/report/html.js');
    const file = join(dir, 'big.html');
    await writeFile(file, renderHtml(big));
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const t0 = Date.now();
      await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 60_000 });
      await page.locator('#shown').waitFor();
      const ms = Date.now() - t0;
      expect(await page.locator('#environments tbody tr:not([hidden])').count()).toBe(200);
      expect(await page.locator('#shown').textContent()).toBe('showing 200 of 50000 matching (50000 in all)');
      await page.click('#more');
      expect(await page.locator('#environments tbody tr:not([hidden])').count()).toBe(400);
      process.stderr.write(`HTML report, 50,000 stacks: opened in ${ms} ms\n`);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
