import pLimit from 'p-limit';
import type { EnvironmentFacts, Owner, ProjectFacts } from '../core/model.js';
import type { EnvironmentFinding, EnvironmentFindings } from '../core/run-result.js';
import { refSlug } from '../core/slug.js';
import type { GitLabReader } from './ports.js';
import { readAll, toEvidenceError } from './reader.js';

/**
 * GitLab environments whose stack is gone (ghosts: `available` in the `review/` folder, and no live
 * in-scope stack names them), and environments stuck in `stopping` for more than a day. Both are what
 * GitLab's own on_stop teardown leaves behind when it fails (GitLab's API documentation).
 */

const DAY_MS = 86_400_000;

/**
 * Finds ghosts and stuck environments in the given projects. A review environment is live when an
 * in-scope stack of its project names it (environment tag), or deployed its ref (`review/<ref>` or
 * `review/<ref slug>`, the usual naming).
 */
export async function findEnvironmentFindings(
  projects: ProjectFacts[],
  owners: Owner[],
  reader: GitLabReader,
  now: number,
  concurrency = 4,
): Promise<EnvironmentFindings> {
  const findings: EnvironmentFindings = { ghosts: [], stuck: [], errors: [] };
  const limit = pLimit(concurrency);
  await Promise.all(
    projects.map((project) =>
      limit(async () => {
        const mine = owners.filter((o) => o.projectId === project.id || o.projectPath === project.path);
        const live = new Set<string>();
        for (const o of mine) {
          if (o.environment) live.add(o.environment);
          for (const r of [o.ref, o.ref !== undefined ? refSlug(o.ref) : undefined, o.refSlug])
            if (r) live.add(`review/${r}`);
        }
        const finding = (e: EnvironmentFacts): EnvironmentFinding => ({
          projectId: project.id,
          projectPath: project.path,
          id: e.id,
          name: e.name,
          state: e.state,
          ...(e.updatedAt ? { updatedAt: e.updatedAt } : {}),
        });
        try {
          const available = await readAll((page) =>
            reader.environmentsPage(project.id, page, { states: 'available' }),
          );
          for (const e of available)
            if (e.name.startsWith('review/') && !live.has(e.name)) findings.ghosts.push(finding(e));
          const stopping = await readAll((page) =>
            reader.environmentsPage(project.id, page, { states: 'stopping' }),
          );
          for (const e of stopping) {
            const at = e.updatedAt ? Date.parse(e.updatedAt) : Number.NaN;
            if (!Number.isNaN(at) && now - at > DAY_MS) findings.stuck.push(finding(e));
          }
        } catch (error) {
          findings.errors.push({
            ...toEvidenceError(error),
            scope: `gitlab:project ${project.id} environments`,
            service: 'gitlab',
            project: project.path,
          });
        }
      }),
    ),
  );
  const order = (a: EnvironmentFinding, b: EnvironmentFinding) =>
    a.projectPath.localeCompare(b.projectPath) || a.name.localeCompare(b.name) || a.id - b.id;
  findings.ghosts.sort(order);
  findings.stuck.sort(order);
  return findings;
}
