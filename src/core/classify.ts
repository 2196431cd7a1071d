import {
  type BranchFacts,
  type Classification,
  DELETABLE_VERDICTS,
  type EnvironmentFacts,
  type Evidence,
  type GitLabEvidence,
  type MergeRequestFacts,
  type Owner,
  type ProjectFacts,
  type Reason,
  type StackSnapshot,
  type Verdict,
} from './model.js';
import { globToRegExp, type OwnershipTags, type Policy } from './policy.js';
import { refSlug } from './slug.js';
import { judgeUsage, resourceWords } from './usage.js';

const DAY_MS = 86_400_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function ms(at: string | undefined): number | undefined {
  if (at === undefined) return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : t;
}

function latest(times: (string | undefined)[]): string | undefined {
  let best: number | undefined;
  for (const t of times) {
    const v = ms(t);
    if (v !== undefined && (best === undefined || v > best)) best = v;
  }
  return best === undefined ? undefined : iso(best);
}

function result(
  snapshot: StackSnapshot,
  verdict: Verdict,
  reasons: Reason[],
  since?: string,
): Classification {
  const c: Classification = { stackId: snapshot.stack.stackId, verdict, reasons };
  if (since !== undefined) c.since = since;
  return c;
}

/** The keep tag: `true`, or a `YYYY-MM-DD` before which the stack must not be reaped. */
function keepTagReason(value: string | undefined, now: number): Reason | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const until = Date.parse(`${v}T00:00:00Z`);
    if (Number.isNaN(until)) return { code: 'KEEP_TAG', detail: `keep tag "${v}" is not a date: kept` };
    return until > now
      ? { code: 'KEEP_TAG', detail: `keep tag until ${v}`, at: iso(until) }
      : { code: 'KEEP_TAG_EXPIRED', detail: `keep tag expired on ${v}`, at: iso(until) };
  }
  if (v.toLowerCase() === 'false') return undefined;
  // `true`, or anything else a human wrote there: when in doubt, keep.
  return { code: 'KEEP_TAG', detail: v.toLowerCase() === 'true' ? 'keep tag' : `keep tag "${v}": kept` };
}

/**
 * The keep-tag reason of a stack: `keep` first, then each former key (`alsoKeep`). Any key that keeps,
 * keeps (a stack kept under the old key and `false` under the new one stays kept); a former key's keep
 * says so, as the old key is meant to be retired. Else the configured key's expiry, if any.
 */
export function keepReason(tags: Record<string, string>, t: OwnershipTags, now: number): Reason | undefined {
  const keys = [t.keep, ...(t.alsoKeep ?? []).filter((k) => k !== t.keep)];
  const read = keys.map((key) => ({ key, reason: keepTagReason(tags[key], now) }));
  const kept = read.find((r) => r.reason?.code === 'KEEP_TAG');
  if (kept?.reason && kept.key !== t.keep)
    return {
      ...kept.reason,
      detail: `${kept.reason.detail} (former keep key ${kept.key}; ownership.tags.alsoKeep)`,
    };
  return kept?.reason ?? read[0]?.reason;
}

/** Is this branch name one the stack may belong to? Exact ref if known, else every branch of the slug. */
function refMatcher(owner: Owner, gitlab: GitLabEvidence): ((name: string) => boolean) | undefined {
  if (owner.ref !== undefined) {
    const ref = owner.ref;
    return (name) => name === ref;
  }
  if (owner.refSlug !== undefined) {
    const slug = owner.refSlug;
    return (name) => refSlug(name) === slug;
  }
  const deployed =
    value(gitlab.environment)?.lastDeploymentRef ?? value(gitlab.taggedMergeRequest)?.sourceBranch;
  if (deployed !== undefined) return (name) => name === deployed;
  return undefined;
}

function value<T>(e: Evidence<T> | undefined): T | undefined {
  return e?.ok ? e.value : undefined;
}

