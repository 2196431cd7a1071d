import type { GitLabEvidence, Owner, StackFacts } from './model.js';
import type { OwnershipPolicy } from './policy.js';

/** Nested stacks inherit their root's tags and go with it: only roots are candidates (docs/design.md §3). */
export function isRootStack(stack: StackFacts): boolean {
  return stack.parentId === undefined || stack.parentId === '';
}

function parseIid(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function fromTags(stack: StackFacts, ownership: OwnershipPolicy): Owner | undefined {
  const t = ownership.tags;
  const tag = (key: string) => nonEmpty(stack.tags[key]);
  const projectIdText = tag(t.projectId);
  const projectPath = tag(t.projectPath);
  const ref = tag(t.ref);
  const refSlug = tag(t.refSlug);
  const environment = tag(t.environment);
  // Any ownership tag brings the stack in scope; without a project it is in scope but unresolvable.
  if (!projectIdText && !projectPath && !ref && !refSlug && !environment) return undefined;
  const projectId = parseIid(projectIdText);
  const owner: Owner = { matchedBy: 'tags' };
  if (projectId !== undefined) owner.projectId = projectId;
  if (projectPath) owner.projectPath = projectPath;
  if (ref) owner.ref = ref;
  if (refSlug) owner.refSlug = refSlug;
  if (environment) owner.environment = environment;
  const environmentSlug = tag(t.environmentSlug);
  if (environmentSlug) owner.environmentSlug = environmentSlug;
  const mrIid = parseIid(tag(t.mrIid));
  if (mrIid !== undefined) owner.mrIid = mrIid;
  if (owner.projectId === undefined && owner.projectPath === undefined) owner.unresolved = true;
  return owner;
}

function fromName(stack: StackFacts, ownership: OwnershipPolicy): Owner | undefined {
  for (const { pattern } of ownership.stackNamePatterns) {
    const groups = new RegExp(pattern).exec(stack.name)?.groups;
    if (!groups) continue;
    const owner: Owner = { matchedBy: 'name-pattern' };
    const projectId = parseIid(groups.projectId);
    if (projectId !== undefined) owner.projectId = projectId;
    if (groups.project !== undefined && owner.projectId === undefined) {
      const mapped = ownership.projects[groups.project];
      if (typeof mapped === 'number') owner.projectId = mapped;
      else if (typeof mapped === 'string') owner.projectPath = mapped;
    }
    if (nonEmpty(groups.ref)) owner.ref = groups.ref;
    if (nonEmpty(groups.refSlug)) owner.refSlug = groups.refSlug;
    if (nonEmpty(groups.environmentSlug)) owner.environmentSlug = groups.environmentSlug;
    if (owner.projectId === undefined && owner.projectPath === undefined) owner.unresolved = true;
    return owner;
  }
  return undefined;
}

/**
 * Ties a stack to its GitLab owner: tags first (they survive renames), then name patterns.
 * `undefined` means the stack is out of scope (`unmanaged`) and is never touched.
 */
export function matchOwner(stack: StackFacts, ownership: OwnershipPolicy): Owner | undefined {
  if (!isRootStack(stack)) return undefined;
  return fromTags(stack, ownership) ?? fromName(stack, ownership);
}

/**
 * The MR a stack's notes go to: the tagged one, else the latest merged MR from its ref, else the latest
 * closed one, else an open one.
 */
export function mergeRequestFor(owner: Owner, gitlab: GitLabEvidence): number | undefined {
  if (owner.mrIid !== undefined) return owner.mrIid;
  const mrs = gitlab.mergeRequests?.ok ? gitlab.mergeRequests.value : [];
  const latest = (state: string) => mrs.filter((m) => m.state === state).sort((a, b) => b.iid - a.iid)[0];
  return (latest('merged') ?? latest('closed') ?? latest('opened'))?.iid;
}
