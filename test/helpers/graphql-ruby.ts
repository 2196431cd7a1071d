import { readdirSync, readFileSync } from 'node:fs';

/**
 * graphql-ruby's answers (GitLab's GraphQL server), written from its source into
 * `test/fixtures/graphql-ruby/` (each says where in `source`): the sandbox must give exactly these
 * bodies, and the client's tests read them, so neither side defines what GitLab says.
 */
export interface RubyFixture {
  source: string;
  /** The sandbox's `gitlab.graphql.without` that makes an instance answer this way. */
  without: string[];
  query: string;
  variables: Record<string, unknown>;
  answer: { data?: unknown; errors?: Record<string, unknown>[] };
}

export const RUBY_FIXTURES = 'test/fixtures/graphql-ruby';

export const rubyFixture = (name: string): RubyFixture =>
  JSON.parse(readFileSync(`${RUBY_FIXTURES}/${name}.json`, 'utf8')) as RubyFixture;

export const rubyFixtureNames = (): string[] =>
  readdirSync(RUBY_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
