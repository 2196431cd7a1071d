import { codeAndWord } from '../errors/failure.js';
import { decodeMarkerPart, mdCode, mdMarker } from '../util/safe-text.js';
import { projectLabel, type Report } from './json-report.js';
import { leftoverStatus, leftoverSummary } from './leftover-words.js';
import { errorEffect } from './text.js';

/**
 * The dashboard issue (Renovate's Dependency Dashboard is the model): one issue, edited in place every
 * run. Scheduled environments carry a task-list checkbox; a ticked box is read back by the next run and
 * keeps that stack for `keepDays`. Rendering and parsing are pure; the executor does the writes.
 *
 * Every outside string is a code span (`util/safe-text.ts`), so no branch name, author or error text
 * becomes a mention, reference, quick action, link or HTML; each section is capped so the description
 * stays under GitLab's limit at any estate size.
 */

/** The hidden marker that identifies the dashboard issue's body. */
export const DASHBOARD_MARKER = mdMarker('dashboard');

/** GitLab rejects an issue description over 1 MiB of UTF-8 (`MAX_TEXT_SIZE_LIMIT`); stay below it. */
export const DASHBOARD_MAX_BYTES = 1_000_000;

/** Rows per section before the rest is summarised as a count (halved until the body fits). */
export const DASHBOARD_ROWS_PER_SECTION = 500;

const BOX = /^- \[( |x|X)\] .*<!-- env-reaper:keep (\S+) -->\s*$/;
// Markers written before version 0.2 (`<!-- keep:ARN -->`) are still read, so no keep is lost on upgrade.
const OLD_BOX = /^- \[( |x|X)\] .*<!-- keep:(\S+) -->\s*$/;

/** Checkbox states in a dashboard body: stack id → ticked. */
export function parseKeepBoxes(body: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of body.split('\n')) {
    const m = BOX.exec(line.trim()) ?? OLD_BOX.exec(line.trim());
    if (m) out.set(decodeMarkerPart(m[2] as string), m[1] !== ' ');
  }
  return out;
}

/** What the dashboard needs beyond the report. */
export interface DashboardContext {
  keptUntil: Map<string, string>;
  recentlyDeleted: { name: string; at: string; verdict: string }[];
  keepDays: number;
  /** Where the full report is (the job's artifacts in a pipeline); named when a section is cut. */
  reportUrl?: string | undefined;
  /** Rows per section; tests lower it. Default {@link DASHBOARD_ROWS_PER_SECTION}. */
  rowsPerSection?: number;
}

type Env = Report['environments'][number];

const cell = (s: string) => mdCode(s, { table: true });

/** Renders the dashboard body for this run, within {@link DASHBOARD_MAX_BYTES}. */
export function renderDashboard(report: Report, ctx: DashboardContext): string {
  let rows = ctx.rowsPerSection ?? DASHBOARD_ROWS_PER_SECTION;
  for (;;) {
    const body = renderWith(report, ctx, rows);
    if (new TextEncoder().encode(body).length <= DASHBOARD_MAX_BYTES || rows <= 1) return body;
    rows = Math.floor(rows / 2);
  }
}

