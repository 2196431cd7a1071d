import pLimit from 'p-limit';
import type { Emptied } from '../aws/ports.js';
import { keepReason } from '../core/classify.js';
import type { EnvironmentGone, LeftoverDecision, LeftoverType } from '../core/leftover-plan.js';
import type { Leftover, LeftoverResult, TagFilter } from '../core/leftovers.js';
import type { OwnershipTags } from '../core/policy.js';
import type { RunError } from '../core/run-result.js';
import { ExternalServiceError } from '../errors/errors.js';
import { describeFailure } from '../errors/failure.js';
import type { AuditEntry } from './audit-events.js';
import { type ExecutorDeps, type FailureSite, failureRecorder, serialSaver, writeAudit } from './context.js';
import { type DryRunLine, writeGate } from './executor.js';

/**
 * Leftover deletions (issue #36, docs/leftovers.md): the executor's second write path, through the same
 * gate. Each due leftover is re-checked right before (its service: existence, tags, keep tag, MFA delete,
 * a recent image pull; GitLab: branch and MR still gone), recorded in state as `started`, emptied in
 * batches, deleted, and recorded `deleted`; a rerun finishes a `started` one and never touches a
 * `deleted` one.
 */

/** What the leftover path needs beyond the executor's deps. */
export interface LeftoverDeps
  extends Pick<ExecutorDeps, 'logger' | 'auditLog' | 'state' | 'saveState' | 'targetOf' | 'onError' | 'now'> {
  /** Only the AWS calls a leftover deletion makes. */
  aws: Pick<
    ExecutorDeps['aws'],
    | 'callerAccount'
    | 'inspectLeftover'
    | 'emptyBucket'
    | 'deleteBucket'
    | 'deleteRepository'
    | 'deleteLogGroup'
  >;
  /** Re-reads whether the environment's branch and MR are still gone (once per deleted stack). */
  recheckEnvironment: (leftover: Leftover) => Promise<{ gone: EnvironmentGone; errors?: RunError[] }>;
  /** The project and environment tags of the deleted stack a leftover belongs to. */
  filtersOf: (leftover: Leftover) => TagFilter[];
  /** After each DeleteObjects batch: objects removed so far from the bucket being emptied (progress). */
  progress?: (p: { arn: string; removed: number }) => void;
}

/** Options of the leftover path. */
export interface LeftoverOptions {
  apply: boolean;
  runId: string;
  concurrency: number;
  keepTags: OwnershipTags;
  shouldStop?: () => boolean;
}

/** A bucket that still has objects after this many emptying rounds is being written to: not deleted. */
export const EMPTY_ROUNDS = 3;

const WHAT: Record<LeftoverType, DryRunLine['what']> = {
  's3:bucket': 'delete bucket (every object version and delete marker, then the bucket)',
  'ecr:repository': 'delete repository (with its images)',
  'logs:log-group': 'delete log group',
};

