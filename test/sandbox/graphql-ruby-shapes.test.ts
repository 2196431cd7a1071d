import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { rubyFixture, rubyFixtureNames } from '../helpers/graphql-ruby.js';
import { GitLabGraphqlSandbox, price, schemaWithout } from './gitlab-graphql.js';
import { parseScenario } from './scenario.js';
import { World } from './world.js';

/**
 * The sandbox answers as graphql-ruby (GitLab's GraphQL server) does: each fixture in
 * `test/fixtures/graphql-ruby/` was written from graphql-ruby's and GitLab's source (its `source` says
 * where), not from what env-reaper reads; the sandbox must give exactly that body for that query. The
 * client's tests read the same fixtures, so neither side defines what GitLab says.
 */

function sandboxFor(without: string[]) {
  const world = new World(
    parseScenario({ gitlab: { graphql: { without }, projects: [{ id: 1, path: 'acme/shop' }] } }),
  );
  return new GitLabGraphqlSandbox(world);
}

describe('graphql-ruby error shapes', () => {
  for (const name of rubyFixtureNames()) {
    it(`${name}: the sandbox's body is graphql-ruby's`, async () => {
      const f = rubyFixture(name);
      expect(f.source).toMatch(/graphql-ruby|GitLab/);
      const answer = await sandboxFor(f.without).handle({ query: f.query, variables: f.variables }, 'token');
      // Over the wire: what JSON.stringify makes of graphql-js's result.
      expect(JSON.parse(JSON.stringify(answer))).toEqual(f.answer);
    });
  }

  it('stops at 5 errors (GitLab: validate_max_errors 5)', async () => {
    const fields = Array.from({ length: 7 }, (_, i) => `f${i}: nope${i}`).join(' ');
    const answer = await sandboxFor([]).handle({ query: `query many { ${fields} }`, variables: {} }, 't');
    expect(answer.errors).toHaveLength(5);
    expect(answer.data).toBeUndefined();
  });

  it('prices Gitaly fields +1 (Repository.exists, Repository.empty, BranchRule.isDefault)', () => {
    const schema = schemaWithout([]);
    const of = (q: string) => price(schema, parse(q), {}).complexity;
    const base = of('{ project(fullPath: "a") { repository { rootRef } } }');
    expect(of('{ project(fullPath: "a") { repository { rootRef exists } } }')).toBe(base + 2);
    expect(of('{ project(fullPath: "a") { repository { rootRef empty } } }')).toBe(base + 2);
    const rules = (f: string) =>
      of(`{ project(fullPath: "a") { branchRules(first: 1) { nodes { ${f} } } } }`);
    // Inside a connection of 1 (x1.01, truncated): isDefault's 2 against isProtected's 1.
    expect(rules('isDefault')).toBeGreaterThan(rules('isProtected'));
  });

  it("MergeRequest.author is GitLab's MergeRequestAuthor", () => {
    const t = schemaWithout([]).getType('MergeRequest') as import('graphql').GraphQLObjectType;
    expect(String(t.getFields().author?.type)).toBe('MergeRequestAuthor');
  });
});
