import type { Action, DeletableVerdict, Verdict } from './model.js';

/** Tag keys that tie a stack to GitLab (docs/design.md §3). */
export interface OwnershipTags {
  projectId: string;
  projectPath: string;
  ref: string;
  refSlug: string;
  environment: string;
  environmentSlug: string;
  mrIid: string;
  keep: string;
  /**
   * Keep tags honoured besides `keep` (a former key: stacks tagged before `keep` changed stay kept).
   * Absent: none.
   */
  alsoKeep?: string[];
}

/** A stack-name pattern with named groups `project`, `projectId`, `refSlug`, `ref`, `environmentSlug`. */
export interface NamePattern {
  pattern: string;
}

/** How stacks are matched to owners. */
export interface OwnershipPolicy {
  tags: OwnershipTags;
  stackNamePatterns: NamePattern[];
  /** Value of the `project` group → project path (or numeric id). */
  projects: Record<string, string | number>;
}

/** What counts as protected, beyond the keep tag and termination protection. */
export interface ProtectPolicy {
  /** Regexes matched against the whole stack name. */
  stackNames: string[];
  /** Branch-name globs (`*` wildcard, as GitLab's protected branches). */
  branches: string[];
  /** GitLab environment tiers. */
  tiers: string[];
  /** MR labels that keep the environment while present (`env-reaper::keep`). */
  mrLabels: string[];
}

/** The decision policy: pure data derived from the config. */
export interface Policy {
  ownership: OwnershipPolicy;
  protect: ProtectPolicy;
  actions: Record<Verdict, Action>;
  /** Grace per verdict, ms, counted from the verdict's `since`. */
  graceMs: Record<DeletableVerdict, number>;
  idleAfterDays: number;
  minAgeHours: number;
  /** Minimum time between the advance notice on the MR and the deletion, ms (0: no notice window). */
  noticeMs: number;
  /** Days without requests before a live environment is `unused` (`usage.window`). */
  usageWindowDays: number;
}

/** Brakes checked on the whole plan before any write (docs/design.md §5). */
export interface Limits {
  maxDeletionsPerRun: number;
  maxDeletionPercent: number;
}

/** Converts a `*` glob to an anchored regex. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