/** The resource name in a leftover's ARN (bucket, repository or log group name). */
export function leftoverName(l: Pick<Leftover, 'arn' | 'type'>): string {
  const resource = l.arn.split(':').slice(5).join(':');
  if (l.type === 'ecr:repository') return resource.replace(/^repository\//, '');
  if (l.type === 'logs:log-group') return resource.replace(/^log-group:/, '').replace(/:\*$/, '');
  return resource;
}

type Due = Leftover & { decision: LeftoverDecision };

/** Deletes the due leftovers (or, in a dry run, says it would); returns what happened to each, by ARN. */
export async function reapLeftovers(
  due: Due[],
  deps: LeftoverDeps,
  options: LeftoverOptions,
): Promise<Map<string, LeftoverResult>> {
  const lines = due.map(
    (l): DryRunLine => ({
      fields: {
        arn: l.arn,
        stack: l.stackName,
        account: l.account,
        region: l.region,
        reason: l.decision.reason.code,
      },
      // Only the deletable types are ever due (core/leftover-plan.ts: NOT_OPTED_IN otherwise).
      what: WHAT[l.type as LeftoverType],
    }),
  );
  return writeGate(options.apply).pass(deps.logger, lines, new Map(), async () => {
    const out = new Map<string, LeftoverResult>();
    const limit = pLimit(Math.max(1, options.concurrency));
    const accounts = new Map<string, Promise<string>>();
    const gitlab = new Map<string, ReturnType<LeftoverDeps['recheckEnvironment']>>();
    const ctx = leftoverContext(deps, options.runId);
    await Promise.all(
      due.map((l) =>
        limit(async () => {
          out.set(l.arn, await deleteOne(l, deps, options, ctx, { accounts, gitlab }));
        }),
      ),
    );
    return out;
  });
}

/** Why a due leftover is not deleted after its re-check; `undefined`: go on. */
function recheckFails(
  l: Due,
  seen: { tags: Record<string, string>; mfaDelete?: boolean; lastPulledAt?: string },
  filters: TagFilter[],
  keepTags: OwnershipTags,
  now: number,
): { code: string; message: string } | undefined {
  const changed = filters.length === 0 ? undefined : filters.find((f) => seen.tags[f.key] !== f.value);
  if (filters.length === 0 || changed)
    return {
      code: 'TAGS_CHANGED',
      message: `no longer tagged ${changed?.key ?? 'with its environment'} like the deleted stack`,
    };
  const keep = keepReason(seen.tags, keepTags, now);
  if (keep?.code === 'KEEP_TAG') return { code: 'KEEP_TAG', message: keep.detail };
  if (seen.mfaDelete)
    return {
      code: 'MFA_DELETE',
      message: 'MFA delete is enabled on the bucket: its versions need an MFA token',
    };
  if (seen.lastPulledAt && Date.parse(seen.lastPulledAt) > Date.parse(l.deletedAt))
    return {
      code: 'RECENTLY_PULLED',
      message: `an image was pulled at ${seen.lastPulledAt}, after the stack was deleted: someone still uses it`,
    };
  return undefined;
}

/** What the leftover deletions of one run share: serialised saves, the audit log, failures. */
interface LeftoverContext {
  save: () => Promise<void>;
  audit: (entry: AuditEntry) => Promise<void>;
  now: () => number;
  fail: (error: unknown, where: FailureSite) => RunError;
}

function leftoverContext(deps: LeftoverDeps, runId: string): LeftoverContext {
  return {
    save: serialSaver(deps.saveState),
    audit: (entry) => writeAudit(deps, runId, entry),
    now: deps.now ?? (() => Date.now()),
    fail: failureRecorder(deps),
  };
}

async function deleteOne(
  l: Due,
  deps: LeftoverDeps,
  options: LeftoverOptions,
  ctx: LeftoverContext,
  cache: {
    accounts: Map<string, Promise<string>>;
    gitlab: Map<string, ReturnType<LeftoverDeps['recheckEnvironment']>>;
  },
): Promise<LeftoverResult> {
  const where = { account: l.account, region: l.region };
  const cancel = async (code: string, message: string): Promise<LeftoverResult> => {
    deps.logger.warn({ arn: l.arn, code, detail: message }, 'leftover deletion cancelled after its re-check');
    await ctx.audit({
      event: 'leftover-delete-cancelled',
      arn: l.arn,
      stackId: l.stackId,
      code,
      detail: message,
    });
    return { result: 'cancelled', error: { code, message } };
  };
  if (options.shouldStop?.())
    return { result: 'skipped', error: { code: 'STOPPING', message: 'the daemon is stopping' } };
  deps.state.leftovers ??= {};
  const state = deps.state.leftovers;
  const before = state[l.arn];
  if (before?.status === 'deleted')
    return { result: 'skipped', error: { code: 'ALREADY_DELETED', message: 'deleted before' } };
  const target = deps.targetOf(l.account);
  /** The step under way: what a failure was doing (the run error's `what`). */
  let step: 'leftover re-check' | 'leftover emptying' | 'leftover deletion' = 'leftover re-check';
  let emptied: Emptied = { removed: 0, deleteMarkers: 0, bytes: 0, errors: [] };
  try {
    let caller = cache.accounts.get(l.account);
    if (!caller) {
      caller = deps.aws.callerAccount(target);
      cache.accounts.set(l.account, caller);
    }
    if ((await caller) !== l.account)
      return cancel('ACCOUNT_MISMATCH', `credentials no longer belong to account ${l.account}`);
    const seen = await deps.aws.inspectLeftover(target, l.region, l.arn, l.type);
    if (!seen.exists) {
      // Gone meanwhile; a deletion this tool started and did not record as done is done now.
      if (before) Object.assign(before, { status: 'deleted', finishedAt: new Date(ctx.now()).toISOString() });
      return { result: 'gone' };
    }
    const why = recheckFails(l, seen, deps.filtersOf(l), options.keepTags, ctx.now());
    if (why) return cancel(why.code, why.message);
    let env = cache.gitlab.get(l.stackId);
    if (!env) {
      env = deps.recheckEnvironment(l);
      cache.gitlab.set(l.stackId, env);
    }
    const gl = await env;
    for (const e of gl.errors ?? []) deps.onError?.({ ...e, effect: 'kept' });
    if (gl.gone !== 'gone')
      return cancel(
        gl.gone === 'back' ? 'ENVIRONMENT_BACK' : 'EVIDENCE_UNKNOWN',
        gl.gone === 'back' ? 'the branch exists again, or an MR from it is open' : 'GitLab could not be read',
      );
    const attempt = (before?.attempts ?? 0) + 1;
    state[l.arn] = {
      status: 'started',
      type: l.type,
      ...where,
      stackId: l.stackId,
      stackName: l.stackName,
      runId: options.runId,
      attempts: attempt,
      startedAt: new Date(ctx.now()).toISOString(),
      removed: before?.removed ?? 0,
      deleteMarkers: before?.deleteMarkers ?? 0,
    };
    // Recorded before the first write: a run killed from here on is finished by the next one.
    await ctx.save();
    await ctx.audit({
      event: 'leftover-delete-attempt',
      arn: l.arn,
      type: l.type,
      stackId: l.stackId,
      stackName: l.stackName,
      reason: l.decision.reason.code,
      attempt,
    });
    const name = leftoverName(l);
    if (l.type === 's3:bucket') {
      for (let round = 1; ; round++) {
        step = 'leftover emptying';
        const r = await deps.aws.emptyBucket(target, l.region, name, (so) =>
          deps.progress?.({ arn: l.arn, removed: emptied.removed + so.removed + so.deleteMarkers }),
        );
        emptied = {
          removed: emptied.removed + r.removed,
          deleteMarkers: emptied.deleteMarkers + r.deleteMarkers,
          bytes: emptied.bytes + r.bytes,
          errors: r.errors,
        };
        if (r.errors.length > 0)
          throw new ExternalServiceError(
            'aws',
            'OBJECT_NOT_DELETED',
            `DeleteObjects refused: ${r.errors.join('; ')}`,
            {
              operation: 'DeleteObjects',
              serviceCode: r.errors[0]?.split(':')[0],
            },
          );
        step = 'leftover deletion';
        try {
          await deps.aws.deleteBucket(target, l.region, name);
          break;
        } catch (error) {
          // Written to while it was emptied: empty again, a bounded number of times.
          if (describeFailure(error).serviceCode !== 'BucketNotEmpty' || round >= EMPTY_ROUNDS) throw error;
        }
      }
    } else {
      step = 'leftover deletion';
      try {
        if (l.type === 'ecr:repository') await deps.aws.deleteRepository(target, l.region, name);
        else await deps.aws.deleteLogGroup(target, l.region, name);
      } catch (error) {
        // Gone between the re-check and the deletion: the end is the same.
        if (describeFailure(error).code !== 'NOT_FOUND') throw error;
      }
    }
    Object.assign(state[l.arn] ?? {}, {
      status: 'deleted',
      finishedAt: new Date(ctx.now()).toISOString(),
      removed: (before?.removed ?? 0) + emptied.removed,
      deleteMarkers: (before?.deleteMarkers ?? 0) + emptied.deleteMarkers,
    });
    await ctx.save();
    await ctx.audit({
      event: 'leftover-deleted',
      arn: l.arn,
      stackId: l.stackId,
      removed: emptied.removed,
      deleteMarkers: emptied.deleteMarkers,
      bytes: emptied.bytes,
    });
    deps.logger.info({ arn: l.arn, stack: l.stackName, removed: emptied.removed }, 'leftover deleted');
    return { result: 'deleted', removed: emptied.removed, deleteMarkers: emptied.deleteMarkers };
  } catch (error) {
    const e = ctx.fail(error, {
      what: step,
      stacks: [l.stackName],
      effect: 'kept',
      ...where,
    });
    const rec = state[l.arn];
    const wrote = step !== 'leftover re-check';
    if (rec && wrote)
      Object.assign(rec, {
        status: 'failed',
        removed: (before?.removed ?? 0) + emptied.removed,
        deleteMarkers: (before?.deleteMarkers ?? 0) + emptied.deleteMarkers,
        error: { code: e.code, message: e.message },
      });
    if (wrote) {
      await ctx.save().catch(() => undefined);
      await ctx.audit({
        event: 'leftover-delete-failed',
        arn: l.arn,
        stackId: l.stackId,
        removed: emptied.removed,
        error: { code: e.code, message: e.message },
      });
    }
    return { result: 'failed', error: { code: e.code, message: e.message }, removed: emptied.removed };
  }
}
