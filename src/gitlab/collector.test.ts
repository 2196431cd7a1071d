import { describe, expect, it } from 'vitest';
import { tagsFor } from '../../test/helpers/cli.js';
import { inProcessWorld } from '../../test/helpers/in-process.js';
import { defaultConfig, policyFromConfig } from '../config/load.js';
import { matchOwner } from '../core/match.js';
import { silentLogger } from '../log/logger.js';
import { collectGitLab, type OwnedStack } from './collector.js';

/** A project with `branches` branches, and stacks tagged however the test says. */
function world(stacks: { name: string; tags: Record<string, string> }[], branches = 3, extra = {}) {
  return inProcessWorld({
    aws: { accounts: [{ id: '111111111111', regions: { 'eu-west-1': { stacks } } }] },
    gitlab: {
      projects: [
        {
          id: 7,
          path: 'Acme/Shop',
          formerPaths: ['acme/old-shop'],
          branches: [{ name: 'main', protected: true }, { name: 'feature/a' }, { name: 'feature/b' }],
          syntheticBranches: { count: Math.max(0, branches - 3), prefix: 'topic/' },
          mergeRequests: [{ iid: 1, sourceBranch: 'feature/a' }],
          ...extra,
        },
      ],
    },
  });
}

async function collect(w: ReturnType<typeof world>) {
  const policy = policyFromConfig(defaultConfig());
  const owned: OwnedStack[] = w.world.stacks.map((s) => ({
    stackId: s.stackId,
    owner: matchOwner({ ...s, tags: s.tags } as never, policy.ownership) as OwnedStack['owner'],
  }));
  return collectGitLab(owned, w.deps.gitlab, { projectConcurrency: 4, logger: silentLogger() });
}

/** The branch names each stack got, in the world's stack order (`error` when the read failed). */
function branchNames(w: ReturnType<typeof world>, out: Awaited<ReturnType<typeof collect>>) {
  return w.world.stacks.map((s) => {
    const e = out.evidence.get(s.stackId);
    return e?.branches?.ok ? e.branches.value.map((b) => b.name) : 'error';
  });
}

type BranchesPage = ReturnType<typeof world>['deps']['gitlab']['branchesPage'];

/**
 * Puts `around` between the collector and the world's branch listing, and returns the page numbers
 * asked for, in the order they were asked.
 */
function watchPages(
  w: ReturnType<typeof world>,
  around: (page: number, read: () => ReturnType<BranchesPage>) => ReturnType<BranchesPage>,
): number[] {
  const real = w.deps.gitlab.branchesPage.bind(w.deps.gitlab);
  const asked: number[] = [];
  w.deps.gitlab.branchesPage = (pid, page) => {
    asked.push(page);
    return around(page, () => real(pid, page));
  };
  return asked;
}

const byPath = (path: string, ref: string) => ({
  'gitlab:project-path': path,
  'gitlab:ref': ref,
});

