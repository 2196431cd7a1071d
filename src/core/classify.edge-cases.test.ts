import { describe, expect, it } from 'vitest';
import { ago, branch, defaultPolicy, env, mr, NOW, project, snapshot } from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import type { ReasonCode } from './model.js';

const policy = defaultPolicy();
const codes = (c: { reasons: { code: ReasonCode }[] }) => c.reasons.map((r) => r.code);
const fail = {
  ok: false as const,
  error: { code: 'SERVER_ERROR' as const, status: 500, message: '500 Internal Server Error' },
};

describe('classify: edge cases', () => {
  it('a keep tag with a past date no longer protects', () => {
    const expired = classify(
      snapshot({
        stack: {
          tags: { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/x', 'env-reaper:keep': '2026-01-01' },
        },
        gitlab: { branches: { ok: true, value: [] } },
      }),
      policy,
      NOW,
    );
    expect(codes(expired)).toContain('KEEP_TAG_EXPIRED');
    expect(expired.verdict).toBe('branch-deleted');
  });

  it('a former keep key (ownership.tags.alsoKeep) still protects after the key changed, and says so', () => {
    const renamed = {
      ...policy,
      ownership: { ...policy.ownership, tags: { ...policy.ownership.tags, keep: 'team:keep' } },
    };
    const tagged = (tags: Record<string, string>) =>
      snapshot({
        stack: { tags: { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/x', ...tags } },
        gitlab: { branches: { ok: true, value: [] } },
      });
    // The default config keeps honouring env-reaper:keep: the stack stays kept, with the key named.
    const kept = classify(tagged({ 'env-reaper:keep': 'true' }), renamed, NOW);
    expect(kept.verdict).toBe('protected');
    expect(kept.reasons).toContainEqual({
      code: 'KEEP_TAG',
      detail: 'keep tag (former keep key env-reaper:keep; ownership.tags.alsoKeep)',
    });
    // Any key that keeps, keeps: false under the new key does not undo the old key's true.
    expect(classify(tagged({ 'team:keep': 'false', 'env-reaper:keep': 'true' }), renamed, NOW).verdict).toBe(
      'protected',
    );
    // The new key itself: no "former" wording.
    expect(classify(tagged({ 'team:keep': 'true' }), renamed, NOW).reasons).toContainEqual({
      code: 'KEEP_TAG',
      detail: 'keep tag',
    });
    // Dropped on purpose: the old key no longer protects.
    const dropped = {
      ...renamed,
      ownership: { ...renamed.ownership, tags: { ...renamed.ownership.tags, alsoKeep: [] } },
    };
    expect(classify(tagged({ 'env-reaper:keep': 'true' }), dropped, NOW).verdict).toBe('branch-deleted');
    // An expired configured key still explains itself, even with a former key listed.
    expect(codes(classify(tagged({ 'team:keep': '2026-01-01' }), renamed, NOW))).toContain(
      'KEEP_TAG_EXPIRED',
    );
    // The default key listed twice (keep and alsoKeep) gives one reason, not two.
    const twice = classify(tagged({ 'env-reaper:keep': 'true' }), policy, NOW);
    expect(twice.reasons.filter((r) => r.code === 'KEEP_TAG')).toEqual([
      { code: 'KEEP_TAG', detail: 'keep tag' },
    ]);
  });

  it('a ref-slug matching two branches is alive if either is alive', () => {
    const s = snapshot({
      owner: { matchedBy: 'tags', projectId: 101, refSlug: 'feature-x' },
      gitlab: {
        branches: { ok: true, value: [branch('feature/x'), branch('feature-x')] },
        mergeRequests: { ok: true, value: [mr(1, 'feature/x', { state: 'merged', mergedAt: ago(10) })] },
      },
    });
    const c = classify(s, policy, NOW);
    expect(c.verdict).toBe('active');
    expect(codes(c)).toContain('REF_SLUG_AMBIGUOUS');
  });

  it('a ref-slug whose every branch is gone is branch-deleted', () => {
    const s = snapshot({
      owner: { matchedBy: 'tags', projectId: 101, refSlug: 'feature-x' },
      gitlab: { branches: { ok: true, value: [branch('main', { default: true })] } },
    });
    expect(classify(s, policy, NOW).verdict).toBe('branch-deleted');
  });

  it('a merged MR plus a newer open MR from the same branch is active', () => {
    const s = snapshot({
      gitlab: {
        mergeRequests: {
          ok: true,
          value: [mr(1, 'feature/x', { state: 'merged', mergedAt: ago(48) }), mr(2, 'feature/x')],
        },
      },
    });
    expect(classify(s, policy, NOW).verdict).toBe('active');
  });

  it('merged counts grace from merged_at', () => {
    const s = snapshot({
      gitlab: {
        mergeRequests: { ok: true, value: [mr(1, 'feature/x', { state: 'merged', mergedAt: ago(5) })] },
      },
    });
    expect(classify(s, policy, NOW).since).toBe(ago(5));
  });

  it('branch-deleted counts from closed_at, else first seen, else the last stack update', () => {
    const gone = { branches: { ok: true as const, value: [] } };
    const closed = snapshot({
      gitlab: {
        ...gone,
        mergeRequests: { ok: true, value: [mr(3, 'feature/x', { state: 'closed', closedAt: ago(9) })] },
      },
    });
    expect(classify(closed, policy, NOW).since).toBe(ago(9));
    const seen = { ...snapshot({ gitlab: gone }), firstSeen: { 'branch-deleted': ago(4) } };
    expect(classify(seen, policy, NOW).since).toBe(ago(4));
    const updated = snapshot({ stack: { updatedAt: ago(6) }, gitlab: gone });
    expect(classify(updated, policy, NOW).since).toBe(ago(6));
  });

  it('a protected stack stays protected even when its GitLab evidence failed', () => {
    const s = snapshot({ stack: { terminationProtection: true }, gitlab: { project: fail, branches: fail } });
    expect(classify(s, policy, NOW).verdict).toBe('protected');
  });

  it('an archived project with unreadable branches is unknown, not project-gone (a branch may be protected)', () => {
    const s = snapshot({
      owner: { matchedBy: 'tags', projectId: 101, ref: 'release/1' },
      gitlab: { project: { ok: true, value: { ...project, archived: true } }, branches: fail },
    });
    expect(classify(s, policy, NOW).verdict).toBe('unknown');
  });

  it('a DELETE_FAILED stack whose protection cannot be read is unknown', () => {
    const s = snapshot({ stack: { status: 'DELETE_FAILED' }, gitlab: { branches: fail } });
    expect(classify(s, policy, NOW).verdict).toBe('unknown');
  });

  it('protect.branches globs protect matching refs', () => {
    const p = { ...policy, protect: { ...policy.protect, branches: ['feature/*'] } };
    expect(classify(snapshot({ gitlab: { branches: { ok: true, value: [] } } }), p, NOW).verdict).toBe(
      'protected',
    );
  });

  it('protect.stackNames regexes protect matching stacks', () => {
    const p = { ...policy, protect: { ...policy.protect, stackNames: ['^review-shop-'] } };
    expect(classify(snapshot(), p, NOW).reasons[0]?.code).toBe('PROTECTED_STACK_NAME');
  });

  it('a deployed ref from the environment stands in for a missing ref tag', () => {
    const s = snapshot({
      owner: { matchedBy: 'tags', projectId: 101, environment: 'review/feature-x' },
      gitlab: {
        environment: { ok: true, value: env({ lastDeploymentRef: 'feature/x' }) },
        mergeRequests: { ok: true, value: [mr(1, 'feature/x', { state: 'merged', mergedAt: ago(3) })] },
      },
    });
    expect(classify(s, policy, NOW).verdict).toBe('merged');
  });

  it("the tagged MR's source branch stands in when no tag names the ref", () => {
    const s = snapshot({
      owner: { matchedBy: 'tags', projectId: 101, mrIid: 7 },
      gitlab: {
        taggedMergeRequest: { ok: true, value: mr(7, 'feature/x', { state: 'merged', mergedAt: ago(3) }) },
        mergeRequests: { ok: true, value: [mr(7, 'feature/x', { state: 'merged', mergedAt: ago(3) })] },
      },
    });
    expect(classify(s, policy, NOW).verdict).toBe('merged');
    const failed = { ...s, gitlab: { ...s.gitlab, taggedMergeRequest: fail } };
    expect(classify(failed, policy, NOW).verdict).toBe('unknown');
  });

  it('an unparseable keep tag keeps the stack', () => {
    const s = snapshot({ stack: { tags: { 'gitlab:project-id': '101', 'env-reaper:keep': 'please' } } });
    expect(classify(s, policy, NOW).verdict).toBe('protected');
  });
});

describe('classify: boundaries', () => {
  const keep = (value: string) =>
    classify(
      snapshot({
        stack: { tags: { 'env-reaper:keep': value } },
        gitlab: { branches: { ok: true, value: [] } },
      }),
      policy,
      NOW,
    );

  it.each([
    ['true', 'protected'],
    [' TRUE ', 'protected'],
    ['false', 'branch-deleted'],
    ['FALSE', 'branch-deleted'],
    ['yes please', 'protected'],
    ['2026-11-29', 'protected'],
    ['2026-11-28', 'branch-deleted'],
    ['2026-13-45', 'protected'],
    ['x2026-12-01', 'protected'],
    ['2026-12-01x', 'protected'],
  ])('keep tag %j → %s', (value, verdict) => {
    expect(keep(value).verdict).toBe(verdict);
  });

  it('a dashboard keep protects until its time, not at it', () => {
    const at = (keptUntil: string) =>
      classify({ ...snapshot({ gitlab: { branches: { ok: true, value: [] } } }), keptUntil }, policy, NOW)
        .verdict;
    expect(at(new Date(NOW + 1).toISOString())).toBe('protected');
    expect(at(new Date(NOW).toISOString())).toBe('branch-deleted');
    expect(at('not a time')).toBe('branch-deleted');
  });

  it('idle starts strictly after idleAfterDays without activity, and counts grace from then', () => {
    const idleMs = policy.idleAfterDays * 86_400_000;
    const at = (ms: number) =>
      classify(
        snapshot({
          stack: { createdAt: new Date(ms).toISOString() },
          gitlab: {
            branches: { ok: true, value: [branch('feature/x', { committedAt: new Date(ms).toISOString() })] },
          },
        }),
        policy,
        NOW,
      );
    expect(at(NOW - idleMs).verdict).toBe('active');
    const idle = at(NOW - idleMs - 86_400_000);
    expect(idle.verdict).toBe('idle');
    expect(idle.since).toBe(new Date(NOW - 86_400_000).toISOString());
    expect(idle.reasons[0]).toMatchObject({
      code: 'IDLE',
      detail: `no activity for ${policy.idleAfterDays + 1} days`,
    });
    // Any activity counts: an MR update or a deployment keeps it active.
    const touched = snapshot({
      stack: { createdAt: new Date(NOW - idleMs * 2).toISOString() },
      gitlab: {
        branches: {
          ok: true,
          value: [branch('feature/x', { committedAt: new Date(NOW - idleMs * 2).toISOString() })],
        },
        mergeRequests: { ok: true, value: [mr(5, 'feature/x', { state: 'opened', updatedAt: ago(1) })] },
      },
    });
    expect(classify(touched, policy, NOW).verdict).toBe('active');
  });

  it('merged counts from the latest merge of several, and branch-deleted from the latest close', () => {
    const merged = classify(
      snapshot({
        gitlab: {
          mergeRequests: {
            ok: true,
            value: [
              mr(1, 'feature/x', { state: 'merged', mergedAt: ago(30) }),
              mr(2, 'feature/x', { state: 'merged', mergedAt: ago(5) }),
              mr(3, 'feature/x', { state: 'merged', mergedAt: ago(50) }),
            ],
          },
        },
      }),
      policy,
      NOW,
    );
    expect(merged).toMatchObject({
      verdict: 'merged',
      since: ago(5),
      reasons: [{ code: 'MR_MERGED', at: ago(5) }],
    });
    const gone = classify(
      snapshot({
        gitlab: {
          branches: { ok: true, value: [] },
          mergeRequests: {
            ok: true,
            value: [
              mr(1, 'feature/x', { state: 'closed', closedAt: ago(30) }),
              mr(2, 'feature/x', { state: 'closed', closedAt: ago(7) }),
            ],
          },
        },
      }),
      policy,
      NOW,
    );
    expect(gone).toMatchObject({ verdict: 'branch-deleted', since: ago(7) });
    expect(gone.reasons.map((r) => r.code)).toEqual(['BRANCH_NOT_FOUND', 'MR_CLOSED']);
    expect(gone.reasons[1]).toMatchObject({ at: ago(7), detail: '!1, !2 closed without merge' });
    // Without closes: first seen, else the stack's last update.
    const seen = classify(
      {
        ...snapshot({ stack: { updatedAt: ago(40) }, gitlab: { branches: { ok: true, value: [] } } }),
        firstSeen: { 'branch-deleted': ago(3) },
      },
      policy,
      NOW,
    );
    expect(seen.since).toBe(ago(3));
    const updated = classify(
      snapshot({ stack: { updatedAt: ago(40) }, gitlab: { branches: { ok: true, value: [] } } }),
      policy,
      NOW,
    );
    expect(updated.since).toBe(ago(40));
  });

  it('project-gone and unowned count grace from first seen, else from now', () => {
    const gone = snapshot({ gitlab: { project: { ok: true, value: null } } });
    expect(classify(gone, policy, NOW).since).toBe(new Date(NOW).toISOString());
    expect(classify({ ...gone, firstSeen: { 'project-gone': ago(9) } }, policy, NOW).since).toBe(ago(9));
  });

  it('an unreadable project makes the stack unknown with that one reason', () => {
    const c = classify(
      snapshot({
        gitlab: { project: { ok: false, error: { code: 'SERVER_ERROR', status: 500, message: 'boom' } } },
      }),
      policy,
      NOW,
    );
    expect(c).toMatchObject({
      verdict: 'unknown',
      reasons: [{ code: 'GITLAB_ERROR', detail: 'project: SERVER_ERROR boom' }],
    });
    expect(c.reasons).toHaveLength(1);
  });
});
