import type { SandboxEnvironment, SandboxMergeRequest, SandboxProject } from './world-types.js';

/**
 * The sandbox's GitLab REST answer for one object, shaped like GitLab's: snake_case, the fields
 * env-reaper reads and the ones around them.
 */

export function projectJson(p: SandboxProject, baseUrl: string): Record<string, unknown> {
  const name = p.path.split('/').at(-1);
  return {
    id: p.id,
    name,
    path: name,
    path_with_namespace: p.path,
    name_with_namespace: p.path.replace(/\//g, ' / '),
    default_branch: p.defaultBranch,
    archived: p.archived,
    visibility: 'private',
    created_at: p.createdAt,
    web_url: `${baseUrl}/${p.path}`,
    namespace: {
      id: 1,
      name: p.path.split('/')[0],
      path: p.path.split('/')[0],
      kind: 'group',
      full_path: p.path.split('/').slice(0, -1).join('/'),
    },
  };
}

/**
 * Whether GitLab calls a branch protected: marked so, or matched by a rule (GitLab's `RefMatcher`: a
 * rule without `*` is an exact name; each `*` matches any run of characters, anchored, case-sensitive).
 * The sandbox's own matcher, kept apart from the product's so they cannot share a mistake.
 */
export function isProtected(p: SandboxProject, name: string): boolean {
  if (p.branches.get(name)?.protected) return true;
  return p.protectedBranchRules.some((rule) => {
    if (rule === '') return false;
    if (!rule.includes('*')) return rule === name;
    const parts = rule.split('*');
    // Greedy-free matching by pieces: the first piece a prefix, the last a suffix, the rest in order.
    const first = parts[0] ?? '';
    const last = parts.at(-1) ?? '';
    if (!name.startsWith(first) || name.length < first.length + last.length || !name.endsWith(last))
      return false;
    let at = first.length;
    const end = name.length - last.length;
    for (const mid of parts.slice(1, -1)) {
      const i = name.indexOf(mid, at);
      if (i < 0 || i + mid.length > end) return false;
      at = i + mid.length;
    }
    return true;
  });
}

export function branchJson(
  p: SandboxProject,
  name: string,
  baseUrl: string,
  startedAt: number,
): Record<string, unknown> {
  const b = p.branches.get(name);
  const committed = b?.committedAt ?? new Date(startedAt - 7 * 86_400_000).toISOString();
  const sha = Buffer.from(`${p.id}/${name}`).toString('hex').padEnd(40, '0').slice(0, 40);
  return {
    name,
    merged: b?.merged ?? false,
    protected: isProtected(p, name),
    default: name === p.defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `${baseUrl}/${p.path}/-/tree/${encodeURIComponent(name)}`,
    commit: {
      id: sha,
      short_id: sha.slice(0, 8),
      title: `Commit on ${name}`,
      message: `Commit on ${name}`,
      author_name: 'dev',
      authored_date: committed,
      committed_date: committed,
      created_at: committed,
      parent_ids: [],
    },
  };
}

export function mrJson(p: SandboxProject, mr: SandboxMergeRequest, baseUrl: string): Record<string, unknown> {
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.title,
    description: '',
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merged_at: mr.mergedAt,
    closed_at: mr.closedAt,
    source_branch: mr.sourceBranch,
    target_branch: mr.targetBranch,
    source_project_id: p.id,
    target_project_id: p.id,
    author: { id: 1, username: mr.author, name: mr.author, state: 'active' },
    labels: mr.labels,
    draft: false,
    work_in_progress: false,
    web_url: `${baseUrl}/${p.path}/-/merge_requests/${mr.iid}`,
    sha: '0'.repeat(40),
    merge_commit_sha: mr.state === 'merged' ? '1'.repeat(40) : null,
  };
}

export function envJson(env: SandboxEnvironment, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: env.id,
    name: env.name,
    slug: env.slug,
    external_url: `https://${env.slug}.review.example.com`,
    state: env.state,
    tier: env.tier,
    created_at: env.createdAt,
    updated_at: env.updatedAt,
    auto_stop_at: null,
    auto_stop_setting: 'always',
  };
  if (full) {
    out.last_deployment = env.lastDeployment
      ? {
          id: env.id * 10,
          iid: 1,
          ref: env.lastDeployment.ref,
          sha: '0'.repeat(40),
          created_at: env.lastDeployment.at,
          updated_at: env.lastDeployment.at,
          status: env.lastDeployment.status,
        }
      : null;
  }
  return out;
}
