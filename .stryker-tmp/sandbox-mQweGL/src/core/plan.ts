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
import { type Action, type Classification, DELETABLE_VERDICTS, type StackFacts, type Verdict } from './model.js';
import type { Limits, Policy } from './policy.js';

/** Where a stack stands in this run's plan. */
export type PlanStatus = /** Policy keeps it. */
'keep'
/** Reported for a human; never deleted by this run. */ | 'flag'
/** Due for deletion in this run. */ | 'due'
/** Will be due later: still inside grace or younger than `minAgeHours`. */ | 'waiting'
/** Was due, but a brake stopped every deletion of this run. */ | 'braked';

/** One stack's entry in the plan. */
export interface PlanItem {
  stackId: string;
  verdict: Verdict;
  action: Action;
  status: PlanStatus;
  /** When deletion becomes allowed (ISO-8601); only for `delete` actions. */
  deleteAfter?: string;
  /** Why a `delete` is not due yet. */
  waitingFor?: 'grace' | 'min-age' | 'notice';
}

/** Which brake engaged, with the figures behind it. */
export interface Brake {
  kind: 'max-deletions' | 'max-percent';
  /** Deletions the plan wanted. */
  due: number;
  /** In-scope stacks the percentage is taken of. */
  inScope: number;
  /** The configured limit (count or percent). */
  limit: number;
}

/** A whole run's plan. Serialises to JSON as is. */
export interface Plan {
  items: PlanItem[];
  /** Stacks due for deletion (0 when a brake engaged). */
  due: number;
  brake: Brake | null;
}

/** Input of plan(): a classification with the stack it is about. */
export interface PlanInput {
  stack: StackFacts;
  classification: Classification;
  /**
   * The advance notice on the MR, when the policy has a notice window and the stack has a known MR:
   * deletion waits until `noticeMs` after the notice was posted (never before it is posted).
   */
  notice?: {
    postedAt?: string;
  };
}
const HOUR_MS = 3_600_000;
function deletable(verdict: Verdict): boolean {
  if (stryMutAct_9fa48("772")) {
    {}
  } else {
    stryCov_9fa48("772");
    return (DELETABLE_VERDICTS as readonly Verdict[]).includes(verdict);
  }
}

/**
 * Decides what happens to every in-scope stack (DESIGN §4, §5): policy action, grace counted from the
 * verdict's evidence time, `minAgeHours` from the stack's last change, then both brakes on the whole plan.
 * A brake cancels every deletion of the run, never a subset. Pure and deterministic: items are ordered
 * by stack id whatever the input order.
 */
