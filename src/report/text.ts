import { styleText } from 'node:util';
import { VERDICTS, type Verdict } from '../core/model.js';
import type { UsageUnknown } from '../core/usage.js';
import { codeAndWord } from '../errors/failure.js';
import { mdCode, termSafe } from '../util/safe-text.js';
import { projectLabel, type Report, type ReportEnvironment } from './json-report.js';
import { leftoverStatus, leftoverSummary } from './leftover-words.js';

/** Table (terminal) and Markdown renderers of a report. Both group environments by verdict. */

const VERDICT_COLOUR: Record<Verdict, Parameters<typeof styleText>[0]> = {
  protected: 'blue',
  busy: 'cyan',
  'delete-failed': 'red',
  unknown: 'magenta',
  unowned: 'yellow',
  'project-gone': 'yellow',
  merged: 'red',
  'branch-deleted': 'red',
  abandoned: 'yellow',
  idle: 'yellow',
  unused: 'yellow',
  active: 'green',
};

function when(e: ReportEnvironment, now: number): string {
  if (e.result === 'deleted') return 'deleted';
  if (e.result === 'failed') return `failed: ${e.error?.code ?? ''}`;
  if (e.result === 'cancelled') return `cancelled: ${e.error?.code ?? ''}`;
  if (e.action !== 'delete' && e.action !== 'stop') return e.action;
  const act = e.action;
  if (e.plan.status === 'braked') return `${act} (braked)`;
  if (e.plan.status === 'due') return `${act} now`;
  const at = e.plan.deleteAfter ? Date.parse(e.plan.deleteAfter) : Number.NaN;
  if (Number.isNaN(at)) return `${act} later`;
  const mins = Math.max(1, Math.round((at - now) / 60_000));
  return `${act} in ${mins >= 120 ? `${Math.round(mins / 60)}h` : `${mins}m`} (${e.plan.waitingFor})`;
}

/** Why usage is unknown, in a few words for a table cell (the reason's detail says it in full). */
const SHORT_WHY: Record<UsageUnknown, string> = {
  READ_FAILED: 'read failed',
  NO_MEASURED_RESOURCE: 'not measured',
  UNMEASURED_RESOURCE: 'not measured',
  METRIC_INCOMPLETE: 'incomplete',
  TOO_YOUNG: 'too recent',
  CHANGED_IN_WINDOW: 'too recent',
};

/** The "last used" cell: the last day with a request, `none in Nd`, or why it is unknown (`?`). */
export function lastUsed(e: ReportEnvironment): string {
  const u = e.usage;
  if (!u) return '';
  if (u.state === 'unknown') return `? ${u.why ? SHORT_WHY[u.why] : 'unknown'}`;
  return u.lastUsed ?? `none in ${u.daily.length}d`;
}

/** Whether the report has usage to show (the column appears only then). */
function withUsage(report: Report): boolean {
  return report.environments.some((e) => e.usage !== undefined);
}

function ref(e: ReportEnvironment): string {
  return (
    e.owner.ref ?? (e.owner.refSlug !== undefined ? `${e.owner.refSlug} (slug)` : (e.owner.environment ?? ''))
  );
}

function mainReason(e: ReportEnvironment): string {
  const r = e.reasons[0];
  return r ? `${r.code}: ${r.detail}` : '';
}

