import type { ReasonCode, Verdict } from './model.js';

/**
 * What each verdict and reason code means, for people. `docs/verdicts.md` is generated from these
 * tables (`npm run gen`), and the `Record` types make a code without its entry a compile error, so the
 * docs cannot miss a code again.
 */

/** When each verdict is given; the rows are in the order `classify()` tries them. */
export const VERDICT_WHEN: Record<Verdict, string> = {
  protected:
    'keep tag `true` or a future date; kept from the dashboard issue; termination protection; name matches `policy.protect.stackNames`; the ref is the default branch, a GitLab-protected branch or matches `policy.protect.branches`; an MR from the ref carries a keep label (`policy.protect.mrLabels`); the environment tier is in `policy.protect.tiers`',
  busy: 'status `*_IN_PROGRESS`',
  'delete-failed': 'status `DELETE_FAILED` (only when protection could be ruled out; else `unknown`)',
  unknown:
    'evidence needed for the stack could not be read (HTTP error, timeout, rate limit exhausted, malformed response, a branch listing without the default branch), AWS did not say when the stack was created, or no ref to look up',
  unowned: 'in scope (by tag or name) but no project could be resolved',
  'project-gone': 'project 404 (also: no access) or archived',
  merged: 'an MR from the ref is merged and none is open',
  'branch-deleted': 'the branch is gone and no MR from it is open',
  abandoned:
    'the branch exists, its MRs were all closed unmerged, and nothing was committed to it since the last one closed (a commit at or after that moment is work going on: `active` or `idle`)',
  idle: 'no activity for `idleAfterDays`: latest of last commit, last deployment, MR update, stack update',
  unused:
    'would be `active`, but its resources had no request for `usage.window` (`usage.enabled`): every resource that can carry traffic measured, older than the window, zero requests on every day',
  active: 'everything else',
};

/** Each reason code: the verdicts it comes with and what it says. */
export const REASONS: Record<ReasonCode, { verdicts: readonly Verdict[]; meaning: string }> = {
  KEEP_TAG: {
    verdicts: ['protected'],
    meaning: 'the keep tag is `true`, a future date, or unparseable (kept)',
  },
  KEEP_TAG_EXPIRED: {
    verdicts: [],
    meaning: "the keep tag's date has passed; added to any verdict for information",
  },
  TERMINATION_PROTECTION: { verdicts: ['protected'], meaning: 'termination protection is enabled' },
  PROTECTED_STACK_NAME: { verdicts: ['protected'], meaning: 'the name matches `policy.protect.stackNames`' },
  DEFAULT_BRANCH: { verdicts: ['protected'], meaning: "the ref is the project's default branch" },
  PROTECTED_BRANCH: {
    verdicts: ['protected'],
    meaning: 'the ref is a GitLab-protected branch or matches `policy.protect.branches`',
  },
  PROTECTED_TIER: { verdicts: ['protected'], meaning: 'the environment tier is in `policy.protect.tiers`' },
  MR_KEEP_LABEL: {
    verdicts: ['protected'],
    meaning:
      'an MR from the ref carries a keep label (`policy.protect.mrLabels`); re-read before any deletion',
  },
  DASHBOARD_KEEP: {
    verdicts: ['protected'],
    meaning: 'its "keep" box is ticked on the dashboard issue, for `notify.dashboard.keepDays`',
  },
  STACK_BUSY: { verdicts: ['busy'], meaning: 'a stack operation is in progress' },
  STACK_DELETE_FAILED: { verdicts: ['delete-failed'], meaning: 'the stack is `DELETE_FAILED`' },
  STACK_INCOMPLETE: {
    verdicts: ['unknown'],
    meaning:
      "AWS's answer lacked a field the verdict needs (`CreationTime`, `StackId`, `StackName`, `StackStatus`)",
  },
  GITLAB_ERROR: {
    verdicts: ['unknown'],
    meaning: 'a GitLab read the verdict needs failed (the error is named)',
  },
  REF_UNRESOLVED: {
    verdicts: ['unknown'],
    meaning: 'no ref, ref slug or deployed ref to look the branch up by',
  },
  PROJECT_UNRESOLVED: { verdicts: ['unowned'], meaning: 'in scope, but no GitLab project could be resolved' },
  PROJECT_NOT_FOUND: { verdicts: ['project-gone'], meaning: 'the project answers 404 (also: no access)' },
  PROJECT_ARCHIVED: { verdicts: ['project-gone'], meaning: 'the project is archived' },
  MR_MERGED: {
    verdicts: ['merged'],
    meaning: 'an MR from the ref was merged (the latest one names the time)',
  },
  BRANCH_NOT_FOUND: { verdicts: ['branch-deleted'], meaning: 'the branch does not exist' },
  MR_CLOSED: {
    verdicts: ['branch-deleted', 'abandoned'],
    meaning: 'the MRs from the ref were closed unmerged (the latest one names the time)',
  },
  BRANCH_EXISTS: { verdicts: ['abandoned', 'idle', 'unused', 'active'], meaning: 'the branch exists' },
  MR_OPEN: { verdicts: ['idle', 'unused', 'active'], meaning: 'an MR from the ref is open' },
  NO_MR: { verdicts: ['idle', 'unused', 'active'], meaning: 'no MR from the ref, and the branch exists' },
  IDLE: { verdicts: ['idle'], meaning: 'no activity for `policy.idleAfterDays`' },
  RECENT_ACTIVITY: {
    verdicts: ['unused', 'active'],
    meaning: 'the last activity is recent (named with its time)',
  },
  NO_TRAFFIC: {
    verdicts: ['unused'],
    meaning:
      'no request for `usage.window` on any measured resource (named, with the last day that had traffic)',
  },
  RECENT_TRAFFIC: {
    verdicts: ['active'],
    meaning: 'requests within `usage.window` (the last day with traffic is its time)',
  },
  USAGE_UNKNOWN: {
    verdicts: ['active'],
    meaning:
      'usage could not be judged (a metric read failed, no measured resource, an unmeasured one, the stack younger than the window): never `unused`',
  },
  REF_SLUG_AMBIGUOUS: {
    verdicts: [],
    meaning: 'a ref slug matched several branches; the most alive one decides (added for information)',
  },
};
