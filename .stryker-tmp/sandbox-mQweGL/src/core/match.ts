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
import type { GitLabEvidence, Owner, StackFacts } from './model.js';
import type { OwnershipPolicy } from './policy.js';

/** Nested stacks inherit their root's tags and go with it: only roots are candidates (DESIGN §3). */
export function isRootStack(stack: StackFacts): boolean {
  if (stryMutAct_9fa48("628")) {
    {}
  } else {
    stryCov_9fa48("628");
    return stryMutAct_9fa48("631") ? stack.parentId === undefined && stack.parentId === '' : stryMutAct_9fa48("630") ? false : stryMutAct_9fa48("629") ? true : (stryCov_9fa48("629", "630", "631"), (stryMutAct_9fa48("633") ? stack.parentId !== undefined : stryMutAct_9fa48("632") ? false : (stryCov_9fa48("632", "633"), stack.parentId === undefined)) || (stryMutAct_9fa48("635") ? stack.parentId !== '' : stryMutAct_9fa48("634") ? false : (stryCov_9fa48("634", "635"), stack.parentId === (stryMutAct_9fa48("636") ? "Stryker was here!" : (stryCov_9fa48("636"), '')))));
  }
}
function parseIid(value: string | undefined): number | undefined {
  if (stryMutAct_9fa48("637")) {
    {}
  } else {
    stryCov_9fa48("637");
    if (stryMutAct_9fa48("640") ? value === undefined && !/^\d+$/.test(value) : stryMutAct_9fa48("639") ? false : stryMutAct_9fa48("638") ? true : (stryCov_9fa48("638", "639", "640"), (stryMutAct_9fa48("642") ? value !== undefined : stryMutAct_9fa48("641") ? false : (stryCov_9fa48("641", "642"), value === undefined)) || (stryMutAct_9fa48("643") ? /^\d+$/.test(value) : (stryCov_9fa48("643"), !(stryMutAct_9fa48("647") ? /^\D+$/ : stryMutAct_9fa48("646") ? /^\d$/ : stryMutAct_9fa48("645") ? /^\d+/ : stryMutAct_9fa48("644") ? /\d+$/ : (stryCov_9fa48("644", "645", "646", "647"), /^\d+$/)).test(value))))) return undefined;
    return Number(value);
  }
}
function nonEmpty(value: string | undefined): string | undefined {
  if (stryMutAct_9fa48("648")) {
    {}
  } else {
    stryCov_9fa48("648");
    return (stryMutAct_9fa48("651") ? value === undefined && value.trim() === '' : stryMutAct_9fa48("650") ? false : stryMutAct_9fa48("649") ? true : (stryCov_9fa48("649", "650", "651"), (stryMutAct_9fa48("653") ? value !== undefined : stryMutAct_9fa48("652") ? false : (stryCov_9fa48("652", "653"), value === undefined)) || (stryMutAct_9fa48("655") ? value.trim() !== '' : stryMutAct_9fa48("654") ? false : (stryCov_9fa48("654", "655"), (stryMutAct_9fa48("656") ? value : (stryCov_9fa48("656"), value.trim())) === (stryMutAct_9fa48("657") ? "Stryker was here!" : (stryCov_9fa48("657"), '')))))) ? undefined : stryMutAct_9fa48("658") ? value : (stryCov_9fa48("658"), value.trim());
  }
}
function fromTags(stack: StackFacts, ownership: OwnershipPolicy): Owner | undefined {
  if (stryMutAct_9fa48("659")) {
    {}
  } else {
    stryCov_9fa48("659");
    const t = ownership.tags;
    const tag = stryMutAct_9fa48("660") ? () => undefined : (stryCov_9fa48("660"), (() => {
      const tag = (key: string) => nonEmpty(stack.tags[key]);
      return tag;
    })());
    const projectIdText = tag(t.projectId);
    const projectPath = tag(t.projectPath);
    const ref = tag(t.ref);
    const refSlug = tag(t.refSlug);
    const environment = tag(t.environment);
    // Any ownership tag brings the stack in scope; without a project it is in scope but unresolvable.
    if (stryMutAct_9fa48("663") ? !projectIdText && !projectPath && !ref && !refSlug || !environment : stryMutAct_9fa48("662") ? false : stryMutAct_9fa48("661") ? true : (stryCov_9fa48("661", "662", "663"), (stryMutAct_9fa48("665") ? !projectIdText && !projectPath && !ref || !refSlug : stryMutAct_9fa48("664") ? true : (stryCov_9fa48("664", "665"), (stryMutAct_9fa48("667") ? !projectIdText && !projectPath || !ref : stryMutAct_9fa48("666") ? true : (stryCov_9fa48("666", "667"), (stryMutAct_9fa48("669") ? !projectIdText || !projectPath : stryMutAct_9fa48("668") ? true : (stryCov_9fa48("668", "669"), (stryMutAct_9fa48("670") ? projectIdText : (stryCov_9fa48("670"), !projectIdText)) && (stryMutAct_9fa48("671") ? projectPath : (stryCov_9fa48("671"), !projectPath)))) && (stryMutAct_9fa48("672") ? ref : (stryCov_9fa48("672"), !ref)))) && (stryMutAct_9fa48("673") ? refSlug : (stryCov_9fa48("673"), !refSlug)))) && (stryMutAct_9fa48("674") ? environment : (stryCov_9fa48("674"), !environment)))) return undefined;
    const projectId = parseIid(projectIdText);
    const owner: Owner = stryMutAct_9fa48("675") ? {} : (stryCov_9fa48("675"), {
      matchedBy: stryMutAct_9fa48("676") ? "" : (stryCov_9fa48("676"), 'tags')
    });
    if (stryMutAct_9fa48("679") ? projectId === undefined : stryMutAct_9fa48("678") ? false : stryMutAct_9fa48("677") ? true : (stryCov_9fa48("677", "678", "679"), projectId !== undefined)) owner.projectId = projectId;
    if (stryMutAct_9fa48("681") ? false : stryMutAct_9fa48("680") ? true : (stryCov_9fa48("680", "681"), projectPath)) owner.projectPath = projectPath;
    if (stryMutAct_9fa48("683") ? false : stryMutAct_9fa48("682") ? true : (stryCov_9fa48("682", "683"), ref)) owner.ref = ref;
    if (stryMutAct_9fa48("685") ? false : stryMutAct_9fa48("684") ? true : (stryCov_9fa48("684", "685"), refSlug)) owner.refSlug = refSlug;
    if (stryMutAct_9fa48("687") ? false : stryMutAct_9fa48("686") ? true : (stryCov_9fa48("686", "687"), environment)) owner.environment = environment;
    const environmentSlug = tag(t.environmentSlug);
    if (stryMutAct_9fa48("689") ? false : stryMutAct_9fa48("688") ? true : (stryCov_9fa48("688", "689"), environmentSlug)) owner.environmentSlug = environmentSlug;
    const mrIid = parseIid(tag(t.mrIid));
    if (stryMutAct_9fa48("692") ? mrIid === undefined : stryMutAct_9fa48("691") ? false : stryMutAct_9fa48("690") ? true : (stryCov_9fa48("690", "691", "692"), mrIid !== undefined)) owner.mrIid = mrIid;
    if (stryMutAct_9fa48("695") ? owner.projectId === undefined || owner.projectPath === undefined : stryMutAct_9fa48("694") ? false : stryMutAct_9fa48("693") ? true : (stryCov_9fa48("693", "694", "695"), (stryMutAct_9fa48("697") ? owner.projectId !== undefined : stryMutAct_9fa48("696") ? true : (stryCov_9fa48("696", "697"), owner.projectId === undefined)) && (stryMutAct_9fa48("699") ? owner.projectPath !== undefined : stryMutAct_9fa48("698") ? true : (stryCov_9fa48("698", "699"), owner.projectPath === undefined)))) owner.unresolved = stryMutAct_9fa48("700") ? false : (stryCov_9fa48("700"), true);
    return owner;
  }
}
function fromName(stack: StackFacts, ownership: OwnershipPolicy): Owner | undefined {
  if (stryMutAct_9fa48("701")) {
    {}
  } else {
    stryCov_9fa48("701");
    for (const {
      pattern
    } of ownership.stackNamePatterns) {
      if (stryMutAct_9fa48("702")) {
        {}
      } else {
        stryCov_9fa48("702");
        const groups = stryMutAct_9fa48("703") ? new RegExp(pattern).exec(stack.name).groups : (stryCov_9fa48("703"), new RegExp(pattern).exec(stack.name)?.groups);
        if (stryMutAct_9fa48("706") ? false : stryMutAct_9fa48("705") ? true : stryMutAct_9fa48("704") ? groups : (stryCov_9fa48("704", "705", "706"), !groups)) continue;
        const owner: Owner = stryMutAct_9fa48("707") ? {} : (stryCov_9fa48("707"), {
          matchedBy: stryMutAct_9fa48("708") ? "" : (stryCov_9fa48("708"), 'name-pattern')
        });
        const projectId = parseIid(groups.projectId);
        if (stryMutAct_9fa48("711") ? projectId === undefined : stryMutAct_9fa48("710") ? false : stryMutAct_9fa48("709") ? true : (stryCov_9fa48("709", "710", "711"), projectId !== undefined)) owner.projectId = projectId;
        if (stryMutAct_9fa48("714") ? groups.project !== undefined || owner.projectId === undefined : stryMutAct_9fa48("713") ? false : stryMutAct_9fa48("712") ? true : (stryCov_9fa48("712", "713", "714"), (stryMutAct_9fa48("716") ? groups.project === undefined : stryMutAct_9fa48("715") ? true : (stryCov_9fa48("715", "716"), groups.project !== undefined)) && (stryMutAct_9fa48("718") ? owner.projectId !== undefined : stryMutAct_9fa48("717") ? true : (stryCov_9fa48("717", "718"), owner.projectId === undefined)))) {
          if (stryMutAct_9fa48("719")) {
            {}
          } else {
            stryCov_9fa48("719");
            const mapped = ownership.projects[groups.project];
            if (stryMutAct_9fa48("722") ? typeof mapped !== 'number' : stryMutAct_9fa48("721") ? false : stryMutAct_9fa48("720") ? true : (stryCov_9fa48("720", "721", "722"), typeof mapped === (stryMutAct_9fa48("723") ? "" : (stryCov_9fa48("723"), 'number')))) owner.projectId = mapped;else if (stryMutAct_9fa48("726") ? typeof mapped !== 'string' : stryMutAct_9fa48("725") ? false : stryMutAct_9fa48("724") ? true : (stryCov_9fa48("724", "725", "726"), typeof mapped === (stryMutAct_9fa48("727") ? "" : (stryCov_9fa48("727"), 'string')))) owner.projectPath = mapped;
          }
        }
        if (stryMutAct_9fa48("729") ? false : stryMutAct_9fa48("728") ? true : (stryCov_9fa48("728", "729"), nonEmpty(groups.ref))) owner.ref = groups.ref;
        if (stryMutAct_9fa48("731") ? false : stryMutAct_9fa48("730") ? true : (stryCov_9fa48("730", "731"), nonEmpty(groups.refSlug))) owner.refSlug = groups.refSlug;
        if (stryMutAct_9fa48("733") ? false : stryMutAct_9fa48("732") ? true : (stryCov_9fa48("732", "733"), nonEmpty(groups.environmentSlug))) owner.environmentSlug = groups.environmentSlug;
        if (stryMutAct_9fa48("736") ? owner.projectId === undefined || owner.projectPath === undefined : stryMutAct_9fa48("735") ? false : stryMutAct_9fa48("734") ? true : (stryCov_9fa48("734", "735", "736"), (stryMutAct_9fa48("738") ? owner.projectId !== undefined : stryMutAct_9fa48("737") ? true : (stryCov_9fa48("737", "738"), owner.projectId === undefined)) && (stryMutAct_9fa48("740") ? owner.projectPath !== undefined : stryMutAct_9fa48("739") ? true : (stryCov_9fa48("739", "740"), owner.projectPath === undefined)))) owner.unresolved = stryMutAct_9fa48("741") ? false : (stryCov_9fa48("741"), true);
        return owner;
      }
    }
    return undefined;
  }
}

