import type { AccountTarget } from '../aws/ports.js';
import type { EnvironmentRecord } from '../core/run-result.js';
import type { ExecutorDeps } from './executor.js';

/**
 * For `explain`: a due stack's exports and the stacks that import each, read as apply's export check
 * reads them (ListExports, ListImports), so `explain` can say what apply would do about them. Read-only.
 */
export interface ExportUse {
  name: string;
  importers: string[];
}

/** The exports of `record`'s stack and their importers. */
export async function exportsOf(
  record: EnvironmentRecord,
  aws: Pick<ExecutorDeps['aws'], 'listExports' | 'listImports'>,
  target: AccountTarget,
): Promise<ExportUse[]> {
  const { region, stackId } = record.stack;
  const mine = (await aws.listExports(target, region)).filter((e) => e.exportingStackId === stackId);
  const out: ExportUse[] = [];
  for (const e of mine) out.push({ name: e.name, importers: await aws.listImports(target, region, e.name) });
  return out;
}
