import type { Report, ReportEnvironment } from './json-report.js';

/** The one way a report names an environment's project: its path, else `#id`, else `unresolved`. */
export function projectLabel(owner: Pick<ReportEnvironment['owner'], 'projectPath' | 'projectId'>): string {
  return owner.projectPath ?? (owner.projectId !== undefined ? `#${owner.projectId}` : 'unresolved');
}

/** Cost totals recomputed from the environments (also used by `report merge`). */
export function costSummary(
  environments: ReportEnvironment[],
  known: boolean,
): NonNullable<Report['summary']['cost']> {
  if (!known)
    return {
      known,
      currency: 'USD',
      monthlyTotal: null,
      monthlyReapable: null,
      monthlyUnused: null,
      byProject: {},
    };
  const round = (n: number) => Math.round(n * 100) / 100;
  const byProject: Record<string, number> = {};
  let total = 0;
  let reapable = 0;
  let unused = 0;
  for (const e of environments) {
    const c = e.monthlyCost ?? 0;
    total += c;
    if (e.action !== 'keep') reapable += c;
    if (e.verdict === 'unused') unused += c;
    const project = projectLabel(e.owner);
    byProject[project] = round((byProject[project] ?? 0) + c);
  }
  return {
    known,
    currency: 'USD',
    monthlyTotal: round(total),
    monthlyReapable: round(reapable),
    monthlyUnused: round(unused),
    byProject,
  };
}
