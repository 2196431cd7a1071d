import type { EnvironmentRecord } from '../core/run-result.js';
import type { ExecutorDeps } from './context.js';

/**
 * What is checked once per run before any stack is deleted: the account guard (the credentials must
 * still belong to each account written to) and the export/import graph (importers are deleted first;
 * an importer that is not being deleted blocks its exporter).
 */

/** One due stack and the due stacks that import from it (deleted before it). */
export interface StackTask {
  record: EnvironmentRecord;
  importers: string[];
}

/** The result of the preflight over the due stacks. */
export interface Preflight {
  /** Accounts whose credentials now belong elsewhere, or could not be confirmed. */
  refused: Set<string>;
  /** Per due stack id (of accepted accounts): the task with its importers. */
  tasks: Map<string, StackTask>;
  /** Stack ids that must not be deleted, and why (an outside importer, or exports unreadable). */
  blocked: Map<string, string>;
}

/** Account guard: the accounts whose credentials do not (or cannot be shown to) match. */
export async function accountGuard(due: EnvironmentRecord[], deps: ExecutorDeps): Promise<Set<string>> {
  const refused = new Set<string>();
  for (const account of new Set(due.map((e) => e.stack.account))) {
    try {
      const actual = await deps.aws.callerAccount(deps.targetOf(account));
      if (actual !== account) refused.add(account);
    } catch (error) {
      deps.logger.error({ account, err: error }, 'account guard could not confirm the account');
      refused.add(account);
    }
  }
  return refused;
}

/** The export/import graph of the due stacks, region by region. */
export async function exportGraph(
  due: EnvironmentRecord[],
  refused: Set<string>,
  deps: ExecutorDeps,
): Promise<Pick<Preflight, 'tasks' | 'blocked'>> {
  const tasks = new Map<string, StackTask>();
  const blocked = new Map<string, string>();
  const byName = new Map(due.map((e) => [`${e.stack.account}/${e.stack.region}/${e.stack.name}`, e]));
  const accepted = due.filter((e) => !refused.has(e.stack.account));
  const regions = [...new Set(accepted.map((e) => `${e.stack.account}/${e.stack.region}`))];
  for (const key of regions) {
    const [account, region] = key.split('/') as [string, string];
    const target = deps.targetOf(account);
    const here = accepted.filter((x) => x.stack.account === account && x.stack.region === region);
    try {
      const exports = await deps.aws.listExports(target, region);
      for (const e of here) {
        const importers: string[] = [];
        for (const ex of exports.filter((x) => x.exportingStackId === e.stack.stackId)) {
          for (const importer of await deps.aws.listImports(target, region, ex.name)) {
            const dep = byName.get(`${account}/${region}/${importer}`);
            if (dep) importers.push(dep.stack.stackId);
            else
              blocked.set(
                e.stack.stackId,
                `export ${ex.name} is imported by ${importer}, which is not being deleted`,
              );
          }
        }
        tasks.set(e.stack.stackId, { record: e, importers });
      }
    } catch (error) {
      for (const e of here) {
        blocked.set(e.stack.stackId, `exports could not be checked: ${(error as Error).message}`);
        tasks.set(e.stack.stackId, { record: e, importers: [] });
      }
    }
  }
  return { tasks, blocked };
}

/** Both checks, in order: nothing is read in an account the guard refused. */
export async function preflight(due: EnvironmentRecord[], deps: ExecutorDeps): Promise<Preflight> {
  const refused = await accountGuard(due, deps);
  return { refused, ...(await exportGraph(due, refused, deps)) };
}
