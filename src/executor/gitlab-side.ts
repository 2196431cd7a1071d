import { mergeRequestFor } from '../core/match.js';
import type { EnvironmentFinding, EnvironmentRecord } from '../core/run-result.js';
import type { Logger } from '../log/logger.js';
import type { DeletionRecord } from '../state/state.js';
import { type ExecutionContext, type ExecutorDeps, runErrorOf, writeAudit } from './context.js';
import { byStopJob } from './lifecycle.js';
import {
  deletedNoteBody,
  noteMarker,
  noticeBody,
  noticeMarker,
  stoppedNoteBody,
  unusedNoticeBody,
} from './notes.js';

/**
 * The GitLab writes of the executor: the follow-up after a deletion (stop and maybe delete the
 * environment, note the MR), advance notices, ghost environments and the dashboard issue. Each is
 * idempotent (state flags, and hidden markers GitLab itself keeps), and none of them decides dry-run:
 * executor.ts calls them only under `--apply`.
 */

/**
 * After DELETE_COMPLETE: stop (and maybe delete) the environment, note the MR. Each step is idempotent
 * and stands alone: one that fails is an error of the run (the next run retries it) and does not keep
 * the others from being done.
 */
export async function gitlabFollowUp(
  ctx: ExecutionContext,
  stackId: string,
  d: DeletionRecord,
  log: Logger,
): Promise<void> {
  const { deps, options, save, audit } = ctx;
  if (d.projectId === undefined) return;
  const pid = d.projectId;
  const step = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (error) {
      // The stack is gone either way; the next run finishes what is missing here.
      ctx.fail(error, { what, stacks: [d.name], effect: 'not-done', project: pid });
      await audit({ event: 'gitlab-followup-failed', stackId, step: what, error: (error as Error).message });
      log.debug({ step: what }, 'GitLab follow-up step failed; the next run retries it');
      return false;
    }
  };
  let stopped = true;
  if (d.environmentId !== undefined && !d.environmentStopped) {
    const envId = d.environmentId;
    stopped = await step('environment stop after deletion', async () => {
      const state = await deps.gitlab.stopEnvironment(pid, envId);
      d.environmentStopped = true;
      await save();
      await audit({ event: 'environment-stopped', stackId, projectId: pid, environmentId: envId, state });
    });
  }
  // GitLab deletes only stopped environments. A stopped unused one stays: its Re-deploy brings it back.
  if (
    stopped &&
    d.environmentId !== undefined &&
    options.deleteEnvironments &&
    d.verdict !== 'unused' &&
    !d.environmentDeleted
  ) {
    const envId = d.environmentId;
    await step('environment deletion', async () => {
      await deps.gitlab.deleteEnvironment(pid, envId);
      d.environmentDeleted = true;
      await save();
      await audit({ event: 'environment-deleted', stackId, projectId: pid, environmentId: envId });
    });
  }
  if (options.mergeRequestNotes && d.mrIid !== undefined && !d.notePosted) {
    const mrIid = d.mrIid;
    await step('MR note after deletion', async () => {
      // GitLab is the source of truth: a note posted by a run killed before it saved state is found here.
      const bodies = await deps.gitlab.mergeRequestNoteBodies(pid, mrIid);
      if (!bodies.some((b) => b.includes(noteMarker(stackId)))) {
        const stack = { stackId, name: d.name, account: d.account, region: d.region };
        await deps.gitlab.createMergeRequestNote(
          pid,
          mrIid,
          d.verdict === 'unused'
            ? stoppedNoteBody(stack, d.reasons, d.runId)
            : deletedNoteBody(stack, d.verdict, d.reasons, d.runId, {
                teardown: byStopJob(d) ? 'stop-job' : 'delete-stack',
                fallback: d.fallback,
                emptied: d.emptied,
              }),
        );
        await audit({ event: 'mr-note-posted', stackId, projectId: pid, mrIid });
      }
      d.notePosted = true;
      await save();
    });
  }
}