function protectedReasons(snapshot: StackSnapshot, policy: Policy, now: number): Reason[] {
  const { stack, owner, gitlab } = snapshot;
  const reasons: Reason[] = [];
  const keep = keepReason(stack.tags, policy.ownership.tags, now);
  if (keep?.code === 'KEEP_TAG') reasons.push(keep);
  const kept = ms(snapshot.keptUntil);
  if (kept !== undefined && kept > now) {
    reasons.push({
      code: 'DASHBOARD_KEEP',
      detail: `kept from the dashboard issue until ${snapshot.keptUntil}`,
      at: snapshot.keptUntil as string,
    });
  }
  if (stack.terminationProtection) {
    reasons.push({ code: 'TERMINATION_PROTECTION', detail: 'termination protection is enabled' });
  }
  const byName = policy.protect.stackNames.find((p) => new RegExp(p).test(stack.name));
  if (byName !== undefined) {
    reasons.push({
      code: 'PROTECTED_STACK_NAME',
      detail: `stack name matches protect.stackNames /${byName}/`,
    });
  }
  // An unresolved owner has no project: GitLab facts, if any, are not about this stack.
  if (!owner || owner.unresolved) return reasons;
  const env = value(gitlab.environment);
  const matches = refMatcher(owner, gitlab);
  const project = value(gitlab.project);
  if (matches && project?.defaultBranch !== undefined && matches(project.defaultBranch)) {
    reasons.push({ code: 'DEFAULT_BRANCH', detail: `${project.defaultBranch} is the default branch` });
  }
  const branches = value(gitlab.branches) ?? [];
  const protectedBranch = matches ? branches.find((b) => matches(b.name) && b.protected) : undefined;
  if (protectedBranch) {
    reasons.push({ code: 'PROTECTED_BRANCH', detail: `${protectedBranch.name} is a protected branch` });
  } else {
    const names = [owner.ref, ...branches.filter((b) => matches?.(b.name)).map((b) => b.name)];
    const globs = policy.protect.branches;
    const hit = names.find((n) => n !== undefined && globs.some((g) => globToRegExp(g).test(n)));
    if (hit !== undefined) {
      reasons.push({ code: 'PROTECTED_BRANCH', detail: `${hit} matches protect.branches` });
    }
  }
  const labelled = matches
    ? (value(gitlab.mergeRequests) ?? []).find(
        (m) => matches(m.sourceBranch) && (m.labels ?? []).some((l) => policy.protect.mrLabels.includes(l)),
      )
    : undefined;
  if (labelled) {
    reasons.push({
      code: 'MR_KEEP_LABEL',
      detail: `!${labelled.iid} carries a keep label (${policy.protect.mrLabels.join(', ')})`,
    });
  }
  if (env?.tier !== undefined && policy.protect.tiers.includes(env.tier)) {
    reasons.push({ code: 'PROTECTED_TIER', detail: `environment ${env.name} has tier ${env.tier}` });
  }
  return reasons;
}

function gitlabError(what: string, e: Evidence<unknown> | undefined): Reason | undefined {
  if (e === undefined) return { code: 'GITLAB_ERROR', detail: `${what} was not read` };
  if (!e.ok) return { code: 'GITLAB_ERROR', detail: `${what}: ${e.error.code} ${e.error.message}` };
  return undefined;
}

/**
 * The environment is needed when the stack names one (its tier may protect it), and whenever it was read:
 * a failed read can hide a production tier, so it is never ignored.
 */
function environmentError({ owner, gitlab }: StackSnapshot): Reason | undefined {
  if (owner?.environment === undefined && gitlab.environment === undefined) return undefined;
  return gitlabError('environment', gitlab.environment);
}

/**
 * Every fact that is needed and could not be read. With a project that answers 404 nothing else is
 * readable, so only facts that were read and failed count; otherwise branches, MRs and the environment
 * (when named or read) are all needed.
 */
function unreadableFacts(snapshot: StackSnapshot): Reason[] {
  const { gitlab } = snapshot;
  const projectErr = gitlabError('project', gitlab.project);
  if (projectErr) return [projectErr];
  const present = (k: 'branches' | 'mergeRequests' | 'environment') =>
    gitlab[k] !== undefined ? gitlabError(k, gitlab[k]) : undefined;
  const reasons =
    value(gitlab.project) === null
      ? [present('branches'), present('mergeRequests'), present('environment')]
      : [
          gitlabError('branches', gitlab.branches),
          gitlabError('merge requests', gitlab.mergeRequests),
          environmentError(snapshot),
        ];
  return reasons.filter((r): r is Reason => r !== undefined);
}

/** The life state of one candidate ref, before the candidates are combined. */
interface RefState {
  ref: string;
  verdict: 'active' | 'idle' | 'abandoned' | 'branch-deleted' | 'merged';
  reasons: Reason[];
  since?: string;
}

