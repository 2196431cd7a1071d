/**
 * Exact ports of GitLab's slug algorithms (reference/gitlab-api-notes.md §1).
 * The `u` flag matters: Ruby's gsub works per code point, so an emoji becomes one dash, not two.
 */
// @ts-nocheck


/**
 * `CI_COMMIT_REF_SLUG`: lowercase, every char outside `[a-z0-9]` to `-`, first 63 chars, then trim dashes.
 * Repeated dashes are kept (`feature//x` → `feature--x`).
 */function stryNS_9fa48() {
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
export function refSlug(ref: string): string {
  if (stryMutAct_9fa48("884")) {
    {}
  } else {
    stryCov_9fa48("884");
    return stryMutAct_9fa48("886") ? ref.toUpperCase().replace(/[^a-z0-9]/gu, '-').slice(0, 63).replace(/^-+|-+$/g, '') : stryMutAct_9fa48("885") ? ref.toLowerCase().replace(/[^a-z0-9]/gu, '-').replace(/^-+|-+$/g, '') : (stryCov_9fa48("885", "886"), ref.toLowerCase().replace(stryMutAct_9fa48("887") ? /[a-z0-9]/gu : (stryCov_9fa48("887"), /[^a-z0-9]/gu), stryMutAct_9fa48("888") ? "" : (stryCov_9fa48("888"), '-')).slice(0, 63).replace(stryMutAct_9fa48("892") ? /^-+|-$/g : stryMutAct_9fa48("891") ? /^-+|-+/g : stryMutAct_9fa48("890") ? /^-|-+$/g : stryMutAct_9fa48("889") ? /-+|-+$/g : (stryCov_9fa48("889", "890", "891", "892"), /^-+|-+$/g), stryMutAct_9fa48("893") ? "Stryker was here!" : (stryCov_9fa48("893"), '')));
  }
}

/**
 * `CI_ENVIRONMENT_SLUG` as GitLab has generated it since gitlab-foss!30551. The caller passes the SHA-256
 * hex digest of the name, so this module stays free of `node:crypto`. Older environments carry random
 * suffixes: never use this to find a branch, read `slug` from the API instead.
 */
export function environmentSlug(name: string, sha256Hex: string): string {
  if (stryMutAct_9fa48("894")) {
    {}
  } else {
    stryCov_9fa48("894");
    let slugified = stryMutAct_9fa48("895") ? name.toUpperCase().replace(/[^a-z0-9]/gu, '-') : (stryCov_9fa48("895"), name.toLowerCase().replace(stryMutAct_9fa48("896") ? /[a-z0-9]/gu : (stryCov_9fa48("896"), /[^a-z0-9]/gu), stryMutAct_9fa48("897") ? "" : (stryCov_9fa48("897"), '-')));
    if (stryMutAct_9fa48("900") ? false : stryMutAct_9fa48("899") ? true : stryMutAct_9fa48("898") ? /^[a-z]/.test(slugified) : (stryCov_9fa48("898", "899", "900"), !(stryMutAct_9fa48("902") ? /^[^a-z]/ : stryMutAct_9fa48("901") ? /[a-z]/ : (stryCov_9fa48("901", "902"), /^[a-z]/)).test(slugified))) slugified = stryMutAct_9fa48("903") ? `` : (stryCov_9fa48("903"), `env-${slugified}`);
    slugified = slugified.replace(stryMutAct_9fa48("904") ? /-/g : (stryCov_9fa48("904"), /-{2,}/g), stryMutAct_9fa48("905") ? "" : (stryCov_9fa48("905"), '-'));
    if (stryMutAct_9fa48("908") ? slugified.length > 24 && slugified !== name : stryMutAct_9fa48("907") ? false : stryMutAct_9fa48("906") ? true : (stryCov_9fa48("906", "907", "908"), (stryMutAct_9fa48("911") ? slugified.length <= 24 : stryMutAct_9fa48("910") ? slugified.length >= 24 : stryMutAct_9fa48("909") ? false : (stryCov_9fa48("909", "910", "911"), slugified.length > 24)) || (stryMutAct_9fa48("913") ? slugified === name : stryMutAct_9fa48("912") ? false : (stryCov_9fa48("912", "913"), slugified !== name)))) {
      if (stryMutAct_9fa48("914")) {
        {}
      } else {
        stryCov_9fa48("914");
        let slug = stryMutAct_9fa48("915") ? slugified : (stryCov_9fa48("915"), slugified.slice(0, 17));
        if (stryMutAct_9fa48("918") ? false : stryMutAct_9fa48("917") ? true : stryMutAct_9fa48("916") ? slug.endsWith('-') : (stryCov_9fa48("916", "917", "918"), !(stryMutAct_9fa48("919") ? slug.startsWith('-') : (stryCov_9fa48("919"), slug.endsWith(stryMutAct_9fa48("920") ? "" : (stryCov_9fa48("920"), '-')))))) slug += stryMutAct_9fa48("921") ? "" : (stryCov_9fa48("921"), '-');
        return stryMutAct_9fa48("922") ? slug - BigInt(`0x${sha256Hex}`).toString(36).slice(-6) : (stryCov_9fa48("922"), slug + (stryMutAct_9fa48("923") ? BigInt(`0x${sha256Hex}`).toString(36) : (stryCov_9fa48("923"), BigInt(stryMutAct_9fa48("924") ? `` : (stryCov_9fa48("924"), `0x${sha256Hex}`)).toString(36).slice(stryMutAct_9fa48("925") ? +6 : (stryCov_9fa48("925"), -6)))));
      }
    }
    return slugified.replace(stryMutAct_9fa48("926") ? /-/ : (stryCov_9fa48("926"), /-$/), stryMutAct_9fa48("927") ? "Stryker was here!" : (stryCov_9fa48("927"), ''));
  }
}