import { describe, expect, it } from 'vitest';
import { rubyFixture } from '../../test/helpers/graphql-ruby.js';
import { GraphqlReads } from './graphql-reads.js';
import type { GitLabGraphql } from './ports.js';

/**
 * How answers are read back per item: what GitLab sends for partial failures (HTTP 200 with `errors`
 * and nulls), for an instance without a field, for a price above its limit, and for no GraphQL at all.
 */

/** A fake endpoint: answers each POST with `answer(text, variables)`, and records what was sent. */
function endpoint(answer: (text: string, variables: Record<string, unknown>) => unknown) {
  const sent: { text: string; variables: Record<string, unknown> }[] = [];
  const api: GitLabGraphql = {
    query: async (text, variables) => {
      sent.push({ text, variables });
      const a = answer(text, variables);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { api, sent };
}

const project = (id: number, path: string) => ({
  id: `gid://gitlab/Project/${id}`,
  fullPath: path,
  archived: false,
  repository: { rootRef: 'main' },
  userPermissions: { adminProject: true },
  branchRules: {
    nodes: [
      { name: 'main', isProtected: true },
      { name: 'All branches', isProtected: false },
    ],
    pageInfo: { hasNextPage: false },
  },
});
const page = <T>(nodes: T[], hasNextPage = false) => ({ nodes, pageInfo: { hasNextPage, endCursor: null } });

describe('GraphqlReads', () => {
  it('resolves ids and paths; a key the answer lacks is missing (REST decides), not gone', async () => {
    const { api, sent } = endpoint((_, v) => {
      const keys = v.keys as string[];
      return {
        data: {
          projects: page(
            keys[0]?.startsWith('gid')
              ? [project(1, 'acme/a')]
              : [{ ...project(2, 'Acme/B'), userPermissions: { adminProject: false } }],
          ),
        },
      };
    });
    const reads = new GraphqlReads(api);
    const ids = { id: 1 };
    const gone = { id: 9 };
    const path = { path: 'acme/b' };
    const renamed = { path: 'acme/old' };
    const out = await reads.projects([ids, gone, path, renamed]);
    expect(out.get(ids)).toEqual({
      kind: 'ok',
      value: {
        facts: { id: 1, path: 'acme/a', archived: false, defaultBranch: 'main' },
        protectedRules: ['main'],
      },
    });
    // Paths match without regard to case; without adminProject the rules are not known (null).
    expect(out.get(path)).toMatchObject({ kind: 'ok', value: { facts: { id: 2 }, protectedRules: null } });
    expect(out.get(gone)).toEqual({ kind: 'missing' });
    expect(out.get(renamed)).toEqual({ kind: 'missing' });
    expect(sent).toHaveLength(2);
    expect(reads.usage.requests).toBe(2);
  });

  it('an error on one project’s path fails that project only; one without a path fails the batch', async () => {
    let unpinned = false;
    const { api } = endpoint(() => ({
      data: {
        projects: page([
          { id: 'gid://gitlab/Project/1', mergeRequests: null },
          {
            id: 'gid://gitlab/Project/2',
            mergeRequests: page([
              {
                iid: '7',
                state: 'merged',
                sourceBranch: 'feature/x',
                createdAt: '2026-11-01T10:00:00Z',
                updatedAt: '2026-11-02T10:00:00Z',
                mergedAt: '2026-11-02T10:00:00Z',
                closedAt: null,
                webUrl: 'https://gitlab.example.com/acme/b/-/merge_requests/7',
                author: { username: 'dev' },
                labels: page([{ title: 'keep' }]),
              },
            ]),
          },
        ]),
      },
      errors: [
        { message: 'Timeout on Project.mergeRequests', path: ['projects', 'nodes', 0, 'mergeRequests'] },
        ...(unpinned ? [{ message: 'Internal server error', path: ['projects'] }] : []),
      ],
    }));
    const reads = new GraphqlReads(api);
    const a = { projectId: 1, refs: ['feature/x'] };
    const b = { projectId: 2, refs: ['feature/x'] };
    const out = await reads.mergeRequests([a, b]);
    expect(out.get(a)).toEqual({
      kind: 'error',
      error: { code: 'TIMEOUT', message: 'Timeout on Project.mergeRequests', operation: 'POST /api/graphql' },
    });
    expect(out.get(b)).toEqual({
      kind: 'ok',
      value: [
        {
          iid: 7,
          sourceBranch: 'feature/x',
          state: 'merged',
          createdAt: '2026-11-01T10:00:00Z',
          updatedAt: '2026-11-02T10:00:00Z',
          mergedAt: '2026-11-02T10:00:00Z',
          author: 'dev',
          webUrl: 'https://gitlab.example.com/acme/b/-/merge_requests/7',
          labels: ['keep'],
        },
      ],
    });
    unpinned = true;
    const again = await new GraphqlReads(api).mergeRequests([a, b]);
    expect(again.get(b)?.kind).toBe('error');
  });

  it('more than a page of merge requests (or of labels) is left to REST', async () => {
    const { api } = endpoint(() => ({
      data: { projects: page([{ id: 'gid://gitlab/Project/1', mergeRequests: page([], true) }]) },
    }));
    const need = { projectId: 1, refs: ['a'] };
    expect((await new GraphqlReads(api).mergeRequests([need])).get(need)).toEqual({ kind: 'missing' });
  });

  it('branch names: keeps only the wanted ones, counts them all, and says whether the default is there', async () => {
    const names = ['main', ...Array.from({ length: 500 }, (_, i) => `topic/${i}`), 'feature/x'];
    const { api } = endpoint(() => ({
      data: {
        projects: page([
          { id: 'gid://gitlab/Project/1', repository: { branchNames: names } },
          { id: 'gid://gitlab/Project/2', repository: { branchNames: ['feature/x'] } },
        ]),
      },
    }));
    const out = await new GraphqlReads(api).branchNames([1, 2], () => ({
      keep: (n) => n === 'feature/x',
      defaultBranch: 'main',
    }));
    expect(out.get(1)).toEqual({ kind: 'ok', value: { kept: ['feature/x'], total: 502, hasDefault: true } });
    expect(out.get(2)).toEqual({ kind: 'ok', value: { kept: ['feature/x'], total: 1, hasDefault: false } });
  });

  it('a field the instance lacks (graphql-ruby’s answer): one probe, then projects resolve without it', async () => {
    const lacks = rubyFixture('undefined-field').answer;
    const { api, sent } = endpoint((text, v) =>
      text.includes('branchRules')
        ? lacks
        : {
            data: {
              projects: page(
                (v.keys as string[]).map((g) => ({
                  ...project(Number(g.split('/').pop()), `acme/p${g.split('/').pop()}`),
                  branchRules: undefined,
                  userPermissions: undefined,
                })),
              ),
            },
          },
    );
    const reads = new GraphqlReads(api);
    // 150 ids: two batches; only the first (the probe) meets the refusal.
    const keys = Array.from({ length: 150 }, (_, i) => ({ id: i + 1 }));
    const out = await reads.projects(keys);
    for (const k of keys)
      expect(out.get(k)).toMatchObject({ kind: 'ok', value: { facts: { id: k.id }, protectedRules: null } });
    expect(sent.filter((s) => s.text.includes('branchRules'))).toHaveLength(1);
    expect(sent.filter((s) => !s.text.includes('branchRules'))).toHaveLength(2);
    // The fitted document declares only what it uses and asks nothing of branch rules or permissions.
    expect(sent.at(-1)?.text).not.toMatch(/userPermissions/);
    expect(reads.usage.lacking).toEqual(['Project.branchRules']);
    expect(reads.usage.unsupported).toEqual({ branches: expect.stringContaining('Project.branchRules') });
    expect(reads.serves('projects')).toBe(true);
  });

  it('an argument the instance lacks: only the batches that need it go to REST', async () => {
    const lacks = rubyFixture('argument-not-accepted-unaliased').answer;
    const { api, sent } = endpoint((text) =>
      text.includes('fullPaths') ? lacks : { data: { projects: page([project(1, 'acme/a')]) } },
    );
    const reads = new GraphqlReads(api);
    const byId = { id: 1 };
    const byPath = { path: 'acme/b' };
    const out = await reads.projects([byId, byPath]);
    expect(out.get(byId)).toMatchObject({ kind: 'ok', value: { facts: { id: 1 } } });
    expect(out.get(byPath)).toEqual({ kind: 'missing' });
    expect(sent).toHaveLength(2);
    expect(reads.usage.lacking).toEqual(['Query.projects(fullPaths)']);
    expect(reads.usage.unsupported.projects).toMatch(/Query\.projects\(fullPaths\)/);
  });

  it('an aliased field the instance lacks: its items are left to REST, the item named', async () => {
    const { api, sent } = endpoint(() => rubyFixture('undefined-field-aliased').answer);
    const reads = new GraphqlReads(api);
    const items = [{ projectPath: 'acme/shop', key: 'review/x' }];
    const out = await reads.environments(items);
    expect(out.get(items[0] as (typeof items)[0])).toEqual({ kind: 'missing' });
    expect(sent).toHaveLength(1);
    expect(reads.usage.unsupported.environments).toMatch(/Environment\.tier/);
  });

  it('an older answer without path or extensions is still read by its message', async () => {
    const { api, sent } = endpoint(() => ({
      errors: [
        { message: "Field 'branchNames' doesn't exist on type 'Repository' (Did you mean `branches`?)" },
      ],
    }));
    const reads = new GraphqlReads(api);
    const out = await reads.branchNames([1, 2], () => ({ keep: () => true }));
    expect([...out.values()]).toEqual([{ kind: 'missing' }, { kind: 'missing' }]);
    expect(sent).toHaveLength(1);
    expect(reads.usage.unsupported.branches).toMatch(/Repository\.branchNames/);
  });

  it('a validation error that names nothing asked: the capability is REST’s, and said', async () => {
    const { api } = endpoint(() => ({
      errors: [
        {
          message: 'Something this client never asked for',
          path: ['query envReaperBranchNames'],
          extensions: { code: 'somethingNew' },
        },
      ],
    }));
    const reads = new GraphqlReads(api);
    await expect(reads.branchNames([1, 2], () => ({ keep: () => true }))).rejects.toThrow(
      /does not support the query/,
    );
    expect(reads.serves('branches')).toBe(false);
    expect(reads.serves('mergeRequests')).toBe(true);
  });

  it('a complexity refusal (analysis error, no path) is a price, not a missing field', async () => {
    const refused = rubyFixture('complexity').answer;
    let n = 0;
    const { api } = endpoint(() => (n++ === 0 ? refused : { data: { projects: page([]) } }));
    const reads = new GraphqlReads(api);
    const needs = Array.from({ length: 30 }, (_, i) => ({ projectId: i + 1, refs: [`feature/${i}`] }));
    await reads.mergeRequests(needs);
    expect(reads.usage.lacking).toEqual([]);
    expect(reads.usage.unsupported).toEqual({});
    // Planned again under a smaller budget and sent again.
    expect(n).toBeGreaterThanOrEqual(2);
    expect(reads.usage.requests).toBe(n);
  });

  it('no GraphQL at all (HTTP 404): every capability is REST’s', async () => {
    const notFound = Object.assign(new Error('404'), { cause: { response: { status: 404 } } });
    const reads = new GraphqlReads(endpoint(() => notFound).api);
    await expect(reads.projects([{ id: 1 }])).rejects.toThrow(/not available/);
    for (const c of ['projects', 'mergeRequests', 'branches', 'commitDates', 'environments'] as const)
      expect(reads.serves(c)).toBe(false);
  });

  it('a price above the limit: the batch is planned again under a smaller budget, then answered', async () => {
    const { api, sent } = endpoint((_, v) => {
      const refs = Object.keys(v).filter((k) => k.startsWith('k'));
      // This GitLab prices each date at about twice our figure.
      if (refs.length > 8)
        return {
          errors: [
            { message: `Query has complexity of ${refs.length * 28}, which exceeds max complexity of 250` },
          ],
        };
      // One project (p0), its refs aliased k0, k1, …
      const date = { tree: { lastCommit: { committedDate: '2026-11-30T08:00:00Z' } } };
      return { data: { p0: Object.fromEntries(refs.map((k) => [k, date])) } };
    });
    const items = Array.from({ length: 17 }, (_, i) => ({ projectPath: 'acme/a', key: `feature/${i}` }));
    const reads = new GraphqlReads(api);
    const out = await reads.commitDates(items);
    for (const i of items) expect(out.get(i)).toEqual({ kind: 'ok', value: '2026-11-30T08:00:00Z' });
    expect(sent.length).toBeGreaterThan(2);
    expect(reads.usage.unsupported).toEqual({});
  });

  it('a proxy’s HTML page instead of JSON is a malformed answer for every item, never a guess', async () => {
    const reads = new GraphqlReads(endpoint(() => '<html>502</html>').api);
    const item = { projectPath: 'acme/a', key: 'production' };
    expect((await reads.environments([item])).get(item)).toEqual({
      kind: 'error',
      error: {
        code: 'MALFORMED_RESPONSE',
        message: 'the GraphQL answer is not a GraphQL response',
        operation: 'POST /api/graphql',
      },
    });
  });

  it('environments by name: GitLab’s upper-case tier read as REST’s, an absent one null', async () => {
    const { api } = endpoint(() => ({
      data: {
        p0: {
          k0: {
            id: 'gid://gitlab/Environment/5',
            name: 'review/x',
            slug: 'review-x',
            state: 'available',
            tier: 'DEVELOPMENT',
            updatedAt: '2026-11-30T08:00:00Z',
          },
          k1: null,
        },
      },
    }));
    const x = { projectPath: 'acme/a', key: 'review/x' };
    const y = { projectPath: 'acme/a', key: 'review/y' };
    const out = await new GraphqlReads(api).environments([x, y]);
    expect(out.get(x)).toEqual({
      kind: 'ok',
      value: {
        id: 5,
        name: 'review/x',
        slug: 'review-x',
        state: 'available',
        tier: 'development',
        lastDeployedAt: '2026-11-30T08:00:00Z',
        updatedAt: '2026-11-30T08:00:00Z',
      },
    });
    expect(out.get(y)).toEqual({ kind: 'ok', value: null });
  });
});

describe('merge request source branches, page after page', () => {
  /** Project `acme/a` has 250 merge requests, `acme/b` 50; pages of 100, the cursor an offset. */
  const sizes: Record<string, number> = { 'acme/a': 250, 'acme/b': 50 };
  const answer = (sameCursor = false) =>
    endpoint((text, v) => {
      const data: Record<string, unknown> = {};
      for (const [p, path] of Object.entries(v).filter(([k]) => /^p\d+$/.test(k))) {
        const aliases = [
          ...text.matchAll(new RegExp(`${p}: project\\(fullPath: \\$${p}\\) \\{ (k\\d+):`, 'g')),
        ];
        const k = aliases[0]?.[1] as string;
        const from = Number(v[k] ?? 0);
        const total = sizes[path as string] ?? 0;
        const nodes = Array.from({ length: Math.max(0, Math.min(100, total - from)) }, (_, i) => ({
          sourceBranch: `b${from + i}`,
        }));
        const end = from + nodes.length;
        data[p] = {
          [k]: { nodes, pageInfo: { hasNextPage: end < total, endCursor: sameCursor ? v[k] : String(end) } },
        };
      }
      return { data };
    });

  it('reads every page of every project, the pages of several projects in one POST', async () => {
    const { api, sent } = answer();
    const out = await new GraphqlReads(api).mergeRequestSourceBranches(['acme/a', 'acme/b']);
    const a = out.get('acme/a');
    expect(a?.kind === 'ok' && a.value.length).toBe(250);
    expect(out.get('acme/b')).toMatchObject({ kind: 'ok', value: expect.arrayContaining(['b0', 'b49']) });
    // Round 1 (both projects, first pages), round 2 and 3 (acme/a's cursor pages).
    expect(sent.map((s) => Object.keys(s.variables).filter((k) => k.startsWith('p')).length)).toEqual([
      2, 1, 1,
    ]);
    expect(sent[0]?.text).toMatch(
      /mergeRequests\(state: all, first: 100, after: \$k0\) \{ nodes \{ sourceBranch \}/,
    );
    expect(sent[0]?.variables.k0).toBeNull();
  });

  it('a next page without a new cursor is an error, not an endless loop', async () => {
    const { api, sent } = answer(true);
    const out = await new GraphqlReads(api).mergeRequestSourceBranches(['acme/a']);
    expect(out.get('acme/a')).toMatchObject({ kind: 'error', error: { code: 'MALFORMED_RESPONSE' } });
    expect(sent.length).toBe(1);
  });
});
