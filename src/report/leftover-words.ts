import type { Report } from './json-report.js';

/** How the reports say what became of a leftover (issue #36): one vocabulary for every format. */

type ReportLeftover = NonNullable<Report['leftovers']>['resources'][number];

/**
 * A leftover's status in words: what this run did (`deleted`, `failed: CODE`, `cancelled: CODE`), else
 * what the plan says (`would delete`, `waiting until <day>`, `kept: CODE`, `braked`), else `report only`
 * (`leftovers.delete` unset). Codes only: the detail stays in the JSON report.
 */
export function leftoverStatus(l: ReportLeftover, mode: Report['mode']): string {
  const r = l.result;
  if (r)
    return r.result === 'deleted' || r.result === 'gone' ? r.result : `${r.result}: ${r.error?.code ?? '?'}`;
  const d = l.decision;
  if (!d) return 'report only';
  if (d.status === 'due') return mode === 'apply' ? 'due' : 'would delete';
  if (d.status === 'waiting') return `waiting until ${d.deleteAfter?.slice(0, 10) ?? '?'}`;
  if (d.status === 'braked') return 'braked';
  return `kept: ${d.reason.code}`;
}

/** The leftovers section's headline words: `report only`, or what was deleted and is due. */
export function leftoverSummary(left: NonNullable<Report['leftovers']>, mode: Report['mode']): string {
  if (!left.resources.some((l) => l.decision)) return 'report only';
  const deleted = left.resources.filter((l) => l.result?.result === 'deleted').length;
  const due = left.resources.filter((l) => l.decision?.status === 'due' && !l.result).length;
  const failed = left.resources.filter((l) => l.result?.result === 'failed').length;
  const parts = [
    mode === 'apply' ? `${deleted} deleted` : `${due} would be deleted`,
    ...(failed > 0 ? [`${failed} failed`] : []),
    ...(left.plan?.brake ? [`brake ${left.plan.brake.kind}`] : []),
  ];
  return parts.join(', ');
}
