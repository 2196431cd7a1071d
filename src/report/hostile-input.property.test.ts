import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asCodeSpan,
  branchName,
  freeText,
  inspectHtml,
  inspectMarkdown,
  isValidBranchName,
  tagValue,
  xmlError,
} from '../../test/helpers/hostile.js';
import { VERDICTS } from '../core/model.js';
import { deletedNoteBody, noticeBody, stoppedNoteBody, unusedNoticeBody } from '../executor/notes.js';
import { DASHBOARD_MAX_BYTES, renderDashboard } from './dashboard.js';
import { renderHtml } from './html.js';
import type { Report, ReportEnvironment } from './json-report.js';
import { renderJunit } from './junit.js';
import { renderMarkdown, renderTable } from './text.js';

/**
 * Every renderer and GitLab text builder, fed names that Git, GitLab and AWS accept and that are
 * written to become live syntax. The outputs are parsed (markdown-it, parse5, saxes), never grepped.
 */

const numRuns = Number(process.env.FC_NUM_RUNS ?? 300);
const NOW = Date.parse('2026-11-28T12:00:00Z');

interface Hostile {
  stackName: string;
  projectPath: string;
  ref: string;
  environment: string;
  detail: string;
  author: string;
  statusReason: string;
  errorMessage: string;
  runId: string;
}

const hostile: fc.Arbitrary<Hostile> = fc.record({
  stackName: tagValue,
  projectPath: tagValue,
  ref: branchName,
  environment: tagValue,
  detail: freeText,
  author: freeText,
  statusReason: freeText,
  errorMessage: freeText,
  runId: tagValue,
});

function environment(h: Hostile, i: number, verdict: ReportEnvironment['verdict']): ReportEnvironment {
  const action = i % 3 === 0 ? 'delete' : i % 3 === 1 ? 'flag' : 'keep';
  return {
    stack: {
      name: h.stackName,
      id: `arn:aws:cloudformation:eu-west-1:111111111111:stack/${h.stackName}/${i}`,
      account: '111111111111',
      region: 'eu-west-1',
      status: verdict === 'delete-failed' ? 'DELETE_FAILED' : 'CREATE_COMPLETE',
      statusReason: h.statusReason,
      createdAt: new Date(NOW - 5 * 86_400_000).toISOString(),
    },
    owner: {
      projectId: 100 + i,
      projectPath: h.projectPath,
      ref: h.ref,
      refSlug: 'slug',
      environment: h.environment,
      mrIid: 7,
      matchedBy: 'tags',
    },
    verdict,
    reasons: [{ code: 'MR_MERGED', detail: h.detail, at: new Date(NOW).toISOString() }],
    action,
    result: action === 'delete' ? 'planned' : 'skipped',
    plan: { status: action === 'delete' ? 'due' : action },
    error: { code: 'DELETE_FAILED', message: h.errorMessage },
    mergeRequest: { iid: 7, state: 'merged', author: h.author, webUrl: 'http://gitlab.invalid/x' },
    monthlyCost: 12.5,
  };
}