export function plan(inputs: PlanInput[], policy: Policy, limits: Limits, now: number): Plan {
  if (stryMutAct_9fa48("773")) {
    {}
  } else {
    stryCov_9fa48("773");
    const items: PlanItem[] = stryMutAct_9fa48("774") ? ["Stryker was here"] : (stryCov_9fa48("774"), []);
    const sorted = stryMutAct_9fa48("775") ? [...inputs] : (stryCov_9fa48("775"), (stryMutAct_9fa48("776") ? [] : (stryCov_9fa48("776"), [...inputs])).sort(stryMutAct_9fa48("777") ? () => undefined : (stryCov_9fa48("777"), (a, b) => (stryMutAct_9fa48("781") ? a.stack.stackId >= b.stack.stackId : stryMutAct_9fa48("780") ? a.stack.stackId <= b.stack.stackId : stryMutAct_9fa48("779") ? false : stryMutAct_9fa48("778") ? true : (stryCov_9fa48("778", "779", "780", "781"), a.stack.stackId < b.stack.stackId)) ? stryMutAct_9fa48("782") ? +1 : (stryCov_9fa48("782"), -1) : (stryMutAct_9fa48("786") ? a.stack.stackId <= b.stack.stackId : stryMutAct_9fa48("785") ? a.stack.stackId >= b.stack.stackId : stryMutAct_9fa48("784") ? false : stryMutAct_9fa48("783") ? true : (stryCov_9fa48("783", "784", "785", "786"), a.stack.stackId > b.stack.stackId)) ? 1 : 0)));
    for (const {
      stack,
      classification,
      notice
    } of sorted) {
      if (stryMutAct_9fa48("787")) {
        {}
      } else {
        stryCov_9fa48("787");
        const {
          verdict
        } = classification;
        const configured = policy.actions[verdict];
        // The config refuses `delete` for other verdicts; this guard keeps the invariant even if it did not.
        const action: Action = (stryMutAct_9fa48("790") ? configured === 'delete' || !deletable(verdict) : stryMutAct_9fa48("789") ? false : stryMutAct_9fa48("788") ? true : (stryCov_9fa48("788", "789", "790"), (stryMutAct_9fa48("792") ? configured !== 'delete' : stryMutAct_9fa48("791") ? true : (stryCov_9fa48("791", "792"), configured === (stryMutAct_9fa48("793") ? "" : (stryCov_9fa48("793"), 'delete')))) && (stryMutAct_9fa48("794") ? deletable(verdict) : (stryCov_9fa48("794"), !deletable(verdict))))) ? stryMutAct_9fa48("795") ? "" : (stryCov_9fa48("795"), 'flag') : configured;
        const item: PlanItem = stryMutAct_9fa48("796") ? {} : (stryCov_9fa48("796"), {
          stackId: stack.stackId,
          verdict,
          action,
          status: (stryMutAct_9fa48("799") ? action !== 'delete' : stryMutAct_9fa48("798") ? false : stryMutAct_9fa48("797") ? true : (stryCov_9fa48("797", "798", "799"), action === (stryMutAct_9fa48("800") ? "" : (stryCov_9fa48("800"), 'delete')))) ? stryMutAct_9fa48("801") ? "" : (stryCov_9fa48("801"), 'due') : action
        });
        if (stryMutAct_9fa48("804") ? action !== 'delete' : stryMutAct_9fa48("803") ? false : stryMutAct_9fa48("802") ? true : (stryCov_9fa48("802", "803", "804"), action === (stryMutAct_9fa48("805") ? "" : (stryCov_9fa48("805"), 'delete')))) {
          if (stryMutAct_9fa48("806")) {
            {}
          } else {
            stryCov_9fa48("806");
            const lastChange = stryMutAct_9fa48("807") ? Math.min(Date.parse(stack.createdAt), Date.parse(stack.updatedAt ?? stack.createdAt)) : (stryCov_9fa48("807"), Math.max(Date.parse(stack.createdAt), Date.parse(stryMutAct_9fa48("808") ? stack.updatedAt && stack.createdAt : (stryCov_9fa48("808"), stack.updatedAt ?? stack.createdAt))));
            const minAgeAt = stryMutAct_9fa48("809") ? lastChange - policy.minAgeHours * HOUR_MS : (stryCov_9fa48("809"), lastChange + (stryMutAct_9fa48("810") ? policy.minAgeHours / HOUR_MS : (stryCov_9fa48("810"), policy.minAgeHours * HOUR_MS)));
            const since = (stryMutAct_9fa48("813") ? classification.since === undefined : stryMutAct_9fa48("812") ? false : stryMutAct_9fa48("811") ? true : (stryCov_9fa48("811", "812", "813"), classification.since !== undefined)) ? Date.parse(classification.since) : Number.NaN;
            // No evidence time means no clock to count grace from: start it now, never in the past.
            const graceAt = stryMutAct_9fa48("814") ? (Number.isNaN(since) ? now : since) - (policy.graceMs[verdict] ?? 0) : (stryCov_9fa48("814"), (Number.isNaN(since) ? now : since) + (stryMutAct_9fa48("815") ? policy.graceMs[verdict] && 0 : (stryCov_9fa48("815"), policy.graceMs[verdict] ?? 0)));
            const minAge = Number.isNaN(minAgeAt) ? now : minAgeAt;
            // Not posted yet: it is posted this run, so the window starts now (the time the notice announces).
            const noticeAt = (stryMutAct_9fa48("818") ? notice || policy.noticeMs > 0 : stryMutAct_9fa48("817") ? false : stryMutAct_9fa48("816") ? true : (stryCov_9fa48("816", "817", "818"), notice && (stryMutAct_9fa48("821") ? policy.noticeMs <= 0 : stryMutAct_9fa48("820") ? policy.noticeMs >= 0 : stryMutAct_9fa48("819") ? true : (stryCov_9fa48("819", "820", "821"), policy.noticeMs > 0)))) ? stryMutAct_9fa48("822") ? (notice.postedAt !== undefined ? Date.parse(notice.postedAt) : now) - policy.noticeMs : (stryCov_9fa48("822"), ((stryMutAct_9fa48("825") ? notice.postedAt === undefined : stryMutAct_9fa48("824") ? false : stryMutAct_9fa48("823") ? true : (stryCov_9fa48("823", "824", "825"), notice.postedAt !== undefined)) ? Date.parse(notice.postedAt) : now) + policy.noticeMs) : Number.NEGATIVE_INFINITY;
            const after = stryMutAct_9fa48("826") ? Math.min(graceAt, minAge, noticeAt) : (stryCov_9fa48("826"), Math.max(graceAt, minAge, noticeAt));
            item.deleteAfter = new Date(after).toISOString();
            if (stryMutAct_9fa48("830") ? now >= after : stryMutAct_9fa48("829") ? now <= after : stryMutAct_9fa48("828") ? false : stryMutAct_9fa48("827") ? true : (stryCov_9fa48("827", "828", "829", "830"), now < after)) {
              if (stryMutAct_9fa48("831")) {
                {}
              } else {
                stryCov_9fa48("831");
                item.status = stryMutAct_9fa48("832") ? "" : (stryCov_9fa48("832"), 'waiting');
                item.waitingFor = (stryMutAct_9fa48("835") ? after !== noticeAt : stryMutAct_9fa48("834") ? false : stryMutAct_9fa48("833") ? true : (stryCov_9fa48("833", "834", "835"), after === noticeAt)) ? stryMutAct_9fa48("836") ? "" : (stryCov_9fa48("836"), 'notice') : (stryMutAct_9fa48("840") ? graceAt < minAge : stryMutAct_9fa48("839") ? graceAt > minAge : stryMutAct_9fa48("838") ? false : stryMutAct_9fa48("837") ? true : (stryCov_9fa48("837", "838", "839", "840"), graceAt >= minAge)) ? stryMutAct_9fa48("841") ? "" : (stryCov_9fa48("841"), 'grace') : stryMutAct_9fa48("842") ? "" : (stryCov_9fa48("842"), 'min-age');
              }
            }
          }
        }
        items.push(item);
      }
    }
    const due = stryMutAct_9fa48("843") ? items.length : (stryCov_9fa48("843"), items.filter(stryMutAct_9fa48("844") ? () => undefined : (stryCov_9fa48("844"), i => stryMutAct_9fa48("847") ? i.status !== 'due' : stryMutAct_9fa48("846") ? false : stryMutAct_9fa48("845") ? true : (stryCov_9fa48("845", "846", "847"), i.status === (stryMutAct_9fa48("848") ? "" : (stryCov_9fa48("848"), 'due'))))).length);
    const inScope = items.length;
    let brake: Brake | null = null;
    if (stryMutAct_9fa48("852") ? due <= limits.maxDeletionsPerRun : stryMutAct_9fa48("851") ? due >= limits.maxDeletionsPerRun : stryMutAct_9fa48("850") ? false : stryMutAct_9fa48("849") ? true : (stryCov_9fa48("849", "850", "851", "852"), due > limits.maxDeletionsPerRun)) {
      if (stryMutAct_9fa48("853")) {
        {}
      } else {
        stryCov_9fa48("853");
        brake = stryMutAct_9fa48("854") ? {} : (stryCov_9fa48("854"), {
          kind: stryMutAct_9fa48("855") ? "" : (stryCov_9fa48("855"), 'max-deletions'),
          due,
          inScope,
          limit: limits.maxDeletionsPerRun
        });
      }
    } else if (stryMutAct_9fa48("858") ? due > 0 || due * 100 > limits.maxDeletionPercent * inScope : stryMutAct_9fa48("857") ? false : stryMutAct_9fa48("856") ? true : (stryCov_9fa48("856", "857", "858"), (stryMutAct_9fa48("861") ? due <= 0 : stryMutAct_9fa48("860") ? due >= 0 : stryMutAct_9fa48("859") ? true : (stryCov_9fa48("859", "860", "861"), due > 0)) && (stryMutAct_9fa48("864") ? due * 100 <= limits.maxDeletionPercent * inScope : stryMutAct_9fa48("863") ? due * 100 >= limits.maxDeletionPercent * inScope : stryMutAct_9fa48("862") ? true : (stryCov_9fa48("862", "863", "864"), (stryMutAct_9fa48("865") ? due / 100 : (stryCov_9fa48("865"), due * 100)) > (stryMutAct_9fa48("866") ? limits.maxDeletionPercent / inScope : (stryCov_9fa48("866"), limits.maxDeletionPercent * inScope)))))) {
      if (stryMutAct_9fa48("867")) {
        {}
      } else {
        stryCov_9fa48("867");
        brake = stryMutAct_9fa48("868") ? {} : (stryCov_9fa48("868"), {
          kind: stryMutAct_9fa48("869") ? "" : (stryCov_9fa48("869"), 'max-percent'),
          due,
          inScope,
          limit: limits.maxDeletionPercent
        });
      }
    }
    if (stryMutAct_9fa48("871") ? false : stryMutAct_9fa48("870") ? true : (stryCov_9fa48("870", "871"), brake)) {
      if (stryMutAct_9fa48("872")) {
        {}
      } else {
        stryCov_9fa48("872");
        for (const item of items) if (stryMutAct_9fa48("875") ? item.status !== 'due' : stryMutAct_9fa48("874") ? false : stryMutAct_9fa48("873") ? true : (stryCov_9fa48("873", "874", "875"), item.status === (stryMutAct_9fa48("876") ? "" : (stryCov_9fa48("876"), 'due')))) item.status = stryMutAct_9fa48("877") ? "" : (stryCov_9fa48("877"), 'braked');
      }
    }
    return stryMutAct_9fa48("878") ? {} : (stryCov_9fa48("878"), {
      items,
      due: brake ? 0 : due,
      brake
    });
  }
}