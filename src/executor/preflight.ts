import type { EnvironmentRecord } from '../core/run-result.js';
import { failureWord } from '../errors/failure.js';
import type { ExecutionContext } from './context.js';
import type { ExecutionError } from './outcome.js';

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
  /**
   * Stack ids that must not be deleted, and why: `EXPORT_IN_USE` (an outside importer), or
   * `PRECHECK_FAILED` (the guard or the export graph could not be read for this stack).
   */
  blocked: Map<string, ExecutionError>;
}

/**
 * Account guard: the accounts whose credentials belong elsewhere (refused), and those the guard could
 * not confirm (a failed call: their stacks are blocked with PRECHECK_FAILED, and the call is an error).
 */
export async function accountGuard(
  due: EnvironmentRecord[],
  ctx: ExecutionContext,
): Promise<{ refused: Set<string>; unconfirmed: Map<string, ExecutionError> }> {
  const { deps } = ctx;
  const refused = new Set<string>();
  const unconfirmed = new Map<string, ExecutionError>();
  for (const account of new Set(due.map((e) => e.stack.account))) {
    try {
      const actual = await deps.aws.callerAccount(deps.targetOf(account));
      if (actual !== account) refused.add(account);
    } catch (error) {
      const stacks = due.filter((e) => e.stack.account === account).map((e) => e.stack.name);
      const e = ctx.fail(error, { what: 'account guard', stacks, effect: 'kept', account });
      unconfirmed.set(account, {
        code: 'PRECHECK_FAILED',
        message: `the account guard could not confirm account ${account}: ${e.operation ?? 'call'} ${failureWord(e)}`,
      });
    }
  }
  return { refused, unconfirmed };
}

/**
 * The export/import graph of the due stacks, region by region. Only what each read guards is blocked
 * when it fails: a failed ListExports blocks the region's due stacks (any of them may export), a failed
 * ListImports only the stack owning that export; stacks that export nothing never need ListImports.
 */
export async function exportGraph(
  due: EnvironmentRecord[],
  refused: Set<string>,
  ctx: ExecutionContext,
): Promise<Pick<Preflight, 'tasks' | 'blocked'>> {
  const { deps } = ctx;
  const tasks = new Map<string, StackTask>();
  const blocked = new Map<string, ExecutionError>();
  const byName = new Map(due.map((e) => [`${e.stack.account}/${e.stack.region}/${e.stack.name}`, e]));
  const accepted = due.filter((e) => !refused.has(e.stack.account));
  const regions = [...new Set(accepted.map((e) => `${e.stack.account}/${e.stack.region}`))];
  const precheck = (
    what: string,
    e: { operation?: string | undefined } & Parameters<typeof failureWord>[0],
  ): ExecutionError => ({
    code: 'PRECHECK_FAILED',
    message: `${what} could not be read (${e.operation ?? 'call'}: ${failureWord(e)}); the deletion was not started`,
  });
  for (const key of regions) {
    const [account, region] = key.split('/') as [string, string];
    const target = deps.targetOf(account);
    const here = accepted.filter((x) => x.stack.account === account && x.stack.region === region);
    for (const e of here) tasks.set(e.stack.stackId, { record: e, importers: [] });
    let exports: Awaited<ReturnType<typeof deps.aws.listExports>>;
    try {
      exports = await deps.aws.listExports(target, region);
    } catch (error) {
      const stacks = here.map((e) => e.stack.name);
      const failed = ctx.fail(error, { what: 'export graph', stacks, effect: 'kept', account, region });
      for (const e of here) blocked.set(e.stack.stackId, precheck('the exports of the region', failed));
      continue;
    }
    for (const e of here) {
      const importers: string[] = [];
      for (const ex of exports.filter((x) => x.exportingStackId === e.stack.stackId)) {
        let names: string[];
        try {
          names = await deps.aws.listImports(target, region, ex.name);
        } catch (error) {
          const failed = ctx.fail(error, {
            what: `importers of export ${ex.name}`,
            stacks: [e.stack.name],
            effect: 'kept',
            account,
            region,
          });
          blocked.set(e.stack.stackId, precheck(`the importers of export ${ex.name}`, failed));
          break;
        }
        for (const importer of names) {
          const dep = byName.get(`${account}/${region}/${importer}`);
          if (dep) importers.push(dep.stack.stackId);
          else if (!blocked.has(e.stack.stackId))
            blocked.set(e.stack.stackId, {
              code: 'EXPORT_IN_USE',
              message: `export ${ex.name} is imported by ${importer}, which is not being deleted`,
            });
        }
      }
      tasks.set(e.stack.stackId, { record: e, importers });
    }
  }
  return { tasks, blocked };
}

/** Both checks, in order: nothing is read in an account the guard refused. */
export async function preflight(due: EnvironmentRecord[], ctx: ExecutionContext): Promise<Preflight> {
  const { refused, unconfirmed } = await accountGuard(due, ctx);
  const skip = new Set([...refused, ...unconfirmed.keys()]);
  const graph = await exportGraph(due, skip, ctx);
  // An account the guard could not confirm: its stacks are called off, with the failed call named.
  for (const e of due) {
    const why = unconfirmed.get(e.stack.account);
    if (!why) continue;
    graph.tasks.set(e.stack.stackId, { record: e, importers: [] });
    graph.blocked.set(e.stack.stackId, why);
  }
  return { refused, ...graph };
}
