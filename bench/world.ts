import type { Verdict } from '../src/core/model.js';
import { mulberry32 as rng } from '../test/sandbox/world-build.js';

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

/** What the lower bound needs to know of one project. */
export interface ProjectMeta {
  branches: number;
  mergeRequests: number;
  refs: number;
  /** Refs whose branch is on the first page of the branch listing. */
  refsOnFirstPage: number;
  /** Path spellings (lower-cased) its stacks use; former paths cost a redirect too. */
  paths: number;
  formerPaths: number;
  /** Some stack carries only a ref slug: the branch and MR listings are the only way. */
  mustList: boolean;
}

/** How messy the tagging is (issue #14): the clean world has none of it. */
export interface Mess {
  /** Share of stacks tagged by project path instead of id (in random letter case). */
  byPath: number;
  /** Share of projects renamed since some of their stacks were tagged (tagged with the former path). */
  renamed: number;
  /** Share of stacks with only a ref slug (no ref). */
  slugOnly: number;
  /** Share of projects with thousands of branches (the rest have a handful). */
  huge: number;
  /** Requests someone else already spent from the token's first window. */
  budgetUsedByOthers: number;
  /** Merge requests per project, history included (long merged or closed, from branches gone). */
  mergeRequests?: { min: number; max: number };
}

export const MESSY: Mess = { byPath: 0.4, renamed: 0.1, slugOnly: 0.03, huge: 0.1, budgetUsedByOthers: 600 };

/**
 * A slug-heavy estate (issue #32): one stack in ten tagged only by `gitlab:ref-slug`, spread over nearly
 * every project (50 stacks each), and projects with a history of 150–900 merge requests, so a slug whose
 * branch is gone can only be matched against a full listing.
 */
export const SLUG_HEAVY: Mess = { ...MESSY, slugOnly: 0.1, mergeRequests: { min: 150, max: 900 } };

/** The slug-heavy world's sizes: fewer, larger projects than the others (50 stacks each). */
export const SLUG_SIZES: Record<'S' | 'M' | 'L', Size> = {
  S: { stacks: 1_000, projects: 20, branches: 20_000 },
  M: { stacks: 10_000, projects: 200, branches: 200_000 },
  L: { stacks: 50_000, projects: 1_000, branches: 1_000_000 },
};

/** The generated world: a sandbox scenario, the truth, and what the lower bound needs to know. */
export interface World {
  scenario: Record<string, unknown>;
  truth: Map<string, Verdict>;
  projects: ProjectMeta[];
  stacksPerRegion: Record<string, number>;
  /** The GitLab rate budget: limit per window, and what others spent of the first window. */
  budget: { limit: number; usedByOthers: number };
  latency: { gitlab: number; aws: number };
  /** With `usage`: the scripted traffic's facts. */
  usage?: UsageFacts;
}

const slugOf = (ref: string) =>
  ref
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');

/** The same path in another letter case, as a hand-written tag may have it. */
function recase(path: string, random: () => number): string {
  return [...path].map((c) => (random() < 0.3 ? c.toUpperCase() : c)).join('');
}

/**
 * Builds a world: stacks spread over projects and two regions, with a known verdict mix; with `mess`,
 * tagged the ways real estates are (issue #14).
 */
