import { describe, expect, it } from 'vitest';
import { deletedNoteBody, NOTE_MAX_REASONS, noteMarker, noticeBody, noticeMarker } from './notes.js';

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
});
