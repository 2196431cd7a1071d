import { describe, expect, it } from 'vitest';
import {
  ago,
  branch,
  defaultPolicy,
  env,
  mr,
  NOW,
  project,
  snapshot,
  usage,
} from '../../test/helpers/fixtures.js';
import { classify } from './classify.js';
import { REASON_CODES, type ReasonCode, VERDICTS, type Verdict } from './model.js';

const policy = defaultPolicy();
const codes = (c: { reasons: { code: ReasonCode }[] }) => c.reasons.map((r) => r.code);
const fail = {
  ok: false as const,
  error: { code: 'SERVER_ERROR' as const, status: 500, message: '500 Internal Server Error' },
};

describe('classify: one row per verdict', () => {
  const cases: { name: string; s: ReturnType<typeof snapshot>; verdict: Verdict; code: ReasonCode }[] = [
    {
      name: 'keep tag true',
      s: snapshot({
        stack: { tags: { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/x', 'env-reaper:keep': 'true' } },
      }),
      verdict: 'protected',
      code: 'KEEP_TAG',
    },
    {
      name: 'keep tag with a future date',
      s: snapshot({ stack: { tags: { 'gitlab:project-id': '101', 'env-reaper:keep': '2027-01-31' } } }),
      verdict: 'protected',
      code: 'KEEP_TAG',
    },
    {
      name: 'kept from the dashboard issue',
      s: { ...snapshot({ gitlab: { branches: { ok: true, value: [] } } }), keptUntil: ago(-24) },
      verdict: 'protected',
      code: 'DASHBOARD_KEEP',
    },
    {
      name: 'termination protection',
      s: snapshot({ stack: { terminationProtection: true }, gitlab: { branches: { ok: true, value: [] } } }),
      verdict: 'protected',
      code: 'TERMINATION_PROTECTION',
    },
    {
      name: 'default branch stack',
      s: snapshot({ owner: { matchedBy: 'tags', projectId: 101, ref: 'main' } }),
      verdict: 'protected',
      code: 'DEFAULT_BRANCH',
    },
    {
      name: 'protected branch',
      s: snapshot({
        owner: { matchedBy: 'tags', projectId: 101, ref: 'release/1' },
        gitlab: { branches: { ok: true, value: [branch('release/1', { protected: true })] } },
      }),
      verdict: 'protected',
      code: 'PROTECTED_BRANCH',
    },
    {
      name: 'production tier environment',
      s: snapshot({
        owner: { matchedBy: 'tags', projectId: 101, ref: 'feature/x', environment: 'prod' },
        gitlab: { environment: { ok: true, value: env({ name: 'prod', tier: 'production' }) } },
      }),
      verdict: 'protected',
      code: 'PROTECTED_TIER',
    },
    {
      name: 'keep label on the MR',
      s: snapshot({
        gitlab: {
          mergeRequests: {
            ok: true,
            value: [mr(42, 'feature/x', { state: 'merged', mergedAt: ago(5), labels: ['env-reaper::keep'] })],
          },
        },
      }),
      verdict: 'protected',
      code: 'MR_KEEP_LABEL',
    },
    {
      name: 'update in progress',
      s: snapshot({ stack: { status: 'UPDATE_IN_PROGRESS' }, gitlab: { branches: { ok: true, value: [] } } }),
      verdict: 'busy',
      code: 'STACK_BUSY',
    },
    {
      name: 'delete in progress',
      s: snapshot({ stack: { status: 'DELETE_IN_PROGRESS' } }),
      verdict: 'busy',
      code: 'STACK_BUSY',
    },
    {
      name: 'review in progress',
      s: snapshot({ stack: { status: 'REVIEW_IN_PROGRESS' } }),
      verdict: 'busy',
      code: 'STACK_BUSY',
    },
    {
      name: 'delete failed',
      s: snapshot({ stack: { status: 'DELETE_FAILED', statusReason: 'bucket not empty' } }),
      verdict: 'delete-failed',
      code: 'STACK_DELETE_FAILED',
    },
    {
      name: 'no creation time from AWS',
      s: snapshot({ stack: { createdAt: '', missing: ['CreationTime'] } }),
      verdict: 'unknown',
      code: 'STACK_INCOMPLETE',
    },
    {
      name: 'GitLab error on branches',
      s: snapshot({ gitlab: { branches: fail } }),
      verdict: 'unknown',
      code: 'GITLAB_ERROR',
    },
    {
      name: 'GitLab error on the project',
      s: snapshot({ gitlab: { project: fail } }),
      verdict: 'unknown',
      code: 'GITLAB_ERROR',
    },
    {
      name: 'environment unreadable when the stack names one',
      s: snapshot({
        owner: { matchedBy: 'tags', projectId: 101, ref: 'feature/x', environment: 'review/feature-x' },
        gitlab: { environment: fail, branches: { ok: true, value: [] } },
      }),
      verdict: 'unknown',
      code: 'GITLAB_ERROR',
    },
    {
      name: 'no ref to look up',
      s: snapshot({ owner: { matchedBy: 'tags', projectId: 101 } }),
      verdict: 'unknown',
      code: 'REF_UNRESOLVED',
    },
    {
      name: 'name pattern without a mapped project',
      s: snapshot({ owner: { matchedBy: 'name-pattern', refSlug: 'feature-x', unresolved: true } }),
      verdict: 'unowned',
      code: 'PROJECT_UNRESOLVED',
    },
    {
      name: 'project 404',
      s: snapshot({ gitlab: { project: { ok: true, value: null } } }),
      verdict: 'project-gone',
      code: 'PROJECT_NOT_FOUND',
    },
    {
      name: 'archived project',
      s: snapshot({ gitlab: { project: { ok: true, value: { ...project, archived: true } } } }),
      verdict: 'project-gone',
      code: 'PROJECT_ARCHIVED',
    },
    {
      name: 'merged MR',
      s: snapshot({
        gitlab: {
          mergeRequests: { ok: true, value: [mr(42, 'feature/x', { state: 'merged', mergedAt: ago(5) })] },
        },
      }),
      verdict: 'merged',
      code: 'MR_MERGED',
    },
    {
      name: 'branch gone, no MR',
      s: snapshot({ gitlab: { branches: { ok: true, value: [branch('main', { default: true })] } } }),
      verdict: 'branch-deleted',
      code: 'BRANCH_NOT_FOUND',
    },
    {
      name: 'branch exists, MRs all closed',
      s: snapshot({
        gitlab: {
          branches: { ok: true, value: [branch('feature/x', { committedAt: ago(40) })] },
          mergeRequests: { ok: true, value: [mr(7, 'feature/x', { state: 'closed', closedAt: ago(30) })] },
        },
      }),
      verdict: 'abandoned',
      code: 'MR_CLOSED',
    },
    {
      name: 'a commit at the very moment the MR was closed counts as work going on',
      s: snapshot({
        gitlab: {
          branches: { ok: true, value: [branch('feature/x', { committedAt: ago(30) })] },
          mergeRequests: { ok: true, value: [mr(7, 'feature/x', { state: 'closed', closedAt: ago(30) })] },
        },
      }),
      verdict: 'active',
      code: 'RECENT_ACTIVITY',
    },
    {
      name: 'MR closed, but the branch was committed to since: work goes on',
      s: snapshot({
        gitlab: {
          branches: { ok: true, value: [branch('feature/x', { committedAt: ago(2) })] },
          mergeRequests: { ok: true, value: [mr(7, 'feature/x', { state: 'closed', closedAt: ago(30) })] },
        },
      }),
      verdict: 'active',
      code: 'RECENT_ACTIVITY',
    },
    {
      name: 'idle branch',
      s: snapshot({
        stack: { createdAt: ago(24 * 40) },
        gitlab: { branches: { ok: true, value: [branch('feature/x', { committedAt: ago(24 * 30) })] } },
      }),
      verdict: 'idle',
      code: 'IDLE',
    },
    {
      name: 'open MR',
      s: snapshot({ gitlab: { mergeRequests: { ok: true, value: [mr(9, 'feature/x')] } } }),
      verdict: 'active',
      code: 'MR_OPEN',
    },
    {
      name: 'branch without MR, recent commit',
      s: snapshot(),
      verdict: 'active',
      code: 'NO_MR',
    },
    {
      name: 'open MR, no request for the window on its load balancer',
      s: {
        ...snapshot({
          stack: { createdAt: ago(24 * 40) },
          gitlab: { mergeRequests: { ok: true, value: [mr(9, 'feature/x')] } },
        }),
        usage: usage([{ kind: 'alb', daily: [0, 120, ...Array.from({ length: 15 }, () => 0)] }]),
      },
      verdict: 'unused',
      code: 'NO_TRAFFIC',
    },
    {
      name: 'open MR, requests within the window',
      s: {
        ...snapshot({
          stack: { createdAt: ago(24 * 40) },
          gitlab: { mergeRequests: { ok: true, value: [mr(9, 'feature/x')] } },
        }),
        usage: usage([{ kind: 'alb', daily: [3, 0, 0] }, { kind: 'lambda' }]),
      },
      verdict: 'active',
      code: 'RECENT_TRAFFIC',
    },
    {
      name: 'open MR, usage unreadable',
      s: {
        ...snapshot({
          stack: { createdAt: ago(24 * 40) },
          gitlab: { mergeRequests: { ok: true, value: [mr(9, 'feature/x')] } },
        }),
        usage: fail,
      },
      verdict: 'active',
      code: 'USAGE_UNKNOWN',
    },
  ];

  it.each(cases)('$name → $verdict ($code)', ({ s, verdict, code }) => {
    const c = classify(s, policy, NOW);
    expect(c.verdict).toBe(verdict);
    expect(codes(c)).toContain(code);
  });

  // Reason details are what people read (MR notes, the dashboard, `explain`): their wording is pinned so a
  // change to it is a visible, reviewed change (`vitest -u` after checking the diff).
  it.each(cases)('$name: the full evidence (codes, details, times) is stable', ({ s }) => {
    expect(classify(s, policy, NOW)).toMatchSnapshot();
  });

  it('covers every verdict, and every reason code is produced by some case of this file', () => {
    expect(new Set(cases.map((c) => c.verdict))).toEqual(new Set(VERDICTS));
    const produced = new Set(cases.flatMap((c) => codes(classify(c.s, policy, NOW))));
    for (const extra of edgeSnapshots())
      for (const code of codes(classify(extra, policy, NOW))) produced.add(code);
    const byName = { ...policy, protect: { ...policy.protect, stackNames: ['^review-'] } };
    for (const code of codes(classify(snapshot(), byName, NOW))) produced.add(code);
    expect([...REASON_CODES].filter((code) => !produced.has(code))).toEqual([]);
  });
});

/** Snapshots for the reason codes no single-row case produces. */
function edgeSnapshots() {
  return [
    snapshot({
      stack: {
        tags: { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/x', 'env-reaper:keep': '2026-01-01' },
      },
      gitlab: { branches: { ok: true, value: [] } },
    }),
    snapshot({
      owner: { matchedBy: 'tags', projectId: 101, refSlug: 'feature-x' },
      gitlab: { branches: { ok: true, value: [branch('feature/x'), branch('feature-x')] } },
    }),
    snapshot({
      gitlab: {
        branches: { ok: true, value: [] },
        mergeRequests: { ok: true, value: [mr(3, 'feature/x', { state: 'closed', closedAt: ago(9) })] },
      },
    }),
  ];
}

describe('classify: edge-case evidence wording', () => {
  it('is stable for every edge snapshot', () => {
    expect(edgeSnapshots().map((e) => classify(e, policy, NOW))).toMatchSnapshot();
  });
});
