import { describe, expect, it } from 'vitest';
import {
  BRING_BACK,
  deletedNoteBody,
  NOTE_MAX_REASONS,
  noteMarker,
  noticeBody,
  noticeMarker,
  stoppedNoteBody,
  unusedNoticeBody,
} from './notes.js';

/** The texts people read on their merge requests: pinned whole, and hostile names kept inert. */

const stack = {
  stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x',
  name: 'review-a',
  account: '111111111111',
  region: 'eu-west-1',
};
const reasons = [{ code: 'MR_MERGED', detail: '!12 from feature/x merged', at: '2026-11-27T10:00:00.000Z' }];

describe('MR notes', () => {
  it('the advance notice: when, why, how to keep it', () => {
    expect(
      noticeBody(stack, 'merged', reasons, '2026-12-01T00:00:00.000Z', ['env-reaper::keep', 'keep me']),
    ).toMatchInlineSnapshot(`
      "<!-- env-reaper:notice arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x merged -->
      **env-reaper**: the review environment stack \`review-a\` (account \`111111111111\`, \`eu-west-1\`) will be deleted after **2026-12-01T00:00:00.000Z**.

      Verdict: **merged**. Evidence:
      - \`MR_MERGED\` \`!12 from feature/x merged\` (\`2026-11-27T10:00:00.000Z\`)

      To keep it, add the label \`env-reaper::keep\` or \`keep me\` to this merge request (re-checked right before deletion), or tag the stack \`env-reaper:keep=true\` or \`env-reaper:keep=YYYY-MM-DD\`."
    `);
    expect(noticeBody(stack, 'idle', [], undefined, ['k'])).toContain('after **its grace period**');
  });

  it('the note after a deletion, by DeleteStack, by the on_stop job, after a fallback and after emptying', () => {
    expect(deletedNoteBody(stack, 'merged', reasons, 'run-1')).toMatchInlineSnapshot(`
      "<!-- env-reaper:deleted arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x -->
      **env-reaper** deleted the review environment stack \`review-a\` (account \`111111111111\`, \`eu-west-1\`) in run \`run-1\`.

      Verdict: **merged**. Evidence:
      - \`MR_MERGED\` \`!12 from feature/x merged\` (\`2026-11-27T10:00:00.000Z\`)

      The stack is gone (\`DELETE_COMPLETE\`); its GitLab environment was stopped. To keep a stack in future, tag it \`env-reaper:keep=true\` or \`env-reaper:keep=YYYY-MM-DD\`."
    `);
    expect(deletedNoteBody(stack, 'merged', reasons, 'run-1', { teardown: 'stop-job' })).toContain(
      "\n\nIt was torn down by this project's `on_stop` job.\n\n",
    );
    expect(
      deletedNoteBody(stack, 'merged', reasons, 'run-1', {
        teardown: 'delete-stack',
        fallback: 'STOP_JOB_TIMEOUT',
      }),
    ).toContain(
      "\n\nThe environment's `on_stop` job did not delete it (`STOP_JOB_TIMEOUT`), so env-reaper deleted it with CloudFormation `DeleteStack`.\n\n",
    );
    const emptied = deletedNoteBody(stack, 'delete-failed', reasons, 'run-1', {
      teardown: 'delete-stack',
      emptied: [
        { type: 'AWS::S3::Bucket', physicalId: 'b-1', removed: 4, bytes: 300 },
        { type: 'AWS::ECR::Repository', physicalId: 'r-1', removed: 2, bytes: 200 },
      ],
    });
    expect(emptied).toContain(
      '\n\nIts deletion first failed on storage that still held data, so env-reaper emptied the bucket `b-1` (4 object versions and delete markers, 300 bytes) and the repository `r-1` (2 images, 200 bytes) and deleted the stack on a retry (`onDeleteFailed: empty-and-retry`).\n\n',
    );
    expect(
      deletedNoteBody(stack, 'merged', reasons, 'run-1', { teardown: 'delete-stack', emptied: [] }),
    ).toBe(deletedNoteBody(stack, 'merged', reasons, 'run-1'));
  });

  it('caps the evidence list, counting the rest', () => {
    const many = Array.from({ length: NOTE_MAX_REASONS + 3 }, (_, i) => ({ code: 'IDLE', detail: `r${i}` }));
    const body = noticeBody(stack, 'idle', many, undefined, ['k']);
    expect(body.match(/^- `IDLE`/gm)).toHaveLength(NOTE_MAX_REASONS);
    expect(body).toContain('\n- … and 3 more\n');
    expect(noticeBody(stack, 'idle', many.slice(0, NOTE_MAX_REASONS), undefined, ['k'])).not.toContain(
      'more',
    );
  });

  it('hostile names are code spans, never mentions, links or markup', () => {
    const evil = { ...stack, name: '@all <img src=x> [x](http://e)' };
    const body = deletedNoteBody(evil, 'merged', [{ code: 'MR_MERGED', detail: '@here `tick`' }], 'run-1');
    expect(body).toContain('`@all <img src=x> [x](http://e)`');
    expect(body).toContain('`` @here `tick` ``');
  });

  it('markers differ per stack, and per verdict for notices, and stay hidden', () => {
    expect(noteMarker(stack.stackId)).toMatch(/^<!--.*-->$/);
    expect(noteMarker(stack.stackId)).not.toBe(noteMarker(`${stack.stackId}2`));
    expect(noticeMarker(stack.stackId, 'merged')).not.toBe(noticeMarker(stack.stackId, 'idle'));
    expect(noticeMarker(stack.stackId, 'merged')).not.toBe(noteMarker(stack.stackId));
  });

  it('the unused notice: nobody opened it, how to silence it, and (stop) when and how to bring it back', () => {
    const quiet = [
      {
        code: 'NO_TRAFFIC',
        detail: 'no requests for 14 days on alb app/x/1',
        at: '2026-11-13T00:00:00.000Z',
      },
    ];
    expect(
      unusedNoticeBody(stack, quiet, 14, ['env-reaper::keep', 'keep me'], undefined),
    ).toMatchInlineSnapshot(`
      "<!-- env-reaper:notice arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x unused -->
      **env-reaper**: no one has opened this environment for 14 days: the review environment stack \`review-a\` (account \`111111111111\`, \`eu-west-1\`) had no request in that time.

      Nothing will be deleted: it is flagged for the team that pays for it.

      Evidence:
      - \`NO_TRAFFIC\` \`no requests for 14 days on alb app/x/1\` (\`2026-11-13T00:00:00.000Z\`)

      To keep it as it is and silence this, add the label \`env-reaper::keep\` or \`keep me\` to this merge request, or tag the stack \`env-reaper:keep=true\` or \`env-reaper:keep=YYYY-MM-DD\`."
    `);
    const stop = unusedNoticeBody(stack, quiet, 7, ['k'], '2026-12-01T00:00:00.000Z');
    expect(stop).toContain('no one has opened this environment for 7 days');
    expect(stop).toContain(
      `It will be **stopped** after **\`2026-12-01T00:00:00.000Z\`**, through this project's own \`on_stop\` job (env-reaper never deletes the stack of an open merge request). ${BRING_BACK}`,
    );
    expect(stop).not.toContain('Nothing will be deleted');
    expect(BRING_BACK).toBe(
      "To bring it back, re-run this merge request's deploy job (GitLab offers it as **Re-deploy** on the environment, or run the pipeline again).",
    );
  });

  it('the note after a stop: stopped through on_stop, how to bring it back, the evidence', () => {
    expect(stoppedNoteBody(stack, reasons, 'run-2')).toMatchInlineSnapshot(`
      "<!-- env-reaper:deleted arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/x -->
      **env-reaper** stopped the unused review environment stack \`review-a\` (account \`111111111111\`, \`eu-west-1\`) in run \`run-2\`, through this project's \`on_stop\` job: no one had opened it for the window below.

      To bring it back, re-run this merge request's deploy job (GitLab offers it as **Re-deploy** on the environment, or run the pipeline again).

      Evidence:
      - \`MR_MERGED\` \`!12 from feature/x merged\` (\`2026-11-27T10:00:00.000Z\`)"
    `);
  });
});