export function generate(
  size: Size,
  options: { seed?: number; mess?: Mess; latency?: { gitlab: number; aws: number }; usage?: boolean } = {},
): World {
  const seed = options.seed ?? 7;
  const mess = options.mess;
  const latency = options.latency ?? { gitlab: 30, aws: 50 };
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
  // Traffic comes from a generator of its own: the rest of the world is the one without --usage.
  const traffic = options.usage ? usageScripter(rng(seed + 1)) : undefined;
  for (let p = 1; p <= size.projects && made < size.stacks; p++) {
    const branches: Record<string, unknown>[] = [{ name: 'main', protected: true, committed: '-1h' }];
    const mrs: Record<string, unknown>[] = [];
    let iid = 1;
    const refNames: string[] = [];
    const path = `org/team-${Math.ceil(p / 50)}/app-${p}`;
    const renamed = mess !== undefined && random() < mess.renamed;
    const former = `org/legacy-${Math.ceil(p / 50)}/app-${p}`;
    const paths = new Set<string>();
    let formerUsed = false;
    let mustList = false;
    for (let i = 0; i < perProject && made < size.stacks; i++, made++) {
      const ref = `feature/p${p}-s${i}`;
      const name = `review-p${p}-s${i}`;
      const roll = random();
      let verdict: Verdict;
      const tags: Record<string, string> = { 'gitlab:project-id': String(p), 'gitlab:ref': ref };
      if (mess && random() < mess.byPath) {
        delete tags['gitlab:project-id'];
        const spelled = renamed && random() < 0.5 ? former : recase(path, random);
        if (spelled === former) formerUsed = true;
        else paths.add(spelled.toLowerCase());
        tags['gitlab:project-path'] = spelled;
      }
      if (mess && random() < mess.slugOnly) {
        delete tags['gitlab:ref'];
        tags['gitlab:ref-slug'] = slugOf(ref);
        mustList = true;
      }
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
      if (tags['gitlab:ref'] !== undefined) refNames.push(ref);
      const region = REGIONS[made % REGIONS.length] as string;
      const stack: Record<string, unknown> = {
        name,
        created: updated === '-40d' ? '-45d' : '-3d',
        updated,
        tags,
      };
      if (traffic) verdict = traffic.script(stack, verdict, region);
      truth.set(name, verdict);
      (stacksByRegion[region] as Record<string, unknown>[]).push(stack);
    }
    // Messy: a few projects with thousands of branches, the rest with a handful; same total on average.
    const wanted = mess
      ? random() < mess.huge
        ? Math.round(branchesPerProject * 8 * (0.5 + random()))
        : Math.round(3 + random() * branchesPerProject * 0.1)
      : branchesPerProject;
    const synthetic = Math.max(0, wanted - branches.length);
    // The first page of the branch listing (names sorted, as GitLab sorts them): refs found there cost
    // nothing more once that page is read.
    const width = String(synthetic).length;
    const names = [
      ...branches.map((b) => String(b.name)),
      ...Array.from(
        { length: Math.min(synthetic, 100) },
        (_, i) => `topic/p${p}-${String(i + 1).padStart(width, '0')}`,
      ),
    ].sort();
    const firstPage = new Set(names.slice(0, 100));
    const history = mess?.mergeRequests
      ? Math.max(
          0,
          Math.round(mess.mergeRequests.min + random() * (mess.mergeRequests.max - mess.mergeRequests.min)) -
            mrs.length,
        )
      : 0;
    projects.push({
      id: p,
      path,
      ...(history > 0 ? { syntheticMergeRequests: { count: history, prefix: `history/p${p}-` } } : {}),
      ...(renamed ? { formerPaths: [former] } : {}),
      branches,
      syntheticBranches: { count: synthetic, prefix: `topic/p${p}-` },
      mergeRequests: mrs,
    });
    meta.push({
      branches: branches.length + synthetic,
      mergeRequests: mrs.length + history,
      refs: refNames.length,
      refsOnFirstPage: refNames.filter((r) => firstPage.has(r)).length,
      paths: paths.size,
      formerPaths: formerUsed ? 1 : 0,
      mustList,
    });
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
      gitlab: { requestsPerMinute: 2000, budgetUsedByOthers: mess?.budgetUsedByOthers ?? 0, projects },
      latency,
    },
    truth,
    projects: meta,
    stacksPerRegion: Object.fromEntries(REGIONS.map((r) => [r, (stacksByRegion[r] as unknown[]).length])),
    budget: { limit: 2000, usedByOthers: mess?.budgetUsedByOthers ?? 0 },
    latency,
    ...(traffic ? { usage: traffic.facts } : {}),
  };
}

/** What the usage bench needs to know of the world: per region, and which stacks had traffic. */
export interface UsageFacts {
  /** Tagged resources of the types the usage listing asks for, per region. */
  tagged: Record<string, number>;
  /** Metrics the live stacks' measured resources need, per region. */
  metrics: Record<string, number>;
  /** REST APIs of live stacks per region (GetRestApis pages of 500 where there is one). */
  restApis: Record<string, number>;
  /** Live stacks with a request in the window: never to be called unused. */
  trafficInWindow: Set<string>;
}