/** Most alive first: if any candidate of an ambiguous ref-slug lives, the stack lives (docs/design.md §3). */
const LIFE_RANK: Record<RefState['verdict'], number> = {
  active: 0,
  idle: 1,
  abandoned: 2,
  'branch-deleted': 3,
  merged: 4,
};

function refState(
  ref: string,
  branch: BranchFacts | undefined,
  mrs: MergeRequestFacts[],
  snapshot: StackSnapshot,
  env: EnvironmentFacts | null | undefined,
  policy: Policy,
  now: number,
): RefState {
  const open = mrs.filter((m) => m.state === 'opened' || m.state === 'locked');
  const merged = mrs.filter((m) => m.state === 'merged');
  const closed = mrs.filter((m) => m.state === 'closed');
  const mrRef = (m: MergeRequestFacts) => `!${m.iid}`;
  if (open.length === 0 && merged.length > 0) {
    const last = merged.reduce((a, b) => ((ms(b.mergedAt) ?? 0) > (ms(a.mergedAt) ?? 0) ? b : a));
    const at = last.mergedAt ?? last.closedAt ?? last.updatedAt;
    const reason: Reason = { code: 'MR_MERGED', detail: `${mrRef(last)} from ${ref} merged` };
    if (at !== undefined) reason.at = at;
    return { ref, verdict: 'merged', reasons: [reason], ...(at !== undefined ? { since: at } : {}) };
  }
  if (!branch && open.length === 0) {
    const reasons: Reason[] = [{ code: 'BRANCH_NOT_FOUND', detail: `branch ${ref} does not exist` }];
    const lastClosed = latest(closed.map((m) => m.closedAt));
    if (closed.length > 0) {
      reasons.push({
        code: 'MR_CLOSED',
        detail: `${closed.map(mrRef).join(', ')} closed without merge`,
        ...(lastClosed !== undefined ? { at: lastClosed } : {}),
      });
    }
    const since =
      lastClosed ??
      snapshot.firstSeen?.['branch-deleted'] ??
      snapshot.stack.updatedAt ??
      snapshot.stack.createdAt;
    return { ref, verdict: 'branch-deleted', reasons, since };
  }
  const lastClosed = latest(closed.map((m) => m.closedAt));
  // A commit at or after the last MR's close is work going on, not an abandoned branch: judged by
  // activity. At the same instant it is ambiguous, so it counts as work (fail closed).
  const workedOnSince =
    (ms(branch?.committedAt) ?? Number.NEGATIVE_INFINITY) >= (ms(lastClosed) ?? Number.POSITIVE_INFINITY);
  if (branch && open.length === 0 && closed.length > 0 && !workedOnSince) {
    return {
      ref,
      verdict: 'abandoned',
      reasons: [
        {
          code: 'MR_CLOSED',
          detail: `${closed.map(mrRef).join(', ')} closed without merge`,
          ...(lastClosed !== undefined ? { at: lastClosed } : {}),
        },
        { code: 'BRANCH_EXISTS', detail: `branch ${ref} exists` },
      ],
      ...(lastClosed !== undefined ? { since: lastClosed } : {}),
    };
  }
  const lastActivity = latest([
    branch?.committedAt,
    env?.lastDeployedAt,
    ...mrs.map((m) => m.updatedAt),
    snapshot.stack.updatedAt,
    snapshot.stack.createdAt,
  ]);
  const life: Reason[] =
    open.length > 0
      ? [{ code: 'MR_OPEN', detail: `${open.map(mrRef).join(', ')} open from ${ref}` }]
      : [
          { code: 'BRANCH_EXISTS', detail: `branch ${ref} exists` },
          { code: 'NO_MR', detail: `no merge request from ${ref}` },
        ];
  const lastMs = ms(lastActivity);
  const idleMs = policy.idleAfterDays * DAY_MS;
  if (lastMs !== undefined && now - lastMs > idleMs) {
    const days = Math.floor((now - lastMs) / DAY_MS);
    return {
      ref,
      verdict: 'idle',
      reasons: [
        { code: 'IDLE', detail: `no activity for ${days} days`, at: lastActivity as string },
        ...life,
      ],
      since: iso(lastMs + idleMs),
    };
  }
  const recent: Reason = { code: 'RECENT_ACTIVITY', detail: 'last activity' };
  if (lastActivity !== undefined) recent.at = lastActivity;
  return { ref, verdict: 'active', reasons: [...life, recent] };
}

