import type { RunResult } from '../core/run-result.js';
import type { ExecutionContext } from './context.js';
import { finish, poll, tearDown } from './delete-stack.js';
import { gitlabFollowUp } from './gitlab-side.js';
import { deletionPhase, followingStopJob } from './lifecycle.js';
import type { ExecutionOutcome, PollResult } from './outcome.js';
import { pollError } from './outcome.js';

/**
 * Crash recovery: finishes what a killed run left in state. A deletion left `started` is polled to a
 * final status (never deleted twice: its DeleteStack already went out); a finished deletion whose GitLab
 * follow-up is missing gets it now. Stacks due again in this run are left to the normal path.
 */
export async function resumeUnfinished(
  run: RunResult,
  ctx: ExecutionContext,
  outcomes: Map<string, ExecutionOutcome>,
): Promise<void> {
  const { deps, options } = ctx;
  const due = new Set(run.environments.filter((e) => e.plan.status === 'due').map((e) => e.stack.stackId));
  for (const [stackId, s] of Object.entries(deps.state.stacks)) {
    const d = s.deletion;
    const phase = d ? deletionPhase(d, options) : undefined;
    // A stop-job teardown in progress is resumed even when the stack is due again (it is still there
    // while the job runs): the normal path would stop the environment a second time.
    const stopping = d !== undefined && followingStopJob(d);
    // A deletion that outlived limits.deleteTimeout: CloudFormation went on without us.
    const timedOut = d?.status === 'failed' && d.error?.code === 'DELETE_TIMEOUT';
    if (
      !d ||
      (due.has(stackId) && !stopping) ||
      (d.status !== 'started' && phase !== 'follow-up' && !timedOut)
    )
      continue;
    const log = deps.logger.child({ stack: d.name, stackId });
    if (deps.reaches && !deps.reaches(d.account)) {
      deps.onError?.({
        scope: `aws:${d.account}/${d.region} unfinished deletion`,
        code: 'ACCOUNT_NOT_REACHED',
        message: `an earlier run left ${d.status === 'started' || timedOut ? 'this deletion unfinished' : 'its GitLab follow-up undone'}; account ${d.account} is not reached by the configured credentials, so it is not followed`,
        service: 'aws',
        account: d.account,
        region: d.region,
        stacks: [d.name],
        effect: 'not-done',
      });
      continue;
    }
    if (stopping) {
      // A stop-job teardown: follow the job again (the environment is not stopped twice).
      log.info({ runId: d.runId }, 'resuming a stop-job teardown an earlier run did not finish');
      try {
        const record = run.environments.find((e) => e.stack.stackId === stackId);
        const out = await tearDown(ctx, d, stackId, deps.targetOf(d.account), log, record);
        if (run.environments.some((e) => e.stack.stackId === stackId)) outcomes.set(stackId, out);
      } catch (error) {
        ctx.fail(error, {
          what: 'resumed teardown',
          stacks: [d.name],
          effect: 'not-done',
          account: d.account,
          region: d.region,
          project: d.projectId,
        });
      }
      continue;
    }
    if (d.status === 'started') {
      log.info({ runId: d.runId }, 'resuming a deletion an earlier run did not finish');
      let result: PollResult;
      try {
        result = await poll(ctx, deps.targetOf(d.account), d.region, stackId);
      } catch (error) {
        ctx.fail(error, {
          what: 'status of a deletion an earlier run started',
          stacks: [d.name],
          effect: 'not-done',
          account: d.account,
          region: d.region,
        });
        continue;
      }
      const error = result.kind === 'deleted' ? undefined : pollError(result, options.deleteTimeoutMs);
      const out = await finish(ctx, d, { stackId, name: d.name }, error);
      if (run.environments.some((e) => e.stack.stackId === stackId)) outcomes.set(stackId, out);
    }
    if (timedOut) {
      // One read, no waiting: once the stack is gone the deletion is recorded deleted and gets its GitLab
      // follow-up (never a second DeleteStack); still deleting, it is looked at again next run.
      let now: Awaited<ReturnType<typeof deps.aws.describeStack>>;
      try {
        now = await deps.aws.describeStack(deps.targetOf(d.account), d.region, stackId);
      } catch (error) {
        ctx.fail(error, {
          what: 'status of a deletion that timed out in an earlier run',
          stacks: [d.name],
          effect: 'not-done',
          account: d.account,
          region: d.region,
        });
        continue;
      }
      if (now && now.status !== 'DELETE_COMPLETE') continue;
      delete d.error;
      log.info({ runId: d.runId }, 'a deletion that timed out in an earlier run has completed');
      await finish(ctx, d, { stackId, name: d.name });
    }
    if (d.status === 'deleted') await gitlabFollowUp(ctx, stackId, d, log);
  }
}