function grouped(report: Report): [Verdict, ReportEnvironment[]][] {
  return VERDICTS.map(
    (v) => [v, report.environments.filter((e) => e.verdict === v)] as [Verdict, ReportEnvironment[]],
  ).filter(([, list]) => list.length > 0);
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

function summaryLine(report: Report): string {
  const s = report.summary;
  const parts = [
    `${s.stacksScanned} stacks scanned`,
    `${s.inScope} in scope`,
    `${s.unmanaged} unmanaged`,
    `${s.due} due for deletion`,
  ];
  if (report.mode === 'apply') parts.push(`${s.deleted} deleted`, `${s.failed} failed`);
  return parts.join(' · ');
}

/** The terminal table. `colour` follows the TTY and NO_COLOR/FORCE_COLOR. */
export function renderTable(report: Report, options: { colour: boolean; now: number }): string {
  const paint = (c: Parameters<typeof styleText>[0], s: string) => (options.colour ? styleText(c, s) : s);
  const lines: string[] = [];
  lines.push(paint('bold', `env-reaper ${report.mode} · run ${report.runId}`));
  lines.push(summaryLine(report));
  if (report.summary.brake) {
    const b = report.summary.brake;
    lines.push(
      paint(
        'red',
        `BRAKE ${b.kind}: ${b.due} deletions due, limit ${b.limit}${b.kind === 'max-percent' ? `% of ${b.inScope}` : ''} — nothing will be deleted`,
      ),
    );
  }
  const usage = withUsage(report);
  const used = (e?: ReportEnvironment) => (usage ? ` ${pad(e ? lastUsed(e) : 'LAST USED', 14)}` : '');
  const header = `  ${pad('STACK', 44)} ${pad('REGION', 11)} ${pad('PROJECT', 16)} ${pad('REF', 24)} ${pad('ACTION', 26)}${used()} REASON`;
  for (const [verdict, list] of grouped(report)) {
    lines.push(
      '',
      paint(VERDICT_COLOUR[verdict], paint('bold', `${verdict} (${list.length})`)),
      paint('dim', header),
    );
    for (const e of list) {
      lines.push(
        termSafe(
          `  ${pad(e.stack.name, 44)} ${pad(e.stack.region, 11)} ${pad(projectLabel(e.owner), 16)} ${pad(ref(e), 24)} ${pad(when(e, options.now), 26)}${used(e)} ${mainReason(e)}`,
        ),
      );
    }
  }
  if (report.gitlabEnvironments) {
    const g = report.gitlabEnvironments;
    lines.push(
      '',
      paint(
        'bold',
        `GitLab environments: ${g.ghosts.length} ghosts (stack gone), ${g.stuck.length} stuck in stopping`,
      ),
    );
    for (const f of g.ghosts) lines.push(termSafe(`  ghost  ${pad(f.projectPath, 24)} ${f.name}`));
    for (const f of g.stuck)
      lines.push(termSafe(`  stuck  ${pad(f.projectPath, 24)} ${f.name} (since ${f.updatedAt ?? '?'})`));
  }
  if (report.leftovers && report.leftovers.resources.length > 0) {
    const left = report.leftovers.resources;
    lines.push(
      '',
      paint(
        'bold',
        `left behind by deleted environments (${left.length}, ${leftoverSummary(report.leftovers, report.mode)})`,
      ),
    );
    for (const l of left)
      lines.push(
        termSafe(
          `  ${pad(l.type, 18)} ${l.arn}  from ${l.stackName}, deleted ${l.deletedAt.slice(0, 10)}${l.createdAt ? `, created ${l.createdAt.slice(0, 10)}` : ''}${l.confirmed ? '' : ' (unconfirmed)'}${l.monthlyCost !== undefined ? `, ${costText(l.monthlyCost)}/month` : ''}${l.decision ? `  [${leftoverStatus(l, report.mode)}]` : ''}`,
        ),
      );
  }
  if (report.errors.length > 0) {
    lines.push(
      '',
      paint('red', `DEGRADED: ${report.errors.length} error(s); this run did less than asked (exit 1)`),
    );
    for (const err of report.errors)
      lines.push(
        termSafe(
          `  ${err.scope}: ${err.operation ? `${err.operation} ` : ''}${codeAndWord(err)} ${err.message}${err.stacks?.length ? ` [${errorEffect(err)}: ${err.stacks.join(', ')}${err.moreStacks ? ` and ${err.moreStacks} more` : ''}]` : ''}`,
        ),
      );
  }
  const calls = Object.entries(report.summary.apiCalls)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  lines.push('', paint('dim', `API calls: ${calls || 'none'}`));
  const u = report.summary.usage;
  if (u)
    lines.push(
      paint(
        'dim',
        `usage: ${u.stacks} live stack(s), ${u.unused} unused over ${u.windowDays} days; ${u.read} read, ${u.reused} reused; ${u.metricsRequested} metric(s) requested (about ${u.estimatedCostUsd} USD)`,
      ),
    );
  const api = report.gitlabApi;
  if (api) {
    // Which GitLab API served each kind of fact: projects served by GraphQL / by REST.
    const served = Object.entries(api.served)
      .filter(([, n]) => n.graphql + n.rest > 0)
      .map(([c, n]) => `${c} ${n.graphql}/${n.rest}`)
      .join(', ');
    lines.push(
      paint(
        'dim',
        `GitLab API (${api.mode}): ${api.graphqlRequests} GraphQL request(s), highest complexity ${api.maxComplexity}; projects by GraphQL/REST: ${served || 'none'}`,
      ),
    );
    for (const [c, reason] of Object.entries(api.fallbacks))
      lines.push(termSafe(paint('dim', `  REST for ${c}: ${reason}`)));
  }
  return `${lines.join('\n')}\n`;
}

/** A monthly cost as shown: unknown is said, never shown as zero. */
function costText(cost: number | null | undefined): string {
  return typeof cost === 'number' ? `${cost} USD` : cost === null ? 'unknown' : '';
}

/** An outside string in a Markdown table cell (see `util/safe-text.ts`). */
const cell = (s: string) => mdCode(s, { table: true });

/** Markdown fit for a GitLab issue, MR note or job summary. */
export function renderMarkdown(report: Report, options: { now: number }): string {
  const s = report.summary;
  const lines: string[] = [
    `## env-reaper ${report.mode} report`,
    '',
    `Run ${mdCode(report.runId)} at ${report.generatedAt}: ${summaryLine(report)}.`,
    '',
  ];
  if (s.brake) {
    lines.push(
      `> **Brake engaged** (${s.brake.kind}): ${s.brake.due} deletions due, limit ${s.brake.limit}. Nothing is deleted.`,
      '',
    );
  }
  if (s.cost) {
    lines.push(
      s.cost.known
        ? `Monthly cost of the environments in scope: **${s.cost.monthlyTotal} USD**; reaping the flagged and due ones would save **${s.cost.monthlyReapable} USD**/month${s.cost.monthlyUnused ? `; the unused ones (live, but nobody opens them) cost **${s.cost.monthlyUnused} USD**/month` : ''}.`
        : 'Monthly cost: **unknown** (the cost-allocation tag is not activated, or Cost Explorer could not be read).',
      '',
    );
  }
  const usage = withUsage(report);
  if (s.usage)
    lines.push(
      `Usage over ${s.usage.windowDays} days: **${s.usage.unused} unused** of ${s.usage.stacks} live environment(s); ${s.usage.metricsRequested} CloudWatch metric(s) requested this run (about ${s.usage.estimatedCostUsd} USD).`,
      '',
    );
  lines.push('| verdict | stacks |', '|---|---|');
  for (const [verdict, list] of grouped(report)) lines.push(`| ${verdict} | ${list.length} |`);
  for (const [verdict, list] of grouped(report)) {
    lines.push(
      '',
      `### ${verdict} (${list.length})`,
      '',
      `| stack | region | project | ref | action |${usage ? ' last used |' : ''} reasons |`,
      `|---|---|---|---|---|${usage ? '---|' : ''}---|`,
    );
    for (const e of list) {
      const reasons = e.reasons.map((r) => `\`${r.code}\` ${cell(r.detail)}`).join('; ');
      lines.push(
        `| ${cell(e.stack.name)} | ${cell(e.stack.region)} | ${cell(projectLabel(e.owner))} | ${cell(ref(e))} | ${cell(when(e, options.now))} |${usage ? ` ${cell(lastUsed(e))} |` : ''} ${reasons} |`,
      );
    }
  }
  if (report.gitlabEnvironments) {
    const g = report.gitlabEnvironments;
    lines.push('', `### GitLab environments: ${g.ghosts.length} ghosts, ${g.stuck.length} stuck in stopping`);
    if (g.ghosts.length + g.stuck.length > 0)
      lines.push('', '| project | environment | state | updated |', '|---|---|---|---|');
    for (const f of [...g.ghosts, ...g.stuck]) {
      lines.push(
        `| ${cell(f.projectPath)} | ${cell(f.name)} | ${cell(f.state)} | ${cell(f.updatedAt ?? '')} |`,
      );
    }
  }
  if (report.trend) {
    const t = report.trend;
    const list = (names: string[]) => (names.length > 0 ? names.map((n) => mdCode(n)).join(', ') : 'none');
    lines.push(
      '',
      '### trend since the previous run',
      '',
      `- new: ${list(t.new)}`,
      `- resolved: ${list(t.resolved)}`,
      `- still flagged: ${t.stillFlagged.length > 0 ? t.stillFlagged.map((f) => `${mdCode(f.name)} (${f.runs} runs)`).join(', ') : 'none'}`,
    );
    if (t.unused)
      lines.push(
        `- unused: ${t.unused.count} (previous run: ${t.unused.previous ?? 'not measured'})${t.unused.monthlyCost !== null ? `, ${t.unused.monthlyCost} USD/month (previous: ${t.unused.previousMonthlyCost ?? 'unknown'})` : ''}`,
      );
  }
  if (report.leftovers) {
    const left = report.leftovers.resources;
    lines.push(
      '',
      `### left behind by deleted environments (${left.length})`,
      '',
      `Resources still tagged with one of the ${report.leftovers.checked} environments deleted recently: ${leftoverSummary(report.leftovers, report.mode)}.`,
    );
    if (left.length > 0)
      lines.push(
        '',
        '| resource | type | deleted stack | deleted at | created | confirmed | monthly cost | status |',
        '|---|---|---|---|---|---|---|---|',
      );
    for (const l of left)
      lines.push(
        `| ${cell(l.arn)} | ${cell(l.type)} | ${cell(l.stackName)} | ${cell(l.deletedAt)} | ${cell(l.createdAt ?? '')} | ${l.confirmed ? 'yes' : 'no (no check for this type)'} | ${costText(l.monthlyCost)} | ${cell(leftoverStatus(l, report.mode))} |`,
      );
  }
  if (report.errors.length > 0) {
    lines.push(
      '',
      `### errors (${report.errors.length}): a degraded run`,
      '',
      '| scope | operation | code | message | stacks |',
      '|---|---|---|---|---|',
    );
    for (const e of report.errors)
      lines.push(
        `| ${cell(e.scope)} | ${cell(e.operation ?? '')} | ${cell(codeAndWord(e))} | ${cell(e.message)} | ${cell(e.stacks?.length ? `${errorEffect(e)}: ${e.stacks.join(', ')}${e.moreStacks ? ` and ${e.moreStacks} more` : ''}` : '')} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** What a failure meant for the stacks it names, in words. */
export function errorEffect(e: Report['errors'][number]): string {
  if (e.effect === 'kept') return 'kept';
  if (e.effect === 'not-done') return 'follow-up not done';
  if (e.effect === 'less-reported') return 'reported with less';
  return 'affected';
}
