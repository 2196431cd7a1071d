import { describe, expect, it } from 'vitest';
import { EXECUTION_CODES, pollError } from './outcome.js';

describe('execution codes', () => {
  it('each code says what result it comes with (the table in docs/reaping.md is generated from them)', () => {
    for (const [code, { result, meaning }] of Object.entries(EXECUTION_CODES)) {
      expect(['skipped', 'cancelled', 'failed', 'cancelled or failed'], code).toContain(result);
      expect(meaning.length, code).toBeGreaterThan(20);
    }
  });

  it('maps every terminal poll result to its code, and an export still in use to EXPORT_IN_USE', () => {
    expect(pollError({ kind: 'failed', status: 'DELETE_FAILED', reason: 'bucket not empty' }, 1000)).toEqual({
      code: 'DELETE_FAILED',
      message: 'bucket not empty',
    });
    expect(pollError({ kind: 'failed', status: 'DELETE_FAILED' }, 1000, 'Bucket: not empty')).toEqual({
      code: 'DELETE_FAILED',
      message: 'Bucket: not empty',
    });
    expect(pollError({ kind: 'failed', status: 'DELETE_FAILED' }, 1000).message).toBe('DELETE_FAILED');
    expect(
      pollError(
        {
          kind: 'rolled-back',
          status: 'UPDATE_COMPLETE',
          reason: 'Export x cannot be deleted as it is in use by y',
          cause: 'EXPORT_IN_USE',
        },
        1000,
      ),
    ).toEqual({ code: 'EXPORT_IN_USE', message: 'Export x cannot be deleted as it is in use by y' });
    expect(pollError({ kind: 'rolled-back', status: 'UPDATE_COMPLETE', reason: 'other' }, 1000)).toEqual({
      code: 'DELETE_ROLLED_BACK',
      message: 'other',
    });
    expect(pollError({ kind: 'rolled-back', status: 'UPDATE_COMPLETE' }, 1000)).toEqual({
      code: 'DELETE_ROLLED_BACK',
      message: 'back to UPDATE_COMPLETE',
    });
    expect(pollError({ kind: 'timeout', status: 'DELETE_IN_PROGRESS' }, 90_400)).toEqual({
      code: 'DELETE_TIMEOUT',
      message: 'still DELETE_IN_PROGRESS after 90 s',
    });
  });
});
