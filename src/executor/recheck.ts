import type { AccountTarget } from '../aws/ports.js';
import type { StackFacts } from '../core/model.js';
import type { EnvironmentRecord } from '../core/run-result.js';
import { failureWord } from '../errors/failure.js';
import type { ExecutionContext } from './context.js';
import type { ExecutionError } from './outcome.js';

/**
 * The re-check before a write: what must still hold right before `DeleteStack` (the first, and a
 * fallback one after an on_stop job), read fresh from AWS and GitLab.
 */

/** What changed between the planned read and the fresh one, if anything that matters. */
export function changed(before: StackFacts, after: StackFacts): string | undefined {
  if (after.status !== before.status) return `status is now ${after.status}`;
  if ((after.updatedAt ?? '') !== (before.updatedAt ?? '')) return `stack was updated at ${after.updatedAt}`;
  if (after.terminationProtection && !before.terminationProtection)
    return 'termination protection was enabled';
  if (JSON.stringify(after.tags) !== JSON.stringify(before.tags)) return 'stack tags changed';
  return undefined;
}

/**
 * The one re-check before a write (the first DeleteStack, and a fallback one after an on_stop job): the
 * stack re-read by id and compared, then its GitLab evidence read and judged again. `gone`, the fresh
 * stack to go ahead with, or why not. A read that fails is PRECHECK_FAILED (and an error of the run),
 * never a finding: nothing is deleted on evidence that could not be read.
 */
export async function recheckBeforeWrite(
  ctx: ExecutionContext,
  record: EnvironmentRecord,
  target: AccountTarget,
): Promise<'gone' | StackFacts | ExecutionError> {
  const { stack } = record;
  const where = { stacks: [stack.name], effect: 'kept' as const };
  let fresh: StackFacts | null;
  try {
    fresh = await ctx.deps.aws.describeStack(target, stack.region, stack.stackId);
  } catch (error) {
    const e = ctx.fail(error, {
      ...where,
      what: 're-read of the stack before deletion',
      account: stack.account,
      region: stack.region,
    });
    return {
      code: 'PRECHECK_FAILED',
      message: `the stack could not be re-read (${e.operation ?? 'call'}: ${failureWord(e)})`,
    };
  }
  if (!fresh || fresh.status === 'DELETE_COMPLETE') return 'gone';
  const diff = changed(stack, fresh);
  if (diff) return { code: 'STACK_CHANGED', message: diff };
  let again: Awaited<ReturnType<typeof ctx.deps.recheck>>;
  try {
    again = await ctx.deps.recheck(record, fresh);
  } catch (error) {
    const project = record.owner.projectPath ?? record.owner.projectId;
    const e = ctx.fail(error, { ...where, what: 're-check of the GitLab evidence', project });
    return {
      code: 'PRECHECK_FAILED',
      message: `the GitLab evidence could not be re-read (${failureWord(e)})`,
    };
  }
  if (again.errors && again.errors.length > 0) {
    for (const e of again.errors) ctx.deps.onError?.({ ...e, stacks: [stack.name], effect: 'kept' });
    const first = again.errors[0];
    return {
      code: 'PRECHECK_FAILED',
      message: `the GitLab evidence could not be re-read (${first?.operation ?? first?.scope ?? ''}: ${first ? failureWord(first) : ''})`,
    };
  }
  if (again.verdict !== record.classification.verdict || again.status !== 'due')
    return {
      code: 'EVIDENCE_CHANGED',
      message: `now ${again.verdict} (${again.status}): ${again.reasons.map((r) => r.code).join(', ')}`,
    };
  return fresh;
}

/** Before a fallback DeleteStack: `gone`, a reason to call it off, or `undefined` to go ahead. */
export async function checkBeforeFallback(
  ctx: ExecutionContext,
  target: AccountTarget,
  record: EnvironmentRecord | undefined,
): Promise<'gone' | ExecutionError | undefined> {
  if (!record)
    return {
      code: 'EVIDENCE_CHANGED',
      message: 'the stack was not audited in this run: no fallback deletion',
    };
  const checked = await recheckBeforeWrite(ctx, record, target);
  return checked === 'gone' || 'code' in checked ? checked : undefined;
}
