import { VERDICTS, type Verdict } from '../core/model.js';
import { codeAndWord } from '../errors/failure.js';
import { htmlEscape as esc } from '../util/safe-text.js';
import { projectLabel, type Report, type ReportEnvironment } from './json-report.js';
import { leftoverStatus, leftoverSummary } from './leftover-words.js';

/**
 * One self-contained HTML file: no external assets (the machines that view it may be offline), charts as
 * inline SVG, and a table sortable by any column, with filters (verdict, action, project, region), a text
 * search and pages of 200 rows, in a few lines of inline script. Every row is in the file, escaped as
 * HTML like every other string; rows past the page are `hidden`, so a 50,000-stack report lays out 200
 * rows, not 50,000. Hand-written: a chart or grid library would have to be inlined whole.
 */

/** Rows shown at once; "show more" adds as many. */
const PAGE = 200;

const COLOURS: Record<Verdict, string> = {
  protected: '#1f77b4',
  busy: '#17becf',
  'delete-failed': '#d62728',
  unknown: '#9467bd',
  unowned: '#bcbd22',
  'project-gone': '#ff7f0e',
  merged: '#e377c2',
  'branch-deleted': '#8c564b',
  abandoned: '#7f7f7f',
  idle: '#aec7e8',
  unused: '#dbdb8d',
  active: '#2ca02c',
};

const AGE_BUCKETS: [string, number][] = [
  ['< 1 day', 1],
  ['1–7 days', 7],
  ['7–30 days', 30],
  ['30–90 days', 90],
  ['> 90 days', Number.POSITIVE_INFINITY],
];

function ageDays(e: ReportEnvironment, now: number): number {
  return Math.max(0, (now - Date.parse(e.stack.createdAt)) / 86_400_000);
}

/** A horizontal bar chart as inline SVG; each bar carries its label and count as data attributes. */
function barChart(
  id: string,
  title: string,
  bars: { label: string; count: number; colour: string }[],
): string {
  const rowH = 22;
  const labelW = 120;
  const width = 520;
  const max = Math.max(1, ...bars.map((b) => b.count));
  const height = bars.length * rowH + 30;
  const rows = bars
    .map((b, i) => {
      const y = 24 + i * rowH;
      const w = Math.round(((width - labelW - 50) * b.count) / max);
      return `<g class="bar" data-label="${esc(b.label)}" data-count="${b.count}"><text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text><rect x="${labelW}" y="${y}" width="${w}" height="${rowH - 6}" fill="${b.colour}"></rect><text x="${labelW + w + 6}" y="${y + 14}">${b.count}</text></g>`;
    })
    .join('');
  return `<figure><svg id="${id}" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title><text x="0" y="14" class="title">${esc(title)}</text>${rows}</svg></figure>`;
}

/**
 * Requests per day as a small inline SVG line (oldest left); each day's count is in the `data-daily`
 * attribute and the title, so the figure is readable without seeing it.
 */
export function sparkline(daily: number[]): string {
  const w = 120;
  const h = 20;
  const max = Math.max(1, ...daily);
  const step = daily.length > 1 ? w / (daily.length - 1) : w;
  const points = daily
    .map((n, i) => `${(i * step).toFixed(1)},${(h - 1 - ((h - 2) * n) / max).toFixed(1)}`)
    .join(' ');
  const total = daily.reduce((a, b) => a + b, 0);
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${total} requests in ${daily.length} days" data-daily="${daily.join(',')}" xmlns="http://www.w3.org/2000/svg"><title>${total} requests in ${daily.length} days</title><polyline fill="none" stroke="${total > 0 ? '#4e79a7' : '#bbb'}" stroke-width="1.5" points="${points}"></polyline></svg>`;
}

/** The "last used" cell: the day, why it is unknown, and the traffic per day. */
function usageCell(e: ReportEnvironment): string {
  const u = e.usage;
  if (!u) return '<td></td>';
  const text =
    u.state === 'unknown'
      ? `unknown${u.why ? ` (${u.why})` : ''}`
      : (u.lastUsed ?? `none in ${u.daily.length}d`);
  return `<td data-sort="${esc(u.lastUsed ?? '')}">${esc(text)}${u.daily.length > 0 ? ` ${sparkline(u.daily)}` : ''}</td>`;
}

