import { mdCode, mdMarker } from '../util/safe-text.js';

/**
 * The texts env-reaper posts on merge requests. Every outside string (stack name, account, region,
 * evidence details, label names from config) is an unbreakable code span (`util/safe-text.ts`), so a
 * branch called `fix/@all` is shown, never mentioned. Evidence lists are capped so a note stays far
 * below GitLab's note limit (1,000,000 characters).
 */

/** Evidence lines in one note before the rest is counted. */
export const NOTE_MAX_REASONS = 20;

/** The hidden marker that makes MR notes idempotent. */
export function noteMarker(stackId: string): string {
  return mdMarker('deleted', stackId);
}

/** The hidden marker of an advance notice: one per stack and verdict. */
export function noticeMarker(stackId: string, verdict: string): string {
  return mdMarker('notice', stackId, verdict);
}

/** One line of evidence (a reason as classified now, or as stored in state). */
export interface NoteReason {
  code: string;
  detail: string;
  at?: string | undefined;
}

function evidence(reasons: NoteReason[]): string {
  const shown = reasons
    .slice(0, NOTE_MAX_REASONS)
    .map((r) => `- \`${r.code}\` ${mdCode(r.detail)}${r.at ? ` (${mdCode(r.at)})` : ''}`);
  if (reasons.length > NOTE_MAX_REASONS) shown.push(`- … and ${reasons.length - NOTE_MAX_REASONS} more`);
  return shown.join('\n');
}

/** What a note says about the stack it concerns. */
export interface NoteStack {
  stackId: string;
  name: string;
  account: string;
  region: string;
}

/** How to bring back an environment env-reaper stopped: GitLab's own way, the deploy job again. */
export const BRING_BACK =
  "To bring it back, re-run this merge request's deploy job (GitLab offers it as **Re-deploy** on the environment, or run the pipeline again).";

/**
 * The notice on an unused environment (`policy.unused`): nobody opened it for the window; flagged, or
 * stopped through its `on_stop` job after `stopAfter`. How to silence it and how to bring it back.
 */
export function unusedNoticeBody(
  stack: NoteStack,
  reasons: NoteReason[],
  windowDays: number,
  keepLabels: string[],
  stopAfter: string | undefined,
): string {
  const labels = keepLabels.map((l) => mdCode(l)).join(' or ');
  return [
    noticeMarker(stack.stackId, 'unused'),
    `**env-reaper**: no one has opened this environment for ${windowDays} days: the review environment stack ${mdCode(stack.name)} (account ${mdCode(stack.account)}, ${mdCode(stack.region)}) had no request in that time.`,
    '',
    stopAfter !== undefined
      ? `It will be **stopped** after **${mdCode(stopAfter)}**, through this project's own \`on_stop\` job (env-reaper never deletes the stack of an open merge request). ${BRING_BACK}`
      : 'Nothing will be deleted: it is flagged for the team that pays for it.',
    '',
    'Evidence:',
    evidence(reasons),
    '',
    `To keep it as it is and silence this, add the label ${labels} to this merge request, or tag the stack \`env-reaper:keep=true\` or \`env-reaper:keep=YYYY-MM-DD\`.`,
  ].join('\n');
}

/** The note after an unused environment was stopped through its `on_stop` job. */
export function stoppedNoteBody(stack: NoteStack, reasons: NoteReason[], runId: string): string {
  return [
    noteMarker(stack.stackId),
    `**env-reaper** stopped the unused review environment stack ${mdCode(stack.name)} (account ${mdCode(stack.account)}, ${mdCode(stack.region)}) in run ${mdCode(runId)}, through this project's \`on_stop\` job: no one had opened it for the window below.`,
    '',
    BRING_BACK,
    '',
    'Evidence:',
    evidence(reasons),
  ].join('\n');
}

/** The advance notice: when, why, and how to keep the stack. */
export function noticeBody(
  stack: NoteStack,
  verdict: string,
  reasons: NoteReason[],
  deleteAfter: string | undefined,
  keepLabels: string[],
): string {
  const labels = keepLabels.map((l) => mdCode(l)).join(' or ');
  return [
    noticeMarker(stack.stackId, verdict),
    `**env-reaper**: the review environment stack ${mdCode(stack.name)} (account ${mdCode(stack.account)}, ${mdCode(stack.region)}) will be deleted after **${deleteAfter ?? 'its grace period'}**.`,
    '',
    `Verdict: **${verdict}**. Evidence:`,
    evidence(reasons),
    '',
    `To keep it, add the label ${labels} to this merge request (re-checked right before deletion), or tag the stack \`env-reaper:keep=true\` or \`env-reaper:keep=YYYY-MM-DD\`.`,
  ].join('\n');
}

/** The note after a deletion. */
export function deletedNoteBody(
  stack: NoteStack,
  verdict: string,
  reasons: NoteReason[],
  runId: string,
  how: {
    teardown: 'stop-job' | 'delete-stack';
    fallback?: string | undefined;
    emptied?: { type: string; physicalId: string; removed: number; bytes: number }[] | undefined;
  } = {
    teardown: 'delete-stack',
  },
): string {
  const emptied = how.emptied?.length
    ? `Its deletion first failed on storage that still held data, so env-reaper emptied ${how.emptied
        .map(
          (e) =>
            `${e.type === 'AWS::ECR::Repository' ? 'the repository' : 'the bucket'} ${mdCode(e.physicalId)} (${e.removed} ${e.type === 'AWS::ECR::Repository' ? 'images' : 'object versions and delete markers'}, ${e.bytes} bytes)`,
        )
        .join(' and ')} and deleted the stack on a retry (\`onDeleteFailed: empty-and-retry\`).`
    : undefined;
  const teardown =
    how.teardown === 'stop-job'
      ? "It was torn down by this project's `on_stop` job."
      : how.fallback
        ? `The environment's \`on_stop\` job did not delete it (\`${how.fallback}\`), so env-reaper deleted it with CloudFormation \`DeleteStack\`.`
        : undefined;
  return [
    noteMarker(stack.stackId),
    `**env-reaper** deleted the review environment stack ${mdCode(stack.name)} (account ${mdCode(stack.account)}, ${mdCode(stack.region)}) in run ${mdCode(runId)}.`,
    ...(teardown ? ['', teardown] : []),
    ...(emptied ? ['', emptied] : []),
    '',
    `Verdict: **${verdict}**. Evidence:`,
    evidence(reasons),
    '',
    'The stack is gone (`DELETE_COMPLETE`); its GitLab environment was stopped. To keep a stack in future, tag it `env-reaper:keep=true` or `env-reaper:keep=YYYY-MM-DD`.',
  ].join('\n');
}
