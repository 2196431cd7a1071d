// @ts-nocheck
import type { Verdict } from '../src/core/model.js';
import { mulberry32 as rng } from '../test/sandbox/world.js';

/**
 * Deterministic benchmark worlds (issue #7). Every stack's true verdict is decided here, so the
 * benchmark can count the verdicts env-reaper gets wrong.
 */

/** A world size. */
export interface Size {
  stacks: number;
  projects: number;
  branches: number;
}

export const SIZES: Record<'S' | 'M' | 'L', Size> = {
  S: { stacks: 1_000, projects: 100, branches: 20_000 },
  M: { stacks: 10_000, projects: 1_000, branches: 200_000 },
  L: { stacks: 50_000, projects: 5_000, branches: 1_000_000 },
};

export const REGIONS = ['eu-west-1', 'us-east-1'];

/** The generated world: a sandbox scenario, the truth, and what the lower bound needs to know. */
export interface World {
  scenario: Record<string, unknown>;
  truth: Map<string, Verdict>;
  /** Per project: branches, MRs and refs its stacks need. */
  projects: { branches: number; mergeRequests: number; refs: number }[];
  stacksPerRegion: Record<string, number>;
}

/** Builds a world: stacks spread over projects and two regions, with a known verdict mix. */
export function generate(size: Size, seed = 7): World {
  const random = rng(seed);
  const perProject = Math.ceil(size.stacks / size.projects);
  const branchesPerProject = Math.floor(size.branches / size.projects);
  const truth = new Map<string, Verdict>();
  const stacksByRegion: Record<string, Record<string, unknown>[]> = Object.fromEntries(
    REGIONS.map((r) => [r, []]),
  );
  const projects: Record<string, unknown>[] = [];
  const meta: World['projects'] = [];
  let made = 0;
  for (let p = 1; p <= size.projects && made < size.stacks; p++) {
    const branches: Record<string, unknown>[] = [{ name: 'main', protected: true, committed: '-1h' }];
    const mrs: Record<string, unknown>[] = [];
    let iid = 1;
    let refs = 0;
    for (let i = 0; i < perProject && made < size.stacks; i++, made++) {
      const ref = `feature/p${p}-s${i}`;
      const name = `review-p${p}-s${i}`;
      const roll = random();
      let verdict: Verdict;
      const tags: Record<string, string> = { 'gitlab:project-id': String(p), 'gitlab:ref': ref };
      let updated = '-6h';
      if (roll < 0.6) {
        verdict = 'active';
        branches.push({ name: ref, committed: '-2h' });
        mrs.push({ iid: iid++, sourceBranch: ref, state: 'opened', updated: '-2h' });
      } else if (roll < 0.7) {
        verdict = 'merged';
        mrs.push({ iid: iid++, sourceBranch: ref, state: 'merged', mergedAt: '-2d' });
      } else if (roll < 0.8) {
        verdict = 'branch-deleted';
        updated = '-2d';
      } else if (roll < 0.85) {
        verdict = 'abandoned';
        branches.push({ name: ref, committed: '-5d' });
        mrs.push({ iid: iid++, sourceBranch: ref, state: 'closed', closedAt: '-3d' });
      } else if (roll < 0.9) {
        verdict = 'idle';
        branches.push({ name: ref, committed: '-40d' });
        updated = '-40d';
      } else if (roll < 0.95) {
        verdict = 'protected';
        tags['env-reaper:keep'] = 'true';
      } else {
        verdict = 'active';
        branches.push({ name: ref, committed: '-1h' });
      }
      refs++;
      truth.set(name, verdict);
      const region = REGIONS[made % REGIONS.length] as string;
      (stacksByRegion[region] as Record<string, unknown>[]).push({
        name,
        created: updated === '-40d' ? '-45d' : '-3d',
        updated,
        tags,
      });
    }
    const synthetic = Math.max(0, branchesPerProject - branches.length);
    projects.push({
      id: p,
      path: `org/team-${Math.ceil(p / 50)}/app-${p}`,
      branches,
      syntheticBranches: { count: synthetic, prefix: `topic/p${p}-` },
      mergeRequests: mrs,
    });
    meta.push({ branches: branches.length + synthetic, mergeRequests: mrs.length, refs });
  }
  return {
    scenario: {
      seed,
      aws: {
        describePageSize: 100,
        cfnRequestsPerSecond: 5,
        accounts: [
          {
            id: '111111111111',
            regions: Object.fromEntries(REGIONS.map((r) => [r, { stacks: stacksByRegion[r] }])),
          },
        ],
      },
      gitlab: { requestsPerMinute: 2000, projects },
      latency: { gitlab: 30, aws: 50 },
    },
    truth,
    projects: meta,
    stacksPerRegion: Object.fromEntries(REGIONS.map((r) => [r, (stacksByRegion[r] as unknown[]).length])),
  };
}

/** The fewest calls any correct tool needs for this world (issue #7's definition). */
export function lowerBound(world: World): { aws: number; gitlab: number } {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 100));
  const aws = 1 + Object.values(world.stacksPerRegion).reduce((a, n) => a + pages(n), 0);
  let gitlab = 0;
  for (const p of world.projects) {
    // The project itself, then for branches and MRs the cheaper of listing pages or per-ref lookups.
    gitlab += 1 + Math.min(pages(p.branches), p.refs) + Math.min(pages(p.mergeRequests), p.refs);
  }
  return { aws, gitlab };
}