/** One advance notice on the MR of a stack that will be deleted later; idempotent through its marker. */
export async function postNotice(e: EnvironmentRecord, ctx: ExecutionContext): Promise<void> {
  const { deps, options, save, audit } = ctx;
  const pid = e.evidence.project?.ok ? e.evidence.project.value?.id : e.owner.projectId;
  const mrIid = mergeRequestFor(e.owner, e.evidence);
  if (pid === undefined || mrIid === undefined) return;
  const verdict = e.classification.verdict;
  try {
    const bodies = await deps.gitlab.mergeRequestNoteBodies(pid, mrIid);
    if (!bodies.some((b) => b.includes(noticeMarker(e.stack.stackId, verdict)))) {
      const keepLabels = options.keepLabels;
      const body =
        verdict === 'unused'
          ? unusedNoticeBody(
              e.stack,
              e.classification.reasons,
              options.unusedWindowDays,
              keepLabels,
              e.plan.action === 'stop' ? e.plan.deleteAfter : undefined,
            )
          : noticeBody(e.stack, verdict, e.classification.reasons, e.plan.deleteAfter, keepLabels);
      await deps.gitlab.createMergeRequestNote(pid, mrIid, body);
      await audit({
        event: 'mr-notice-posted',
        stackId: e.stack.stackId,
        projectId: pid,
        mrIid,
        verdict,
        deleteAfter: e.plan.deleteAfter,
      });
    }
    const s = deps.state.stacks[e.stack.stackId];
    if (s) {
      s.notices = { ...s.notices, [verdict]: { at: new Date(ctx.now()).toISOString(), mrIid } };
      await save();
    }
  } catch (error) {
    ctx.fail(error, { what: 'advance notice', stacks: [e.stack.name], effect: 'not-done', project: pid });
  }
}

/** The deps the run-level GitLab writes need. */
export type GitLabSideDeps = Pick<ExecutorDeps, 'gitlab' | 'logger' | 'auditLog' | 'onError'>;

/** Stops one ghost environment; `false` when GitLab refused (logged, retried next run). */
export async function stopGhost(
  g: EnvironmentFinding,
  deps: GitLabSideDeps,
  runId: string,
): Promise<boolean> {
  try {
    const state = await deps.gitlab.stopEnvironment(g.projectId, g.id);
    await writeAudit(deps, runId, {
      event: 'ghost-environment-stopped',
      projectId: g.projectId,
      environmentId: g.id,
      name: g.name,
      state,
    });
    return true;
  } catch (error) {
    const e = runErrorOf(error, {
      what: `ghost environment stop (${g.name})`,
      stacks: [],
      effect: 'not-done',
      project: g.projectPath,
    });
    deps.logger.error({ environment: g.name, code: e.code, err: error }, 'could not stop ghost environment');
    deps.onError?.(e);
    return false;
  }
}

/** The dashboard issue to write. */
export interface DashboardUpdate {
  runId: string;
  project: string | number;
  title: string;
  label: string;
  existing: number | undefined;
  body: string;
}

/** Creates or edits the dashboard issue in place. */
export async function writeDashboard(deps: GitLabSideDeps, u: DashboardUpdate): Promise<void> {
  try {
    if (u.existing !== undefined) await deps.gitlab.updateIssue(u.project, u.existing, u.body);
    else await deps.gitlab.createIssue(u.project, u.title, u.body, u.label);
    await writeAudit(deps, u.runId, {
      event: 'dashboard-updated',
      project: u.project,
      issue: u.existing ?? 'new',
    });
  } catch (error) {
    const e = runErrorOf(error, {
      what: 'dashboard issue update',
      stacks: [],
      effect: 'not-done',
      project: u.project,
    });
    deps.logger.error({ code: e.code, err: error }, 'dashboard issue update failed; the next run retries it');
    deps.onError?.(e);
  }
}
