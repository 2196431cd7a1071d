import type { Report } from './json-report.js';

/**
 * The dashboard issue (Renovate's Dependency Dashboard is the model): one issue, edited in place every
 * run. Scheduled environments carry a task-list checkbox; a ticked box is read back by the next run and
 * keeps that stack for `keepDays`. Rendering and parsing are pure; the executor does the writes.
 */

/** The hidden marker that identifies the dashboard issue's body. */
export const DASHBOARD_MARKER = '<!-- env-reaper:dashboard -->';

const BOX = /^- \[( |x|X)\] .*<!-- keep:(\S+) -->\s*$/;

/** Checkbox states in a dashboard body: stack id → ticked. */
export function parseKeepBoxes(body: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of body.split('\n')) {
    const m = BOX.exec(line.trim());
    if (m) out.set(m[2] as string, m[1] !== ' ');
  }
  return out;
}

/** What the dashboard needs beyond the report. */
export interface DashboardContext {
  keptUntil: Map<string, string>;
  recentlyDeleted: { name: string; at: string; verdict: string }[];
  keepDays: number;
}

const md = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Renders the dashboard body for this run. */
export function renderDashboard(report: Report, ctx: DashboardContext): string {
  const s = report.summary;
  const byId = new Map(report.environments.map((e) => [e.stack.id, e]));
  // Deleted in this run: listed under "recently deleted", not offered a keep box any more.
  const scheduled = report.environments.filter(
    (e) => e.action === 'delete' && e.result !== 'deleted' && !ctx.keptUntil.has(e.stack.id),
  );
  const flagged = report.environments.filter((e) => e.action === 'flag');
  const stuck = report.environments.filter((e) => e.verdict === 'delete-failed');
  const now = Date.parse(report.generatedAt);
  const who = (e: Report['environments'][number]) => {
    const project = e.owner.projectPath ?? (e.owner.projectId !== undefined ? `#${e.owner.projectId}` : '?');
    const mr = e.mergeRequest
      ? `, !${e.mergeRequest.iid}${e.mergeRequest.author ? ` by @${e.mergeRequest.author}` : ''}`
      : '';
    const age = Math.floor((now - Date.parse(e.stack.createdAt)) / 86_400_000);
    return `${project}, branch \`${e.owner.ref ?? e.owner.refSlug ?? '?'}\`${mr}, ${age} days old`;
  };
  const runs = new Map((report.trend?.stillFlagged ?? []).map((f) => [f.name, f.runs]));
  const lines = [
    DASHBOARD_MARKER,
    '## env-reaper dashboard',
    '',
    `Last run \`${report.runId}\` (${report.mode}) at ${report.generatedAt}: ${s.inScope} environments in scope, ${scheduled.length} scheduled for deletion, ${flagged.length} flagged, ${s.deleted} deleted in this run.${s.cost ? (s.cost.known ? ` Monthly cost $${s.cost.monthlyTotal}, reapable $${s.cost.monthlyReapable}.` : ' Monthly cost unknown.') : ''}`,
    '',
    `### Scheduled for deletion (${scheduled.length})`,
    '',
    `Tick a box to keep that environment for ${ctx.keepDays} days; the next run reads it back.`,
    '',
  ];
  for (const e of scheduled) {
    const reason = e.reasons[0] ? `${e.reasons[0].code}: ${e.reasons[0].detail}` : e.verdict;
    const when = e.plan.status === 'due' ? 'due now' : `after ${e.plan.deleteAfter ?? '?'}`;
    lines.push(
      `- [ ] keep \`${e.stack.name}\` (${who(e)}): ${e.verdict}, ${md(reason)}; deletion ${when} <!-- keep:${e.stack.id} -->`,
    );
  }
  if (ctx.keptUntil.size > 0) {
    lines.push(
      '',
      `### Kept from this dashboard (${ctx.keptUntil.size})`,
      '',
      'Untick to let env-reaper schedule it again.',
      '',
    );
    for (const [id, until] of ctx.keptUntil) {
      const name = byId.get(id)?.stack.name ?? id;
      lines.push(`- [x] keep \`${name}\`: kept until ${until} <!-- keep:${id} -->`);
    }
  }
  lines.push('', `### Flagged for a human (${flagged.length})`, '');
  if (flagged.length > 0) {
    lines.push('| stack | owner | verdict | reason | monthly cost |', '|---|---|---|---|---|');
    for (const e of flagged)
      lines.push(
        `| \`${e.stack.name}\` | ${md(who(e))} | ${e.verdict} | ${md(e.reasons[0]?.detail ?? '')} | ${typeof e.monthlyCost === 'number' ? `$${e.monthlyCost}` : e.monthlyCost === null ? 'unknown' : ''} |`,
      );
  }
  lines.push('', `### Recently deleted (${ctx.recentlyDeleted.length})`, '');
  for (const d of ctx.recentlyDeleted) lines.push(`- \`${d.name}\` (${d.verdict}) at ${d.at}`);
  lines.push('', `### Stuck: DELETE_FAILED (${stuck.length})`, '');
  for (const e of stuck) {
    const n = runs.get(e.stack.name);
    lines.push(`- \`${e.stack.name}\`${n ? ` (for ${n} runs)` : ''}: ${md(e.stack.statusReason ?? '')}`);
  }
  if (report.trend) {
    const t = report.trend;
    lines.push(
      '',
      '### Trend',
      '',
      `${t.new.length} new, ${t.resolved.length} resolved, ${t.stillFlagged.length} still flagged since the previous run.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