describe('collectGitLab (in process)', () => {
  it('reads a project once whatever its stacks call it: id, path, another case, a former path', async () => {
    const w = world([
      { name: 's1', tags: tagsFor(7, 'feature/a') },
      { name: 's2', tags: byPath('Acme/Shop', 'feature/b') },
      { name: 's3', tags: byPath('acme/shop', 'feature/gone') },
      { name: 's4', tags: byPath('acme/old-shop', 'feature/a') },
    ]);
    const out = await collect(w);
    expect(out.errors).toEqual([]);
    for (const s of w.world.stacks) {
      const e = out.evidence.get(s.stackId);
      expect(e?.project).toEqual({ ok: true, value: expect.objectContaining({ id: 7 }) });
    }
    // Two path spellings (the case difference is one spelling; the former path redirects once), and
    // the id is not asked for again.
    expect(w.calls.get('gitlab.project')).toBe(2);
    expect(w.calls.get('gitlab.redirect')).toBe(1);
    // Branches and MRs of the project are read once for all four stacks.
    expect(w.calls.get('gitlab.branchesPage') ?? 0).toBeLessThanOrEqual(1);
    const branches = (name: string) => {
      const e = out.evidence.get(w.world.stacks.find((s) => s.name === name)?.stackId ?? '');
      return e?.branches?.ok ? e.branches.value.map((b) => b.name) : 'error';
    };
    expect(branches('s1')).toEqual(['feature/a']);
    expect(branches('s3')).toEqual([]);
    expect(out.projects.size).toBe(1);
  });

  it('a path no project has, or had, is project-gone for its stacks only', async () => {
    const w = world([
      { name: 's1', tags: tagsFor(7, 'feature/a') },
      { name: 's2', tags: byPath('acme/never', 'feature/a') },
    ]);
    const out = await collect(w);
    const gone = out.evidence.get(w.world.stacks.find((s) => s.name === 's2')?.stackId ?? '');
    expect(gone?.project).toEqual({ ok: true, value: null });
    const live = out.evidence.get(w.world.stacks.find((s) => s.name === 's1')?.stackId ?? '');
    expect(live?.project?.ok && live.project.value?.id).toBe(7);
  });

  it('keeps what the first page answered: refs found there are not looked up again', async () => {
    // 250 branches (3 pages); four refs, two of them on the first page (feature/a, feature/b sort first).
    const w = world(
      ['feature/a', 'feature/b', 'topic/180', 'topic/230'].map((ref, i) => ({
        name: `s${i}`,
        tags: tagsFor(7, ref),
      })),
      250,
    );
    const out = await collect(w);
    expect(out.errors).toEqual([]);
    expect(w.calls.get('gitlab.branchesPage')).toBe(1);
    // Only the two refs the first page did not answer were looked up.
    expect(w.calls.get('gitlab.branch')).toBe(2);
    expect(branchNames(w, out)).toEqual([['feature/a'], ['feature/b'], ['topic/180'], ['topic/230']]);
  });

  it('lists instead of looking up when the listing is cheaper, and then reads every page', async () => {
    const w = world(
      Array.from({ length: 8 }, (_, i) => ({ name: `s${i}`, tags: tagsFor(7, `topic/${100 + i}`) })),
      150,
    );
    const out = await collect(w);
    expect(out.errors).toEqual([]);
    expect(w.calls.get('gitlab.branchesPage')).toBe(2);
    expect(w.calls.get('gitlab.branch') ?? 0).toBe(0);
  });

  it('asks for the rest of a listing at once when the first page tells the total, and keeps page order', async () => {
    // 450 branches (5 pages) and 8 refs spread over them: listing (4 more pages) beats 8 lookups.
    const refs = Array.from({ length: 8 }, (_, i) => `topic/${100 + i * 40}`);
    const w = world(
      refs.map((ref, i) => ({ name: `s${i}`, tags: tagsFor(7, ref) })),
      450,
    );
    let inFlight = 0;
    let most = 0;
    const asked = watchPages(w, async (page, read) => {
      most = Math.max(most, ++inFlight);
      // Later pages answer first: the result must not depend on the order of the answers.
      await new Promise((r) => setTimeout(r, 50 - page * 5));
      inFlight--;
      return read();
    });
    const out = await collect(w);
    expect(out.errors).toEqual([]);
    expect(asked).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(4);
    expect(w.calls.get('gitlab.branch') ?? 0).toBe(0);
    expect(branchNames(w, out)).toEqual(refs.map((r) => [r]));
  });

  it('follows pages past the announced total when the collection grew while it was read', async () => {
    const refs = Array.from({ length: 8 }, (_, i) => `topic/${100 + i * 30}`);
    const w = world(
      refs.map((ref, i) => ({ name: `s${i}`, tags: tagsFor(7, ref) })),
      350,
    );
    // The first page says 2 pages; by the time page 2 is read there are 4.
    const asked = watchPages(w, async (page, read) => {
      const p = await read();
      return page === 1 ? { ...p, totalPages: 2 } : p;
    });
    const out = await collect(w);
    expect(out.errors).toEqual([]);
    expect(asked).toEqual([1, 2, 3, 4]);
    expect(branchNames(w, out)).toEqual(refs.map((r) => [r]));
  });
});
