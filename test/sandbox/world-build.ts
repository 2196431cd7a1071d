import { createHash } from 'node:crypto';
import { environmentSlug } from '../../src/core/slug.js';
import type { Scenario, ScenarioContents } from './scenario.js';
import type { SandboxEnvironment, SandboxProject } from './world-types.js';

/**
 * Building the sandbox's world from a scenario: seeded randomness, stack ARNs, default contents of
 * storage, and the GitLab projects.
 */

/** What a bucket or repository named in a scripted failure holds when the scenario does not say. */
export const SOME_CONTENTS: ScenarioContents = {
  objects: 10,
  keys: [],
  versioned: false,
  versionsPerObject: 1,
  deleteMarkers: 0,
  objectBytes: 1024,
  images: 10,
  imageBytes: 10_000_000,
};

/** A small seeded PRNG (mulberry32): faults must be deterministic, and no library is worth it here. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function stackArn(account: string, region: string, name: string): string {
  const id = createHash('sha256').update(`${account}/${region}/${name}/${Math.random()}`).digest('hex');
  const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
  return `arn:aws:cloudformation:${region}:${account}:stack/${name}/${uuid}`;
}

/** GitLab's environment slug, as the API would store it for a new environment. */
function envSlug(name: string): string {
  return environmentSlug(name, createHash('sha256').update(name).digest('hex'));
}

/** One GitLab project of the world, built from its scenario entry (`t` resolves relative times). */
export function gitlabProject(
  p: Scenario['gitlab']['projects'][number],
  t: (text: string) => string,
  id: () => number,
): SandboxProject {
  const branches = new Map(
    p.branches.map((b) => [
      b.name,
      { name: b.name, protected: b.protected, committedAt: t(b.committed), merged: b.merged },
    ]),
  );
  const names = new Set(branches.keys());
  if (p.syntheticBranches) {
    const width = String(p.syntheticBranches.count).length;
    for (let i = 1; i <= p.syntheticBranches.count; i++) {
      names.add(`${p.syntheticBranches.prefix}${String(i).padStart(width, '0')}`);
    }
  }
  const listed: SandboxProject['mergeRequests'] = p.mergeRequests.map((m) => {
    const updated = m.updated ?? m.mergedAt ?? m.closedAt ?? m.created;
    return {
      id: id(),
      iid: m.iid,
      projectId: p.id,
      title: m.title ?? `Change from ${m.sourceBranch}`,
      state: m.state,
      sourceBranch: m.sourceBranch,
      targetBranch: m.targetBranch ?? p.defaultBranch,
      author: m.author,
      createdAt: t(m.created),
      updatedAt: t(updated),
      mergedAt: m.state === 'merged' ? t(m.mergedAt ?? updated) : null,
      closedAt: m.state === 'closed' ? t(m.closedAt ?? updated) : null,
      labels: m.labels,
      notes: [],
    };
  });
  // A project's history: merged (three in four) or closed months ago, from branches long gone.
  const history: SandboxProject['mergeRequests'] = [];
  const synthetic = p.syntheticMergeRequests;
  if (synthetic) {
    const width = String(synthetic.count).length;
    const firstIid = Math.max(0, ...p.mergeRequests.map((m) => m.iid)) + 1;
    for (let i = 1; i <= synthetic.count; i++) {
      const merged = i % 4 !== 0;
      const at = t(`-${100 + (synthetic.count - i)}h`);
      history.push({
        id: id(),
        iid: firstIid + i - 1,
        projectId: p.id,
        title: `History ${i}`,
        state: merged ? 'merged' : 'closed',
        sourceBranch: `${synthetic.prefix}${String(i).padStart(width, '0')}`,
        targetBranch: p.defaultBranch,
        author: 'dev',
        createdAt: t(`-${2000 + (synthetic.count - i)}h`),
        updatedAt: at,
        mergedAt: merged ? at : null,
        closedAt: merged ? null : at,
        labels: [],
        notes: [],
      });
    }
  }
  const project: SandboxProject = {
    id: p.id,
    path: p.path,
    formerPaths: p.formerPaths,
    defaultBranch: p.defaultBranch,
    archived: p.archived,
    ancestorArchived: p.ancestorArchived,
    visible: p.visible,
    protectedBranchRules: p.protectedBranchRules,
    createdAt: t('-365d'),
    branches,
    branchNames: [...names].sort(),
    mergeRequests: [...listed, ...history],
    environments: p.environments.map((e) => {
      const env: SandboxEnvironment = {
        id: e.id ?? id(),
        name: e.name,
        slug: e.slug ?? envSlug(e.name),
        state: e.state,
        tier: e.tier,
        createdAt: t(e.created),
        updatedAt: t(e.updated ?? e.created),
        hasStopAction: e.hasStopAction,
      };
      if (e.onStop) env.onStop = e.onStop;
      if (e.lastDeployment) {
        env.lastDeployment = {
          ref: e.lastDeployment.ref,
          at: t(e.lastDeployment.at),
          status: e.lastDeployment.status,
        };
      }
      return env;
    }),
    issues: [],
    labels: [],
  };
  return project;
}