function renderWith(report: Report, ctx: DashboardContext, maxRows: number): string {
  const s = report.summary;
  const byId = new Map(report.environments.map((e) => [e.stack.id, e]));
  // Deleted in this run: listed under "recently deleted", not offered a keep box any more.
  const scheduled = report.environments.filter(
    (e) => e.action === 'delete' && e.result !== 'deleted' && !ctx.keptUntil.has(e.stack.id),
  );
  // Unused environments have their own section, with keep boxes: live, so a person decides.
  const unused = report.environments.filter(
    (e) => e.verdict === 'unused' && e.result !== 'deleted' && !ctx.keptUntil.has(e.stack.id),
  );
  const flagged = report.environments.filter((e) => e.action === 'flag' && e.verdict !== 'unused');
  const stuck = report.environments.filter((e) => e.verdict === 'delete-failed');
  const now = Date.parse(report.generatedAt);
  const who = (e: Env, table = false) => {
    const code = (t: string) => mdCode(t, { table });
    const mr = e.mergeRequest
      ? `, !${e.mergeRequest.iid}${e.mergeRequest.author ? ` by ${code(`@${e.mergeRequest.author}`)}` : ''}`
      : '';
    const age = Math.floor((now - Date.parse(e.stack.createdAt)) / 86_400_000);
    return `${code(projectLabel(e.owner))}, branch ${code(e.owner.ref ?? e.owner.refSlug ?? '?')}${mr}, ${age} days old`;
  };
  const runs = new Map((report.trend?.stillFlagged ?? []).map((f) => [f.name, f.runs]));
  const cut = (shown: number, total: number): string[] =>
    total > shown
      ? [
          '',
          `… and ${total - shown} more not shown here; the full list is in the run's report${ctx.reportUrl ? ` (${ctx.reportUrl})` : ' (JSON or HTML artifact)'}.`,
        ]
      : [];
  const lines = [
    DASHBOARD_MARKER,
    '## env-reaper dashboard',
    '',
    `Last run ${mdCode(report.runId)} (${report.mode}) at ${report.generatedAt}: ${s.inScope} environments in scope, ${scheduled.length} scheduled for deletion, ${flagged.length} flagged, ${s.deleted} deleted in this run.${s.cost ? (s.cost.known ? ` Monthly cost ${s.cost.monthlyTotal} USD, reapable ${s.cost.monthlyReapable} USD.` : ' Monthly cost unknown.') : ''}`,
    '',
    ...degradedLines(report),
    `### Scheduled for deletion (${scheduled.length})`,
    '',
    `Tick a box to keep that environment for ${ctx.keepDays} days; the next run reads it back.`,
    '',
  ];
  for (const e of scheduled.slice(0, maxRows)) {
    const reason = e.reasons[0] ? `${e.reasons[0].code}: ${e.reasons[0].detail}` : e.verdict;
    const when = e.plan.status === 'due' ? 'due now' : `after ${e.plan.deleteAfter ?? '?'}`;
    lines.push(
      `- [ ] keep ${mdCode(e.stack.name)} (${who(e)}): ${e.verdict}, ${mdCode(reason)}; deletion ${when} ${mdMarker('keep', e.stack.id)}`,
    );
  }
  lines.push(...cut(Math.min(maxRows, scheduled.length), scheduled.length));
  if (s.usage) {
    lines.push(
      '',
      `### Unused: no request for ${s.usage.windowDays} days (${unused.length})`,
      '',
      `Live environments (branch and merge request open) that nobody opened.${typeof s.cost?.monthlyUnused === 'number' ? ` They cost ${s.cost.monthlyUnused} USD/month.` : ''} Tick a box to keep one as it is for ${ctx.keepDays} days.`,
      '',
    );
    for (const e of unused.slice(0, maxRows)) {
      const last = e.usage?.lastUsed
        ? `last used ${mdCode(e.usage.lastUsed)}`
        : `not used in the ${e.usage?.daily.length ?? 0} days read`;
      const what =
        e.action === 'stop'
          ? `; stop through its on_stop job ${e.plan.status === 'due' ? 'due now' : `after ${e.plan.deleteAfter ?? '?'}`}`
          : '';
      const cost = typeof e.monthlyCost === 'number' ? `, ${e.monthlyCost} USD/month` : '';
      lines.push(
        `- [ ] keep ${mdCode(e.stack.name)} (${who(e)}): ${last}${cost}${what} ${mdMarker('keep', e.stack.id)}`,
      );
    }
    lines.push(...cut(Math.min(maxRows, unused.length), unused.length));
  }
  if (ctx.keptUntil.size > 0) {
    lines.push(
      '',
      `### Kept from this dashboard (${ctx.keptUntil.size})`,
      '',
      'Untick to let env-reaper schedule it again.',
      '',
    );
    // Every kept box is listed: dropping one would read as "unticked" and end the keep.
    for (const [id, until] of ctx.keptUntil) {
      const name = byId.get(id)?.stack.name ?? id;
      lines.push(`- [x] keep ${mdCode(name)}: kept until ${until} ${mdMarker('keep', id)}`);
    }
  }
  lines.push('', `### Flagged for a human (${flagged.length})`, '');
  if (flagged.length > 0) {
    lines.push('| stack | owner | verdict | reason | monthly cost |', '|---|---|---|---|---|');
    for (const e of flagged.slice(0, maxRows))
      lines.push(
        `| ${cell(e.stack.name)} | ${who(e, true)} | ${e.verdict} | ${cell(e.reasons[0]?.detail ?? '')} | ${typeof e.monthlyCost === 'number' ? `${e.monthlyCost} USD` : e.monthlyCost === null ? 'unknown' : ''} |`,
      );
    lines.push(...cut(Math.min(maxRows, flagged.length), flagged.length));
  }
  lines.push('', `### Recently deleted (${ctx.recentlyDeleted.length})`, '');
  for (const d of ctx.recentlyDeleted.slice(0, maxRows))
    lines.push(`- ${mdCode(d.name)} (${mdCode(d.verdict)}) at ${mdCode(d.at)}`);
  lines.push(...cut(Math.min(maxRows, ctx.recentlyDeleted.length), ctx.recentlyDeleted.length));
  lines.push('', `### Stuck: DELETE_FAILED (${stuck.length})`, '');
  for (const e of stuck.slice(0, maxRows)) {
    const n = runs.get(e.stack.name);
    lines.push(
      `- ${mdCode(e.stack.name)}${n ? ` (for ${n} runs)` : ''}: ${mdCode(e.stack.statusReason ?? '')}`,
    );
  }
  lines.push(...cut(Math.min(maxRows, stuck.length), stuck.length));
  const left = report.leftovers?.resources ?? [];
  if (report.leftovers) {
    lines.push('', `### Left behind by deleted environments (${left.length})`, '');
    if (left.length > 0)
      lines.push(
        `Still tagged with an environment that was deleted: ${leftoverSummary(report.leftovers, report.mode)}. A keep tag on a resource keeps it.`,
        '',
        '| resource | type | deleted stack | deleted at | monthly cost | status |',
        '|---|---|---|---|---|---|',
      );
    for (const l of left.slice(0, maxRows))
      lines.push(
        `| ${cell(l.arn)}${l.confirmed ? '' : ' (unconfirmed)'} | ${cell(l.type)} | ${cell(l.stackName)} | ${cell(l.deletedAt)} | ${typeof l.monthlyCost === 'number' ? `${l.monthlyCost} USD` : l.monthlyCost === null ? 'unknown' : ''} | ${cell(leftoverStatus(l, report.mode))} |`,
      );
    lines.push(...cut(Math.min(maxRows, left.length), left.length));
  }
  if (report.trend) {
    const t = report.trend;
    lines.push(
      '',
      '### Trend',
      '',
      `${t.new.length} new, ${t.resolved.length} resolved, ${t.stillFlagged.length} still flagged since the previous run.${t.unused ? ` Unused: ${t.unused.count} (previous run: ${t.unused.previous ?? 'not measured'})${t.unused.monthlyCost !== null ? `, ${t.unused.monthlyCost} USD/month` : ''}.` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Errors shown on the dashboard before the rest of the list is cut. */
const DASHBOARD_MAX_ERRORS = 20;

/** A degraded run says so at the top of the dashboard: what failed, and what it cost. */
function degradedLines(report: Report): string[] {
  if (report.errors.length === 0) return [];
  const lines = [
    `> **Degraded run**: ${report.errors.length} call(s) failed, so this run did less than asked (exit 1). Stacks a failed check guards are kept, never deleted.`,
    '',
  ];
  for (const e of report.errors.slice(0, DASHBOARD_MAX_ERRORS))
    lines.push(
      `- ${mdCode(e.scope)}: ${e.operation ? `${mdCode(e.operation)} ` : ''}${mdCode(codeAndWord(e))}${e.stacks?.length ? ` (${e.stacks.length + (e.moreStacks ?? 0)} stack(s) ${errorEffect(e)})` : ''}`,
    );
  if (report.errors.length > DASHBOARD_MAX_ERRORS)
    lines.push(`- … and ${report.errors.length - DASHBOARD_MAX_ERRORS} more in the run's report`);
  lines.push('');
  return lines;
}
