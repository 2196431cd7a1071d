// @ts-nocheck
function stryNS_9fa48() {
  var g = typeof globalThis === 'object' && globalThis && globalThis.Math === Math && globalThis || new Function("return this")();
  var ns = g.__stryker__ || (g.__stryker__ = {});
  if (ns.activeMutant === undefined && g.process && g.process.env && g.process.env.__STRYKER_ACTIVE_MUTANT__) {
    ns.activeMutant = g.process.env.__STRYKER_ACTIVE_MUTANT__;
  }
  function retrieveNS() {
    return ns;
  }
  stryNS_9fa48 = retrieveNS;
  return retrieveNS();
}
stryNS_9fa48();
function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  var cov = ns.mutantCoverage || (ns.mutantCoverage = {
    static: {},
    perTest: {}
  });
  function cover() {
    var c = cov.static;
    if (ns.currentTestId) {
      c = cov.perTest[ns.currentTestId] = cov.perTest[ns.currentTestId] || {};
    }
    var a = arguments;
    for (var i = 0; i < a.length; i++) {
      c[a[i]] = (c[a[i]] || 0) + 1;
    }
  }
  stryCov_9fa48 = cover;
  cover.apply(null, arguments);
}
function stryMutAct_9fa48(id) {
  var ns = stryNS_9fa48();
  function isActive(id) {
    if (ns.activeMutant === id) {
      if (ns.hitCount !== void 0 && ++ns.hitCount > ns.hitLimit) {
        throw new Error('Stryker: Hit count limit reached (' + ns.hitCount + ')');
      }
      return true;
    }
    return false;
  }
  stryMutAct_9fa48 = isActive;
  return isActive(id);
}
import type { Action, Verdict } from './model.js';

/** Tag keys that tie a stack to GitLab (DESIGN §3). */
export interface OwnershipTags {
  projectId: string;
  projectPath: string;
  ref: string;
  refSlug: string;
  environment: string;
  environmentSlug: string;
  mrIid: string;
  keep: string;
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
  graceMs: Partial<Record<Verdict, number>>;
  idleAfterDays: number;
  minAgeHours: number;
  /** Minimum time between the advance notice on the MR and the deletion, ms (0: no notice window). */
  noticeMs: number;
}

/** Brakes checked on the whole plan before any write (DESIGN §5). */
export interface Limits {
  maxDeletionsPerRun: number;
  maxDeletionPercent: number;
}

/** Converts a `*` glob to an anchored regex. */
export function globToRegExp(glob: string): RegExp {
  if (stryMutAct_9fa48("879")) {
    {}
  } else {
    stryCov_9fa48("879");
    const escaped = glob.replace(stryMutAct_9fa48("880") ? /[^.+?^${}()|[\]\\]/g : (stryCov_9fa48("880"), /[.+?^${}()|[\]\\]/g), stryMutAct_9fa48("881") ? "" : (stryCov_9fa48("881"), '\\$&')).replace(/\*/g, stryMutAct_9fa48("882") ? "" : (stryCov_9fa48("882"), '.*'));
    return new RegExp(stryMutAct_9fa48("883") ? `` : (stryCov_9fa48("883"), `^${escaped}$`));
  }
}