/**
 * Ties a stack to its GitLab owner: tags first (they survive renames), then name patterns.
 * `undefined` means the stack is out of scope (`unmanaged`) and is never touched.
 */
export function matchOwner(stack: StackFacts, ownership: OwnershipPolicy): Owner | undefined {
  if (stryMutAct_9fa48("742")) {
    {}
  } else {
    stryCov_9fa48("742");
    if (stryMutAct_9fa48("745") ? false : stryMutAct_9fa48("744") ? true : stryMutAct_9fa48("743") ? isRootStack(stack) : (stryCov_9fa48("743", "744", "745"), !isRootStack(stack))) return undefined;
    return stryMutAct_9fa48("746") ? fromTags(stack, ownership) && fromName(stack, ownership) : (stryCov_9fa48("746"), fromTags(stack, ownership) ?? fromName(stack, ownership));
  }
}

/**
 * The MR a stack's notes go to: the tagged one, else the latest merged MR from its ref, else the latest
 * closed one, else an open one.
 */
export function mergeRequestFor(owner: Owner, gitlab: GitLabEvidence): number | undefined {
  if (stryMutAct_9fa48("747")) {
    {}
  } else {
    stryCov_9fa48("747");
    if (stryMutAct_9fa48("750") ? owner.mrIid === undefined : stryMutAct_9fa48("749") ? false : stryMutAct_9fa48("748") ? true : (stryCov_9fa48("748", "749", "750"), owner.mrIid !== undefined)) return owner.mrIid;
    const mrs = (stryMutAct_9fa48("751") ? gitlab.mergeRequests.ok : (stryCov_9fa48("751"), gitlab.mergeRequests?.ok)) ? gitlab.mergeRequests.value : stryMutAct_9fa48("752") ? ["Stryker was here"] : (stryCov_9fa48("752"), []);
    const latest = stryMutAct_9fa48("753") ? () => undefined : (stryCov_9fa48("753"), (() => {
      const latest = (state: string) => stryMutAct_9fa48("755") ? mrs.sort((a, b) => b.iid - a.iid)[0] : stryMutAct_9fa48("754") ? mrs.filter(m => m.state === state)[0] : (stryCov_9fa48("754", "755"), mrs.filter(stryMutAct_9fa48("756") ? () => undefined : (stryCov_9fa48("756"), m => stryMutAct_9fa48("759") ? m.state !== state : stryMutAct_9fa48("758") ? false : stryMutAct_9fa48("757") ? true : (stryCov_9fa48("757", "758", "759"), m.state === state))).sort(stryMutAct_9fa48("760") ? () => undefined : (stryCov_9fa48("760"), (a, b) => stryMutAct_9fa48("761") ? b.iid + a.iid : (stryCov_9fa48("761"), b.iid - a.iid)))[0]);
      return latest;
    })());
    return stryMutAct_9fa48("762") ? (latest('merged') ?? latest('closed') ?? latest('opened')).iid : (stryCov_9fa48("762"), (stryMutAct_9fa48("763") ? (latest('merged') ?? latest('closed')) && latest('opened') : (stryCov_9fa48("763"), (stryMutAct_9fa48("764") ? latest('merged') && latest('closed') : (stryCov_9fa48("764"), latest(stryMutAct_9fa48("765") ? "" : (stryCov_9fa48("765"), 'merged')) ?? latest(stryMutAct_9fa48("766") ? "" : (stryCov_9fa48("766"), 'closed')))) ?? latest(stryMutAct_9fa48("767") ? "" : (stryCov_9fa48("767"), 'opened'))))?.iid);
  }
}