/**
 * Gives one stack its verdict (docs/design.md §4): the first rule that applies wins, with stable reason codes.
 * Pure: the same snapshot, policy and `now` always give the same classification. Missing or unreadable
 * evidence never leads towards deletion: it yields `unknown`.
 */
export function classify(snapshot: StackSnapshot, policy: Policy, now: number): Classification {
  const c = decide(snapshot, policy, now);
  // Verdicts without an evidence time of their own (project-gone, unowned, delete-failed without an update
  // time) count their grace from the first run that saw them, else from now.
  if (c.since === undefined && (DELETABLE_VERDICTS as readonly Verdict[]).includes(c.verdict)) {
    c.since = snapshot.firstSeen?.[c.verdict] ?? iso(now);
  }
  // An expired keep tag explains why a once-kept stack is now judged like any other.
  const keep = keepReason(snapshot.stack.tags, policy.ownership.tags, now);
  if (keep?.code === 'KEEP_TAG_EXPIRED') c.reasons.push(keep);
  return c;
}

function decide(snapshot: StackSnapshot, policy: Policy, now: number): Classification {
  const { stack, owner, gitlab } = snapshot;

  const protectedBy = protectedReasons(snapshot, policy, now);
  if (protectedBy.length > 0) return result(snapshot, 'protected', protectedBy);

  // A field AWS did not send is not guessed: without a creation time a stack would look ancient.
  if (stack.missing?.length)
    return result(snapshot, 'unknown', [
      { code: 'STACK_INCOMPLETE', detail: `AWS did not send the stack's ${stack.missing.join(', ')}` },
    ]);

  if (stack.status.endsWith('_IN_PROGRESS')) {
    return result(snapshot, 'busy', [{ code: 'STACK_BUSY', detail: `stack status ${stack.status}` }]);
  }
  if (stack.status === 'DELETE_FAILED') {
    // delete-failed may carry `delete`: only when protection could be ruled out (fail closed).
    const unreadable = owner && !owner.unresolved ? unreadableFacts(snapshot) : [];
    if (unreadable.length > 0) return result(snapshot, 'unknown', unreadable);
    const detail = stack.statusReason ? `DELETE_FAILED: ${stack.statusReason}` : 'stack status DELETE_FAILED';
    return result(snapshot, 'delete-failed', [{ code: 'STACK_DELETE_FAILED', detail }], stack.updatedAt);
  }
  if (!owner || owner.unresolved) {
    return result(snapshot, 'unowned', [
      { code: 'PROJECT_UNRESOLVED', detail: 'in scope, but no GitLab project could be resolved for it' },
    ]);
  }

  const projectErr = gitlabError('project', gitlab.project);
  if (projectErr) return result(snapshot, 'unknown', [projectErr]);
  const project = value(gitlab.project) as ProjectFacts | null;
  if (project === null) {
    // Nothing is readable in a project that answers 404, so unread facts are not missing evidence;
    // a fact that was read and failed still fails closed.
    const failed = unreadableFacts(snapshot);
    if (failed.length > 0) return result(snapshot, 'unknown', failed);
    const who = owner.projectId ?? owner.projectPath;
    return result(snapshot, 'project-gone', [
      {
        code: 'PROJECT_NOT_FOUND',
        detail: `project ${who} answered 404 (deleted, or not visible to this token)`,
      },
    ]);
  }
  // Everything below needs branches (a protected branch protects), MRs, and the environment when the
  // stack names one: an archived project is still readable, so it gets no exemption.
  const missing = [
    gitlabError('branches', gitlab.branches),
    gitlabError('merge requests', gitlab.mergeRequests),
    environmentError(snapshot),
    gitlab.taggedMergeRequest !== undefined
      ? gitlabError('tagged merge request', gitlab.taggedMergeRequest)
      : undefined,
  ].filter((r): r is Reason => r !== undefined);
  if (missing.length > 0) return result(snapshot, 'unknown', missing);
  if (project.archived) {
    return result(snapshot, 'project-gone', [
      { code: 'PROJECT_ARCHIVED', detail: `${project.path} is archived` },
    ]);
  }

  const env = value(gitlab.environment);
  const matches = refMatcher(owner, gitlab);
  if (!matches) {
    return result(snapshot, 'unknown', [
      { code: 'REF_UNRESOLVED', detail: 'no ref, ref slug or deployed ref to look the branch up by' },
    ]);
  }
  const branches = (value(gitlab.branches) ?? []).filter((b) => matches(b.name));
  const mrs = (value(gitlab.mergeRequests) ?? []).filter((m) => matches(m.sourceBranch));
  const refs = [...new Set([...branches.map((b) => b.name), ...mrs.map((m) => m.sourceBranch)])].sort();
  if (refs.length === 0) {
    // Nothing in GitLab carries this ref any more: the branch is gone and no MR ever came from it.
    refs.push(
      owner.ref ??
        owner.refSlug ??
        env?.lastDeploymentRef ??
        value(gitlab.taggedMergeRequest)?.sourceBranch ??
        '',
    );
  }
  const states = refs.map((ref) =>
    refState(
      ref,
      branches.find((b) => b.name === ref),
      mrs.filter((m) => m.sourceBranch === ref),
      snapshot,
      env,
      policy,
      now,
    ),
  );
  const chosen = states.reduce((a, b) => {
    const diff = LIFE_RANK[b.verdict] - LIFE_RANK[a.verdict];
    if (diff !== 0) return diff < 0 ? b : a;
    // Same verdict on two refs: the later clock start is the conservative one.
    return (ms(b.since) ?? 0) > (ms(a.since) ?? 0) ? b : a;
  });
  const reasons = [...chosen.reasons];
  if (refs.length > 1) {
    reasons.push({
      code: 'REF_SLUG_AMBIGUOUS',
      detail: `ref slug ${owner.refSlug} matches ${refs.join(', ')}; the most alive decides`,
    });
  }
  if (chosen.verdict === 'active' && snapshot.usage !== undefined)
    return byUsage(snapshot, reasons, policy, now);
  return result(snapshot, chosen.verdict, reasons, chosen.since);
}