function report(hs: Hostile[]): Report {
  const environments = hs.map((h, i) => environment(h, i, VERDICTS[i % VERDICTS.length] ?? 'merged'));
  // The last one is unused (the dashboard's Unused section, the unused notices), with its reading.
  const last = environments.at(-1);
  if (last)
    Object.assign(last, {
      verdict: 'unused',
      action: 'stop',
      usage: { state: 'unused', lastUsed: '2026-11-13', daily: [0, 4, 0], resources: 2 },
    });
  const first = hs[0] as Hostile;
  return {
    schemaVersion: 2,
    runId: first.runId,
    generatedAt: new Date(NOW).toISOString(),
    mode: 'apply',
    summary: {
      stacksScanned: hs.length,
      inScope: hs.length,
      unmanaged: 0,
      nested: 0,
      byVerdict: {},
      byAction: {},
      due: 1,
      deleted: 0,
      failed: 0,
      brake: null,
      apiCalls: {},
      usage: {
        windowDays: 14,
        stacks: hs.length,
        read: hs.length,
        reused: 0,
        unused: 1,
        metricsRequested: 2,
        calls: { getMetricData: 1, getResources: 2, getRestApis: 0 },
        estimatedCostUsd: 0.00002,
      },
      cost: {
        known: true,
        currency: 'USD',
        monthlyTotal: 12.5,
        monthlyReapable: 12.5,
        byProject: Object.fromEntries(hs.map((h) => [h.projectPath, 1])),
      },
    },
    scanned: [{ account: '111111111111', region: 'eu-west-1' }],
    environments,
    unmanaged: [],
    errors: hs.map((h) => ({
      scope: `gitlab:project ${h.projectPath}`,
      code: 'GRAPHQL_ERROR' as const,
      message: h.errorMessage,
    })),
    apiCalls: { calls: {}, errors: {} },
    gitlabEnvironments: {
      ghosts: hs.map((h, i) => ({
        projectId: i,
        projectPath: h.projectPath,
        id: i,
        name: h.environment,
        state: 'available',
      })),
      stuck: [],
      stopped: 0,
    },
    trend: { previousRunId: null, new: hs.map((h) => h.stackName), resolved: [], stillFlagged: [] },
    // Leftovers: the ARN carries an outside name (a bucket or log group named by the review app).
    leftovers: {
      checked: hs.length,
      resources: hs.map((h, i) => ({
        arn: `arn:aws:logs:eu-west-1:111111111111:log-group:${h.environment}`,
        type: 'logs:log-group',
        account: '111111111111',
        region: 'eu-west-1',
        stackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/${h.stackName}/${i}`,
        stackName: h.stackName,
        deletedAt: new Date(NOW - 86_400_000).toISOString(),
        confirmed: i % 2 === 0,
      })),
      skipped: hs.map((h) => ({ stackName: h.stackName, reason: h.errorMessage })),
    },
  };
}

// Our own syntax that may stand in text: task-list boxes and `!iid` links to the MR of the stack.
const OURS = [/^\[( |x)\] keep /, /!7\b/g];

function expectInert(body: string, mustShow: string[]): void {
  const found = inspectMarkdown(body, OURS);
  expect(found.problems).toEqual([]);
  // Every outside string appears whole as one code span (in a table cell, or in running text).
  for (const s of mustShow) {
    const forms = [asCodeSpan(s, true), asCodeSpan(s, false)].filter((f) => f.trim().length > 0);
    if (forms.length > 0)
      expect(
        found.codeSpans.some((c) => forms.includes(c)),
        `${JSON.stringify(s)} in\n${body}`,
      ).toBe(true);
  }
}

const seen = { cases: 0, withMention: 0, withBacktick: 0, withPipe: 0, withMarkerEnd: 0, withNewline: 0 };

describe('hostile input through every renderer', () => {
  it('generated branch names are valid Git refs and reach the dangerous characters', () => {
    fc.assert(
      fc.property(branchName, (n) => isValidBranchName(n)),
      { numRuns },
    );
    const sample = fc.sample(branchName, 2000);
    for (const ch of ['@', '`', '|', '<', '>', '$', '!', '#', '%', '"', "'", '(']) {
      expect(
        sample.some((n) => n.includes(ch)),
        `a branch name with ${ch}`,
      ).toBe(true);
    }
    expect(
      sample.some((n) => /[^ -~]/.test(n)),
      'a non-ASCII branch name',
    ).toBe(true);
  });

  it('Markdown report, dashboard and MR notes: no live mention, reference, quick action, link, HTML or broken table', ({
    task,
  }) => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (hs) => {
        seen.cases++;
        const all = hs.flatMap((h) => Object.values(h)).join('');
        if (/@(all|here|\w)/.test(all)) seen.withMention++;
        if (all.includes('`')) seen.withBacktick++;
        if (all.includes('|')) seen.withPipe++;
        if (all.includes('-->')) seen.withMarkerEnd++;
        if (/[\r\n]/.test(all)) seen.withNewline++;
        const r = report(hs);
        expectInert(
          renderMarkdown(r, { now: NOW }),
          hs.flatMap((h) => [h.stackName, h.projectPath, h.ref, h.detail, h.errorMessage, h.environment]),
        );
        const dashboard = renderDashboard(r, {
          keptUntil: new Map([[r.environments[0]?.stack.id ?? '', '2026-12-01T00:00:00.000Z']]),
          recentlyDeleted: hs.map((h) => ({
            name: h.stackName,
            at: '2026-11-27T00:00:00Z',
            verdict: 'merged',
          })),
          keepDays: 7,
        });
        expectInert(
          dashboard,
          hs.map((h) => h.stackName),
        );
        for (const e of r.environments) {
          const notice = noticeBody(
            { stackId: e.stack.id, name: e.stack.name, account: e.stack.account, region: e.stack.region },
            e.verdict,
            e.reasons,
            undefined,
            ['env-reaper::keep', '@all'],
          );
          expectInert(notice, [e.stack.name, ...e.reasons.map((x) => x.detail)]);
          const note = deletedNoteBody(
            { stackId: e.stack.id, name: e.stack.name, account: e.stack.account, region: e.stack.region },
            e.verdict,
            e.reasons,
            hs[0]?.runId ?? '',
          );
          expectInert(note, [e.stack.name, ...e.reasons.map((x) => x.detail)]);
          const stack = {
            stackId: e.stack.id,
            name: e.stack.name,
            account: e.stack.account,
            region: e.stack.region,
          };
          expectInert(
            unusedNoticeBody(stack, e.reasons, 14, ['env-reaper::keep', '@all'], '2026-12-01T00:00:00Z'),
            [e.stack.name, ...e.reasons.map((x) => x.detail)],
          );
          expectInert(stoppedNoteBody(stack, e.reasons, hs[0]?.runId ?? ''), [
            e.stack.name,
            ...e.reasons.map((x) => x.detail),
          ]);
        }
      }),
      { numRuns },
    );
    (task.meta as Record<string, unknown>).coverage = seen;
    // Not vacuous: the generators reached each kind of breakout in a good share of cases.
    for (const [k, v] of Object.entries(seen))
      if (k !== 'cases') expect(v / seen.cases, k).toBeGreaterThan(0.1);
  });

  it('HTML report: outside strings stay text, every row stays one row, no live attribute', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (hs) => {
        const r = report(hs);
        const found = inspectHtml(renderHtml(r));
        expect(found.problems).toEqual([]);
        const allowed = new Set([
          'html',
          'head',
          'meta',
          'title',
          'style',
          'body',
          'h1',
          'h2',
          'p',
          'code',
          'span',
          'div',
          'figure',
          'svg',
          'g',
          'text',
          'rect',
          // The usage sparklines (issue #35): numbers only, drawn by us.
          'polyline',
          'table',
          'thead',
          'tbody',
          'tr',
          'th',
          'td',
          'ul',
          'li',
          'script',
          'strong',
          // The table's filters (issue #33): options carry outside strings as escaped text and values.
          'select',
          'option',
          'input',
          'button',
        ]);
        expect(found.elements.filter((el) => !allowed.has(el))).toEqual([]);
        expect(found.elements.filter((el) => el === 'script')).toHaveLength(1);
        expect(found.elements.filter((el) => el === 'tr')).toHaveLength(r.environments.length + 1);
        const text = found.texts.join('\u0000');
        for (const h of hs) expect(text).toContain(asCodeSpan(h.stackName, false, Number.POSITIVE_INFINITY));
      }),
      { numRuns },
    );
  });

  it('JUnit: well-formed XML 1.0 for any name, one test case per environment', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (hs) => {
        const r = report(hs);
        const xml = renderJunit(r);
        expect(xmlError(xml)).toBeUndefined();
        expect(xml.match(/<testcase /g)).toHaveLength(
          r.environments.length + r.errors.length + (r.leftovers?.resources.length ?? 0),
        );
      }),
      { numRuns },
    );
  });

  it('terminal table: no control character from outside reaches the terminal', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (hs) => {
        const out = renderTable(report(hs), { colour: false, now: NOW });
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
        expect(out.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001F\u007F-\u009F]/);
      }),
      { numRuns },
    );
  });

  it('dashboard stays under GitLab’s description limit at 50,000 environments and says what it left out', () => {
    const h: Hostile = {
      stackName: 'x'.repeat(128),
      projectPath: 'p'.repeat(255),
      ref: 'b'.repeat(255),
      environment: 'e'.repeat(255),
      detail: '🦄'.repeat(2000),
      author: 'a'.repeat(255),
      statusReason: 's'.repeat(2000),
      errorMessage: 'm',
      runId: 'r',
    };
    const r = report(Array.from({ length: 50_000 }, () => h));
    const body = renderDashboard(r, { keptUntil: new Map(), recentlyDeleted: [], keepDays: 7 });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(DASHBOARD_MAX_BYTES);
    expect(body).toMatch(/… and \d+ more not shown here/);
  });
});
