import { tagsFor } from './cli.js';

/**
 * A small sandbox world most daemon, container, template and plan tests share: `live` stacks whose
 * branches and open MRs (iids 1…live) exist, and stacks whose branches are gone (dead, due for
 * deletion), in one project and region; plus whatever stacks, branches and MRs a test adds.
 */
export function liveAndGoneWorld(options: {
  live: number;
  gone: string[];
  faults?: unknown[];
  /** Creation time of the live stacks (scenario time, e.g. `-2d`). */
  liveCreated?: string;
  stacks?: Record<string, unknown>[];
  branches?: Record<string, unknown>[];
  mergeRequests?: Record<string, unknown>[];
  environments?: Record<string, unknown>[];
}) {
  const live = Array.from({ length: options.live }, (_, i) => `feature/live-${i}`);
  return {
    aws: {
      deleteSeconds: 0.2,
      accounts: [
        {
          id: '111111111111',
          regions: {
            'eu-west-1': {
              stacks: [
                ...live.map((ref, i) => ({
                  name: `review-live-${i}`,
                  ...(options.liveCreated ? { created: options.liveCreated } : {}),
                  tags: tagsFor(1, ref),
                })),
                ...options.gone.map((name) => ({
                  name,
                  updated: '-1d',
                  tags: tagsFor(1, `feature/${name.replace(/^review-/, '')}`),
                })),
                ...(options.stacks ?? []),
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
            { name: 'main', protected: true },
            ...live.map((name) => ({ name, committed: '-1h' })),
            ...(options.branches ?? []),
          ],
          mergeRequests: [
            ...live.map((ref, i) => ({ iid: i + 1, sourceBranch: ref })),
            ...(options.mergeRequests ?? []),
          ],
          environments: options.environments ?? [],
        },
      ],
    },
    faults: options.faults ?? [],
  };
}

/** A second GitLab token of the demo world that has the `read_api` scope only. */
export const READ_ONLY_TOKEN = 'glpat-read-api-only';

/** The demo scenario and its config, as objects to adjust, with a `read_api`-only token added. */
export async function demoWithReadOnlyToken(): Promise<{
  scenario: {
    aws: { accounts: { roles?: { arn: string }[]; regions: Record<string, { stacks: unknown[] }> }[] };
    gitlab: { tokens?: string[]; tokenScopes?: Record<string, string[]> };
  };
  demoConfig: Record<string, unknown>;
}> {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const scenario = parse(await readFile('test/scenarios/demo.yaml', 'utf8'));
  scenario.gitlab.tokens = ['glpat-sandbox-token', READ_ONLY_TOKEN];
  scenario.gitlab.tokenScopes = { [READ_ONLY_TOKEN]: ['read_api'] };
  const demoConfig = parse(await readFile('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<
    string,
    unknown
  >;
  return { scenario, demoConfig };
}
