import { describe, expect, it } from 'vitest';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { parseConfig } from '../config/load.js';
import { audit } from '../run/audit.js';

/**
 * Merge requests for stacks tagged only by a ref slug (issue #32): a slug is matched against the live
 * branch names first, and only where no live branch has it are the project's merge requests listed (their
 * source branches, with GraphQL's cursors); then the matching ones are read with every field. The
 * verdicts are REST's, where REST listed every merge request page by page.
 */

const stack = (name: string, project: number, slug: string) => ({
  name,
  tags: { 'gitlab:project-id': project, 'gitlab:ref-slug': slug },
  created: '-4d',
  updated: '-2d',
});

function scenario() {
  return {
    aws: {
      accounts: [
        {
          id: '111111111111',
          regions: {
            'eu-west-1': {
              stacks: [
                stack('review-shop-live', 1, 'feature-live'),
                stack('review-shop-gone', 1, 'feature-gone'),
                stack('review-web-live', 2, 'feature-live'),
              ],
            },
          },
        },
      ],
    },
    gitlab: {
      projects: [
        {
          id: 1,
          path: 'acme/shop',
          branches: [
            { name: 'main', protected: true, committed: '-1h' },
            { name: 'feature/live', committed: '-2h' },
          ],
          mergeRequests: [
            { iid: 1, sourceBranch: 'feature/live', state: 'opened', updated: '-2h' },
            { iid: 2, sourceBranch: 'feature/gone', state: 'merged', mergedAt: '-3d' },
          ],
          syntheticMergeRequests: { count: 340 },
        },
        {
          id: 2,
          path: 'acme/web',
          branches: [
            { name: 'main', protected: true, committed: '-1h' },
            { name: 'Feature/Live', committed: '-2h' },
          ],
          mergeRequests: [{ iid: 1, sourceBranch: 'Feature/Live', state: 'opened', updated: '-2h' }],
          syntheticMergeRequests: { count: 500 },
        },
      ],
    },
  };
}

const config = (api: 'rest' | 'auto') => parseConfig({ aws: { regions: ['eu-west-1'] }, gitlab: { api } });

describe('merge requests of slug-only stacks through GraphQL', () => {
  it('lists only the project whose slug has no live branch, pages by cursor, and decides as REST', async () => {
    const rest = await audit(config('rest'), inProcessWorld(scenario()).deps, {
      runId: 'r',
      mode: 'dry-run',
    });
    const w = inProcessWorld(scenario(), 60_000, { graphql: true });
    const sent: string[] = [];
    const inner = w.deps.graphql;
    if (!inner) throw new Error('no GraphQL');
    w.deps.graphql = {
      query: (text, variables) => {
        sent.push(`${/query (\w+)/.exec(text)?.[1]} ${JSON.stringify(variables)}`);
        return inner.query(text, variables);
      },
    };
    const auto = await audit(config('auto'), w.deps, { runId: 'a', mode: 'dry-run' });
    const verdicts = (r: typeof rest) =>
      Object.fromEntries(r.environments.map((e) => [e.stack.name, e.classification.verdict]));
    expect(verdicts(auto)).toEqual(verdicts(rest));
    expect(verdicts(auto)).toEqual({
      'review-shop-live': 'active',
      'review-shop-gone': 'merged',
      'review-web-live': 'active',
    });
    // acme/shop (a slug with no live branch) is listed: 342 merge requests, 4 pages; acme/web is not.
    const listings = sent.filter((s) => s.startsWith('envReaperSourceBranches'));
    expect(listings).toHaveLength(4);
    expect(listings.every((s) => s.includes('acme/shop') && !s.includes('acme/web'))).toBe(true);
    // Then the matching branches' merge requests, by name, with every field; nothing read from REST.
    expect(sent.some((s) => s.startsWith('envReaperMergeRequestsByRef') && s.includes('Feature/Live'))).toBe(
      true,
    );
    expect(w.calls.get('gitlab.mergeRequestsPage') ?? 0).toBe(0);
    expect(auto.gitlabApi?.served.mergeRequests).toEqual({ graphql: 2, rest: 0 });
  });
});

describe('archived, in one meaning', () => {
  it('a project in an archived group is not PROJECT_ARCHIVED through GraphQL either (REST’s own flag)', async () => {
    const world = () => {
      const s = scenario();
      const [shop, web] = s.gitlab.projects as Record<string, unknown>[];
      Object.assign(shop as object, { ancestorArchived: true });
      Object.assign(web as object, { archived: true });
      return s;
    };
    const rest = await audit(config('rest'), inProcessWorld(world()).deps, { runId: 'r', mode: 'dry-run' });
    const auto = await audit(config('auto'), inProcessWorld(world(), 60_000, { graphql: true }).deps, {
      runId: 'a',
      mode: 'dry-run',
    });
    const reasons = (r: typeof rest) =>
      Object.fromEntries(
        r.environments.map((e) => [e.stack.name, e.classification.reasons.map((x) => x.code)]),
      );
    expect(reasons(auto)).toEqual(reasons(rest));
    expect(reasons(rest)['review-web-live']).toContain('PROJECT_ARCHIVED');
    expect(reasons(rest)['review-shop-live']).not.toContain('PROJECT_ARCHIVED');
  });
});