/** Renders the report as one HTML file. */
export function renderHtml(report: Report): string {
  const now = Date.parse(report.generatedAt);
  const s = report.summary;
  const byVerdict = VERDICTS.filter((v) => (s.byVerdict[v] ?? 0) > 0).map((v) => ({
    label: v,
    count: s.byVerdict[v] ?? 0,
    colour: COLOURS[v],
  }));
  const ages = AGE_BUCKETS.map(([label, upTo], i) => {
    const from = i === 0 ? 0 : (AGE_BUCKETS[i - 1]?.[1] ?? 0);
    const count = report.environments.filter((e) => {
      const d = ageDays(e, now);
      return d >= from && d < upTo;
    }).length;
    return { label, count, colour: '#4e79a7' };
  });
  const cost = s.cost;
  const costChart =
    cost?.known === true
      ? `${barChart(
          'chart-cost',
          `Monthly cost by project (USD; reaping flagged and due saves ${cost.monthlyReapable})`,
          Object.entries(cost.byProject)
            .sort((a, b) => b[1] - a[1])
            .map(([label, count]) => ({ label, count, colour: '#e15759' })),
        )}`
      : `<figure id="chart-cost"><p><strong>Cost by project</strong></p><p class="muted">${cost ? 'Cost unknown: the cost-allocation tag is not activated, or Cost Explorer could not be read.' : 'Cost unknown: cost enrichment is not enabled for this run.'}</p></figure>`;
  const withUsage = report.environments.some((e) => e.usage !== undefined);
  const unusedList = report.environments.filter((e) => e.verdict === 'unused');
  const unused = s.usage
    ? `<h2>Unused environments</h2><p id="unused" data-unused="${unusedList.length}">${unusedList.length} of ${s.usage.stacks} live environments had no request for ${s.usage.windowDays} days${typeof cost?.monthlyUnused === 'number' ? `; they cost ${cost.monthlyUnused} USD/month` : ''}. ${s.usage.metricsRequested} CloudWatch metrics requested this run (about ${s.usage.estimatedCostUsd} USD).</p><ul>${unusedList.map((e) => `<li><code>${esc(e.stack.name)}</code> (${esc(projectLabel(e.owner))}${e.mergeRequest ? ` !${e.mergeRequest.iid}` : ''}): last used ${esc(e.usage?.lastUsed ?? 'not in the days read')}, ${esc(e.action)}${typeof e.monthlyCost === 'number' ? `, ${e.monthlyCost} USD/month` : ''} ${sparkline(e.usage?.daily ?? [])}</li>`).join('')}</ul>`
    : '';
  const rows = report.environments
    .map((e, i) => {
      const project = projectLabel(e.owner);
      const reason = e.reasons[0] ? `${e.reasons[0].code}: ${e.reasons[0].detail}` : '';
      const age = ageDays(e, now);
      const data = `data-verdict="${esc(e.verdict)}" data-action="${esc(e.action)}" data-project="${esc(project)}" data-region="${esc(e.stack.region)}"`;
      return `<tr ${data}${i >= PAGE ? ' hidden' : ''}><td>${esc(e.stack.name)}</td><td>${esc(e.stack.account)}/${esc(e.stack.region)}</td><td>${esc(project)}</td><td>${esc(e.owner.ref ?? e.owner.refSlug ?? '')}</td><td><span class="v" style="background:${esc(COLOURS[e.verdict])}">${esc(e.verdict)}</span></td><td>${esc(e.action)} (${esc(e.plan.status)})</td><td data-sort="${age.toFixed(3)}">${age.toFixed(1)}</td><td>${esc(reason)}</td>${withUsage ? usageCell(e) : ''}</tr>`;
    })
    .join('\n');
  const errors =
    report.errors.length === 0
      ? ''
      : `<h2>Errors (${report.errors.length})</h2><ul id="errors">${report.errors.map((e) => `<li><code>${esc(codeAndWord(e))}</code> ${esc(e.scope)}: ${esc(e.message)}</li>`).join('')}</ul>`;
  const trend = report.trend
    ? `<h2>Trend since the previous run</h2><ul id="trend"><li>new: <span data-count="${report.trend.new.length}">${report.trend.new.length}</span> ${esc(report.trend.new.join(', '))}</li><li>resolved: <span data-count="${report.trend.resolved.length}">${report.trend.resolved.length}</span> ${esc(report.trend.resolved.join(', '))}</li><li>still flagged: <span data-count="${report.trend.stillFlagged.length}">${report.trend.stillFlagged.length}</span> ${esc(report.trend.stillFlagged.map((f) => `${f.name} (${f.runs} runs)`).join(', '))}</li></ul>`
    : '';
  const g = report.gitlabEnvironments;
  const ghosts = g
    ? `<h2>GitLab environments</h2><p id="ghosts" data-ghosts="${g.ghosts.length}" data-stuck="${g.stuck.length}">${g.ghosts.length} ghosts (stack gone), ${g.stuck.length} stuck in stopping</p><ul>${[...g.ghosts, ...g.stuck].map((f) => `<li>${esc(f.projectPath)}: <code>${esc(f.name)}</code> (${esc(f.state)})</li>`).join('')}</ul>`
    : '';
  const left = report.leftovers;
  const leftovers = left
    ? `<h2>Left behind by deleted environments</h2><p id="leftovers" data-leftovers="${left.resources.length}">${left.resources.length} resources still tagged with one of ${left.checked} recently deleted environments (${esc(leftoverSummary(left, report.mode))})</p><ul>${left.resources.map((l) => `<li><code>${esc(l.arn)}</code> (${esc(l.type)}) from <code>${esc(l.stackName)}</code>, deleted ${esc(l.deletedAt)}${typeof l.monthlyCost === 'number' ? `, ${l.monthlyCost} USD/month` : l.monthlyCost === null ? ', cost unknown' : ''}${l.confirmed ? '' : ' <span class="muted">unconfirmed</span>'}${l.decision ? ` <span class="leftover-status" data-status="${esc(l.result?.result ?? l.decision.status)}">${esc(leftoverStatus(l, report.mode))}</span>` : ''}</li>`).join('')}</ul>`
    : '';
  const brake = s.brake
    ? `<p class="brake">Brake engaged (${esc(s.brake.kind)}): ${s.brake.due} deletions due, limit ${s.brake.limit}. Nothing is deleted.</p>`
    : '';
  // Due before and after the brakes: a brake holds every deletion, so "0 due" alone would mislead.
  const due = s.brake ? `${s.due} due after the brake (${s.brake.due} before)` : `${s.due} due`;
  const options = (name: string, values: string[]) =>
    `<select id="f-${name}" aria-label="${name}"><option value="">every ${name}</option>${[...new Set(values)]
      .sort()
      .map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)
      .join('')}</select>`;
  const filters = `<div id="filters">${options(
    'verdict',
    report.environments.map((e) => e.verdict),
  )} ${options(
    'action',
    report.environments.map((e) => e.action),
  )} ${options(
    'project',
    report.environments.map((e) => projectLabel(e.owner)),
  )} ${options(
    'region',
    report.environments.map((e) => e.stack.region),
  )} <input id="f-search" type="search" placeholder="search stack, project, ref, reason" aria-label="search"> <span id="shown"></span> <button id="more" type="button">show ${PAGE} more</button></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>env-reaper ${esc(report.mode)} report ${esc(report.runId)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}.summary span{display:inline-block;margin-right:16px}
.charts{display:flex;flex-wrap:wrap;gap:24px}figure{margin:0}
svg text{font-size:12px}svg .title{font-weight:600}
table{border-collapse:collapse;width:100%;margin-top:12px}th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f5f5f5;user-select:none}th[aria-sort]::after{content:attr(data-arrow)}
.v{color:#fff;border-radius:3px;padding:0 4px}.brake{color:#b00;font-weight:600}.muted{color:#777}
</style></head><body>
<h1>env-reaper ${esc(report.mode)} report</h1>
<p class="muted">Run <code>${esc(report.runId)}</code> at ${esc(report.generatedAt)}</p>
<p class="summary" id="summary"><span>${s.stacksScanned} stacks scanned</span><span id="in-scope">${s.inScope} in scope</span><span>${s.unmanaged} unmanaged</span><span id="due">${due}</span><span>${s.deleted} deleted</span><span>${s.failed} failed</span></p>
${brake}
<div class="charts">
${barChart('chart-verdicts', 'Environments by verdict', byVerdict)}
${barChart('chart-ages', 'Age of stacks', ages)}
${costChart}
</div>
${unused}
${trend}
${ghosts}
${leftovers}
<h2>Environments</h2>
${filters}
<table id="environments"><thead><tr><th>stack</th><th>where</th><th>project</th><th>ref</th><th>verdict</th><th>action</th><th>age (days)</th><th>reason</th>${withUsage ? '<th>last used</th>' : ''}</tr></thead>
<tbody>
${rows}
</tbody></table>
${errors}
<script>
// Filters, search and pages: every row stays in the table; only the first matches are shown.
var limit = ${PAGE};
function apply() {
  var want = {};
  ['verdict', 'action', 'project', 'region'].forEach(function (f) { want[f] = document.getElementById('f-' + f).value; });
  var text = document.getElementById('f-search').value.toLowerCase();
  var rows = document.querySelector('#environments tbody').rows, matching = 0, shown = 0;
  for (var i = 0; i < rows.length; i++) {
    var r = rows[i], ok = true;
    for (var f in want) if (want[f] && r.getAttribute('data-' + f) !== want[f]) ok = false;
    if (ok && text) ok = r.textContent.toLowerCase().indexOf(text) >= 0;
    if (ok) matching++;
    var show = ok && shown < limit;
    if (show) shown++;
    r.hidden = !show;
  }
  document.getElementById('shown').textContent = 'showing ' + shown + ' of ' + matching + ' matching (' + rows.length + ' in all)';
  document.getElementById('more').hidden = shown >= matching;
}
['verdict', 'action', 'project', 'region'].forEach(function (f) {
  document.getElementById('f-' + f).addEventListener('change', function () { limit = ${PAGE}; apply(); });
});
document.getElementById('f-search').addEventListener('input', function () { limit = ${PAGE}; apply(); });
document.getElementById('more').addEventListener('click', function () { limit += ${PAGE}; apply(); });
apply();
// Sort the table by the clicked column; numbers (data-sort) numerically, text alphabetically.
document.querySelectorAll('#environments th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    document.querySelectorAll('#environments th').forEach(function (o) { o.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    th.setAttribute('data-arrow', asc ? ' ▲' : ' ▼');
    var body = document.querySelector('#environments tbody');
    var rows = Array.prototype.slice.call(body.rows);
    var key = function (r) { var c = r.cells[col]; return c.hasAttribute('data-sort') ? Number(c.getAttribute('data-sort')) : c.textContent; };
    rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); });
    rows.forEach(function (r) { body.appendChild(r); });
    apply();
  });
});
</script>
</body></html>
`;
}
