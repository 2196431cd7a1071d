import { describe, expect, it } from 'vitest';
import { writeGate } from './executor.js';

/** Sends two writes through the gate: what it answered, how often the writes ran, what it logged. */
async function through(apply: boolean) {
  const lines: { fields: unknown; msg: string }[] = [];
  const logger = { info: (fields: unknown, msg: string) => lines.push({ fields, msg }) } as never;
  let ran = 0;
  const gate = writeGate(apply);
  const answer = await gate.pass(
    logger,
    [
      { fields: { stack: 's' }, what: 'delete stack' },
      { fields: { iid: 1 }, what: 'note the merge request' },
    ],
    'skipped',
    async () => {
      ran++;
      return 'written';
    },
  );
  return { mode: gate.mode, answer, ran, lines };
}

describe('the write gate (the one place dry-run is decided)', () => {
  it('with apply: named apply, runs the writes once and says nothing', async () => {
    expect(await through(true)).toEqual({ mode: 'apply', answer: 'written', ran: 1, lines: [] });
  });

  it('without: named dry-run, runs nothing, says each write as a DRY-RUN line and answers skipped', async () => {
    expect(await through(false)).toEqual({
      mode: 'dry-run',
      answer: 'skipped',
      ran: 0,
      lines: [
        { fields: { stack: 's' }, msg: 'DRY-RUN: would delete stack' },
        { fields: { iid: 1 }, msg: 'DRY-RUN: would note the merge request' },
      ],
    });
  });
});