/**
 * Scripts traffic on every stack (issue #35): live stacks are deployed 30 days ago and last changed 20
 * days ago, so their usage can be judged over the default 14-day window; a quarter had no request in it
 * (truth: `unused`), the rest had some — every day, on one day (up to the window's first), on their
 * function only, or on a REST API — or have nothing measured. Dead stacks get a busy load balancer.
 */
function usageScripter(random: () => number) {
  const facts: UsageFacts = {
    tagged: {},
    metrics: {},
    restApis: {},
    trafficInWindow: new Set(),
  };
  const add = (o: Record<string, number>, region: string, n: number) => {
    o[region] = (o[region] ?? 0) + n;
  };
  const alb = (traffic: Record<string, number> = {}, daily?: number) => ({
    logicalId: 'Alb',
    type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    traffic,
    ...(daily !== undefined ? { daily } : {}),
  });
  const fn = (traffic: Record<string, number> = {}) => ({
    logicalId: 'Fn',
    type: 'AWS::Lambda::Function',
    traffic,
  });
  return {
    facts,
    script(stack: Record<string, unknown>, verdict: Verdict, region: string): Verdict {
      const name = String(stack.name);
      if (verdict !== 'active') {
        stack.resources = [alb({}, 50)];
        add(facts.tagged, region, 1);
        return verdict;
      }
      stack.created = '-30d';
      stack.updated = '-20d';
      const r = random();
      const day = Math.floor(random() * 15);
      let resources: Record<string, unknown>[];
      let inWindow = true;
      if (r < 0.25) {
        resources = [alb(random() < 0.5 ? { [`-${16 + day}d`]: 40 } : {}), fn()];
        inWindow = false;
      } else if (r < 0.5) resources = [alb({}, 1 + Math.floor(random() * 500)), fn()];
      else if (r < 0.7) resources = [alb({ [`-${day}d`]: 1 }), fn()];
      else if (r < 0.8) resources = [alb(), fn({ [`-${day}d`]: 3 })];
      else if (r < 0.9) {
        resources = [{ logicalId: 'Api', type: 'AWS::ApiGateway::RestApi', daily: 20 }];
        add(facts.restApis, region, 1);
      } else {
        stack.resources = [{ logicalId: 'Bucket', type: 'AWS::S3::Bucket' }];
        return 'active';
      }
      stack.resources = resources;
      add(facts.tagged, region, resources.length);
      add(facts.metrics, region, resources.length);
      if (inWindow) facts.trafficInWindow.add(name);
      return inWindow ? 'active' : 'unused';
    },
  };
}

/**
 * The fewest calls any correct tool needs for this world (issue #7's definition, extended by issue #14
 * to messy tagging): one `GetCallerIdentity` and the `DescribeStacks` pages of each region; per
 * project, one GET per path spelling its stacks use (two for a former path: GitLab answers it with a
 * redirect), or one by id when no path names it; then for branches and MRs the cheaper of listing every
 * page, one lookup per ref, or (branches) the first page and lookups for the refs it lacks; listing when a
 * stack carries only a ref slug.
 */
export function lowerBound(world: World): { aws: number; gitlab: number } {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 100));
  const aws = 1 + Object.values(world.stacksPerRegion).reduce((a, n) => a + pages(n), 0);
  let gitlab = 0;
  for (const p of world.projects) {
    const resolve = p.paths + 2 * p.formerPaths || 1;
    // Branches: every page, or one lookup per ref, or the first page and lookups for the refs it lacks.
    const branches = p.mustList
      ? pages(p.branches)
      : Math.min(pages(p.branches), p.refs, 1 + p.refs - p.refsOnFirstPage);
    // MRs: a page never answers a ref completely (it may have more MRs further on).
    const mergeRequests = p.mustList ? pages(p.mergeRequests) : Math.min(pages(p.mergeRequests), p.refs);
    gitlab += resolve + branches + mergeRequests;
  }
  return { aws, gitlab };
}
