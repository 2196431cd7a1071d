import type { AccountTarget, FailedResource, StackResource } from '../aws/ports.js';
import { codeOfWord, failureLine, failureWord } from '../errors/failure.js';
import type { Logger } from '../log/logger.js';
import type { DeletionRecord } from '../state/state.js';
import type { ExecutionContext } from './context.js';
import type { Repair, RepairedResource } from './outcome.js';

/**
 * `onDeleteFailed: empty-and-retry`: after DELETE_FAILED, empty the S3 buckets and ECR repositories that
 * failed, when the stack itself owns them, so one retried DeleteStack can finish. Ownership comes from
 * the stack's own resource list (ListStackResources: logical id, type, physical id, DELETE_FAILED), never
 * from a name: a bucket another stack or a person owns is never touched. Nothing is emptied unless every
 * failed resource can be, since the retry would fail anyway and the data would be gone for nothing.
 */

/** The resource types empty-and-retry knows how to empty. */
export const REPAIRABLE_TYPES = ['AWS::S3::Bucket', 'AWS::ECR::Repository'] as const;

/** Which failed resources to empty, or why none. Pure: the caller reads the facts. */
export function repairTargets(
  failed: FailedResource[],
  owned: StackResource[],
): { targets: StackResource[] } | { refusal: NonNullable<Repair['refusal']>; detail: string } {
  if (failed.length === 0)
    return { refusal: 'NO_FAILED_RESOURCES', detail: 'no failed resource in the stack events' };
  const targets: StackResource[] = [];
  const others: string[] = [];
  for (const f of failed) {
    const own = owned.find((r) => r.logicalId === f.logicalId);
    const ok =
      own !== undefined &&
      own.type === f.type &&
      (REPAIRABLE_TYPES as readonly string[]).includes(own.type) &&
      own.status === 'DELETE_FAILED' &&
      own.physicalId !== '';
    if (ok) targets.push(own);
    else others.push(`${f.logicalId} (${f.type})`);
  }
  if (others.length > 0)
    return { refusal: 'NOT_REPAIRABLE', detail: `not emptied: ${others.join(', ')} cannot be repaired` };
  return { targets };
}

/**
 * Empties what the failed deletion of `stackId` left non-empty. `emptied` means DeleteStack may be
 * retried; every emptied resource is audit-logged before and after, and counts against the run's brake.
 */
export async function emptyForRetry(
  ctx: ExecutionContext,
  d: DeletionRecord,
  stackId: string,
  target: AccountTarget,
  log: Logger,
): Promise<Repair> {
  const { deps, audit } = ctx;
  const where = { stacks: [d.name], account: d.account, region: d.region };
  let failed: Awaited<ReturnType<typeof deps.aws.failedResources>>;
  let owned: Awaited<ReturnType<typeof deps.aws.stackResources>>;
  try {
    [failed, owned] = await Promise.all([
      deps.aws.failedResources(target, d.region, stackId),
      deps.aws.stackResources(target, d.region, stackId),
    ]);
  } catch (error) {
    const e = ctx.fail(error, { ...where, what: 'empty-and-retry: what the stack owns', effect: 'kept' });
    return {
      status: 'failed',
      detail: `what failed could not be read (${e.operation ?? 'call'}: ${failureWord(e)})`,
      resources: [],
    };
  }
  const picked = repairTargets(failed, owned);
  if ('refusal' in picked) {
    log.warn({ refusal: picked.refusal, detail: picked.detail }, 'empty-and-retry: nothing emptied');
    return { status: 'refused', refusal: picked.refusal, detail: picked.detail, resources: [] };
  }
  // Taken before any await: stacks are deleted concurrently and share one budget.
  if (ctx.repairsLeft.count < picked.targets.length) {
    const detail = `${picked.targets.length} to empty, ${ctx.repairsLeft.count} left under limits.maxDeletionsPerRun`;
    log.warn({ detail }, 'empty-and-retry: brake');
    return { status: 'refused', refusal: 'REPAIR_BRAKE', detail, resources: [] };
  }
  ctx.repairsLeft.count -= picked.targets.length;
  const resources: RepairedResource[] = [];
  for (const r of picked.targets) {
    const entry = { stackId, logicalId: r.logicalId, type: r.type, physicalId: r.physicalId };
    await audit({ event: 'empty-attempt', ...entry });
    log.warn(entry, 'emptying a resource of a failed deletion');
    let done: RepairedResource;
    let thrown = false;
    try {
      const out =
        r.type === 'AWS::S3::Bucket'
          ? await deps.aws.emptyBucket(target, d.region, r.physicalId)
          : await deps.aws.emptyRepository(target, d.region, r.physicalId);
      done = { logicalId: r.logicalId, type: r.type, physicalId: r.physicalId, ...out };
    } catch (error) {
      thrown = true;
      ctx.fail(error, { ...where, what: `empty-and-retry: emptying ${r.physicalId}`, effect: 'kept' });
      done = {
        logicalId: r.logicalId,
        type: r.type,
        physicalId: r.physicalId,
        removed: 0,
        deleteMarkers: 0,
        bytes: 0,
        errors: [failureLine(error)],
      };
    }
    resources.push(done);
    await audit({
      event: 'empty-complete',
      ...entry,
      removed: done.removed,
      deleteMarkers: done.deleteMarkers,
      bytes: done.bytes,
      errors: done.errors,
    });
    if (done.errors.length > 0) {
      const first = done.errors[0]?.split(':')[0] ?? 'Error';
      // Objects or images the service refused one by one (no exception): an error of the run too.
      if (!thrown)
        deps.onError?.({
          scope: `aws:${d.account}/${d.region} empty-and-retry: emptying ${r.physicalId}`,
          // The first refusal's S3/ECR code says what kind it was (`AccessDenied`); else it is just refused.
          code: codeOfWord(first) ?? 'OBJECT_NOT_DELETED',
          serviceCode: first,
          message: done.errors.join('; '),
          service: 'aws',
          operation: r.type === 'AWS::S3::Bucket' ? 'DeleteObjects' : 'BatchDeleteImage',
          account: d.account,
          region: d.region,
          stacks: [d.name],
          effect: 'kept',
        });
      log.error({ ...entry, errors: done.errors }, 'emptying failed: DeleteStack is not retried');
      return { status: 'failed', detail: `${r.logicalId}: ${done.errors.join('; ')}`, resources };
    }
  }
  return { status: 'emptied', resources };
}
