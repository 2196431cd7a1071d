import { describe, expect, it } from 'vitest';
import { defaultPolicy, NOW, snapshot } from '../../test/helpers/fixtures.js';
import { classify } from '../core/classify.js';
import { toStackFacts } from './stacks.js';

describe('stack facts from an SDK answer', () => {
  const base = {
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/review-a/1',
    StackName: 'review-a',
    StackStatus: 'CREATE_COMPLETE' as const,
    CreationTime: new Date('2026-11-01T00:00:00Z'),
  };

  it('keeps the creation time as AWS sent it', () => {
    const s = toStackFacts(base, '111111111111', 'eu-west-1');
    expect(s.createdAt).toBe('2026-11-01T00:00:00.000Z');
    expect(s.missing).toBeUndefined();
  });

  it('never gives a stack without CreationTime a default date: it is unknown, and says why', () => {
    const { CreationTime: _dropped, ...rest } = base;
    const s = toStackFacts({ ...rest, CreationTime: undefined }, '111111111111', 'eu-west-1');
    expect(s.createdAt).toBe('');
    expect(s.missing).toEqual(['CreationTime']);
    const c = classify(snapshot({ stack: s }), defaultPolicy(), NOW);
    expect(c.verdict).toBe('unknown');
    expect(c.reasons).toEqual([
      { code: 'STACK_INCOMPLETE', detail: "AWS did not send the stack's CreationTime" },
    ]);
  });

  it("reads CloudFormation's words for an export still imported, once, as statusCause", () => {
    const refused = toStackFacts(
      {
        ...base,
        StackStatus: 'UPDATE_COMPLETE',
        StackStatusReason: 'Export review-a-url cannot be deleted as it is in use by review-b and review-c',
      },
      '111111111111',
      'eu-west-1',
    );
    expect(refused.statusCause).toBe('EXPORT_IN_USE');
    const other = toStackFacts({ ...base, StackStatusReason: 'User Initiated' }, '111111111111', 'eu-west-1');
    expect(other.statusCause).toBeUndefined();
  });
});