/**
 * A live environment judged by its traffic: `unused` only on positive evidence of no request over the
 * whole window on every resource that can carry one; else `active`, saying when it was last used or why
 * that is unknown.
 */
function byUsage(snapshot: StackSnapshot, life: Reason[], policy: Policy, now: number): Classification {
  const { stack } = snapshot;
  const lastChange = latest([stack.createdAt, stack.updatedAt]) ?? stack.createdAt;
  const updated =
    (ms(stack.updatedAt) ?? Number.NEGATIVE_INFINITY) > (ms(stack.createdAt) ?? Number.NEGATIVE_INFINITY);
  const usage = judgeUsage(
    snapshot.usage as NonNullable<StackSnapshot['usage']>,
    lastChange,
    policy.usageWindowDays,
    now,
    updated,
  );
  if (usage.state === 'unknown')
    return result(snapshot, 'active', [
      ...life,
      { code: 'USAGE_UNKNOWN', detail: `${usage.why}: ${usage.detail}` },
    ]);
  if (usage.state === 'used')
    return result(snapshot, 'active', [
      ...life,
      {
        code: 'RECENT_TRAFFIC',
        detail: `${usage.requests} requests in the last ${policy.usageWindowDays} days`,
        at: `${usage.lastDay}T00:00:00.000Z`,
      },
    ]);
  const reading = snapshot.usage?.ok ? snapshot.usage.value : undefined;
  const measured = (reading?.resources ?? []).filter((r) => usage.resources.includes(r.arn));
  const noTraffic: Reason = {
    code: 'NO_TRAFFIC',
    detail: `no requests for ${usage.windowDays} days on ${resourceWords(measured)}; last day with traffic: ${usage.lastDay ?? `none in the ${reading?.days ?? usage.windowDays} days read`}`,
  };
  if (usage.lastDay !== undefined) noTraffic.at = `${usage.lastDay}T00:00:00.000Z`;
  // The clock starts when the window of silence was complete: after the last traffic and the last change.
  const quietFrom = Math.max(
    ms(noTraffic.at) !== undefined ? (ms(noTraffic.at) as number) + DAY_MS : 0,
    ms(lastChange) ?? 0,
  );
  return result(snapshot, 'unused', [noTraffic, ...life], iso(quietFrom + usage.windowDays * DAY_MS));
}
