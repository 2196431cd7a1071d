import { xmlEscape as esc } from '../util/safe-text.js';
import { projectLabel, type Report, type ReportEnvironment } from './json-report.js';
import { leftoverStatus } from './leftover-words.js';

/**
 * JUnit XML for GitLab's `artifacts:reports:junit`: one test case per in-scope stack, grouped in one
 * suite per verdict, so the pipeline's Tests tab lists them. A stack that is flagged, due, deleted or
 * failed is a failing test case (someone should know); kept stacks pass. Hand-written: the format is a
 * dozen elements, and the XML libraries on npm add more than they save here.
 */

function failing(e: ReportEnvironment): string | undefined {
  if (e.result === 'deleted') return `deleted (${e.verdict})`;
  if (e.result === 'failed')
    return `deletion failed: ${e.error?.code ?? ''} ${e.error?.message ?? ''}`.trim();
  if (e.action === 'flag') return `flagged: ${e.verdict}`;
  if (e.action === 'delete')
    return `${e.verdict}: ${e.plan.status === 'due' ? 'due for deletion' : `deletion ${e.plan.status}`}`;
  if (e.action === 'stop')
    return `${e.verdict}: ${e.plan.status === 'due' ? 'due to be stopped' : `stop ${e.plan.status}`}`;
  return undefined;
}

/** Renders the report as JUnit XML. */
export function renderJunit(report: Report): string {
  const suites = new Map<string, ReportEnvironment[]>();
  for (const e of report.environments) suites.set(e.verdict, [...(suites.get(e.verdict) ?? []), e]);
  const left = report.leftovers?.resources ?? [];
  const total = report.environments.length + left.length;
  // A leftover fails its case until it is gone (deleted by this run, or gone before it).
  const gone = (l: (typeof left)[number]) => l.result?.result === 'deleted' || l.result?.result === 'gone';
  const leftFailing = left.filter((l) => !gone(l)).length;
  const failures = report.environments.filter((e) => failing(e) !== undefined).length + leftFailing;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="env-reaper ${esc(report.mode)}" tests="${total}" failures="${failures}" errors="${report.errors.length}">`,
  ];
  for (const [verdict, list] of suites) {
    const f = list.filter((e) => failing(e) !== undefined).length;
    lines.push(
      `  <testsuite name="${esc(verdict)}" tests="${list.length}" failures="${f}" errors="0" timestamp="${esc(report.generatedAt)}">`,
    );
    for (const e of list) {
      const name = `${e.stack.name} (${e.stack.account}/${e.stack.region})`;
      const project = projectLabel(e.owner);
      lines.push(
        `    <testcase classname="${esc(`env-reaper.${project}`)}" name="${esc(name)}" file="${esc(e.stack.id)}">`,
      );
      const why = failing(e);
      const reasons = e.reasons.map((r) => `${r.code}: ${r.detail}${r.at ? ` (${r.at})` : ''}`).join('\n');
      if (why !== undefined)
        lines.push(`      <failure message="${esc(why)}" type="${esc(e.verdict)}">${esc(reasons)}</failure>`);
      lines.push(`      <system-out>${esc(reasons)}</system-out>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  if (left.length > 0) {
    // A leftover is a failing case: someone should look at what is still billed.
    lines.push(
      `  <testsuite name="leftovers" tests="${left.length}" failures="${leftFailing}" errors="0" timestamp="${esc(report.generatedAt)}">`,
    );
    for (const l of left) {
      lines.push(
        `    <testcase classname="env-reaper.leftovers" name="${esc(l.arn)}" file="${esc(l.stackId)}">`,
      );
      if (!gone(l))
        lines.push(
          `      <failure message="${esc(`left behind by ${l.stackName}`)}" type="leftover">${esc(`${l.type}, deleted ${l.deletedAt}${l.confirmed ? '' : ', unconfirmed'}${l.decision ? `, ${leftoverStatus(l, report.mode)}` : ''}`)}</failure>`,
        );
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  if (report.errors.length > 0) {
    lines.push(
      `  <testsuite name="lookup errors" tests="${report.errors.length}" failures="0" errors="${report.errors.length}">`,
    );
    for (const err of report.errors) {
      lines.push(`    <testcase classname="env-reaper.errors" name="${esc(err.scope)}">`);
      lines.push(`      <error message="${esc(err.code)}">${esc(err.message)}</error>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
