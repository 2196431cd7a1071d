/**
 * Durations as written in config (`90s`, `30m`, `2h`, `7d`, `1w`, or a combination like `1h30m`).
 * Hand-written: the grammar is five units, and `ms`-style libraries accept forms (`2 hours`, bare
 * numbers) that would make configs ambiguous.
 */
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
const UNIT_MS: Record<string, number> = stryMutAct_9fa48("611") ? {} : (stryCov_9fa48("611"), {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
});

/** Matches a whole duration string. */
export const DURATION_PATTERN = stryMutAct_9fa48("617") ? /^(?:\d+[^smhdw])+$/ : stryMutAct_9fa48("616") ? /^(?:\D+[smhdw])+$/ : stryMutAct_9fa48("615") ? /^(?:\d[smhdw])+$/ : stryMutAct_9fa48("614") ? /^(?:\d+[smhdw])$/ : stryMutAct_9fa48("613") ? /^(?:\d+[smhdw])+/ : stryMutAct_9fa48("612") ? /(?:\d+[smhdw])+$/ : (stryCov_9fa48("612", "613", "614", "615", "616", "617"), /^(?:\d+[smhdw])+$/);

/** Parses a duration to milliseconds; `undefined` when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (stryMutAct_9fa48("618")) {
    {}
  } else {
    stryCov_9fa48("618");
    if (stryMutAct_9fa48("621") ? false : stryMutAct_9fa48("620") ? true : stryMutAct_9fa48("619") ? DURATION_PATTERN.test(text) : (stryCov_9fa48("619", "620", "621"), !DURATION_PATTERN.test(text))) return undefined;
    let total = 0;
    for (const m of text.matchAll(stryMutAct_9fa48("624") ? /(\d+)([^smhdw])/g : stryMutAct_9fa48("623") ? /(\D+)([smhdw])/g : stryMutAct_9fa48("622") ? /(\d)([smhdw])/g : (stryCov_9fa48("622", "623", "624"), /(\d+)([smhdw])/g))) {
      if (stryMutAct_9fa48("625")) {
        {}
      } else {
        stryCov_9fa48("625");
        stryMutAct_9fa48("626") ? total -= Number(m[1]) * (UNIT_MS[m[2] as string] as number) : (stryCov_9fa48("626"), total += stryMutAct_9fa48("627") ? Number(m[1]) / (UNIT_MS[m[2] as string] as number) : (stryCov_9fa48("627"), Number(m[1]) * (UNIT_MS[m[2] as string] as number)));
      }
    }
    return total;
  }
}