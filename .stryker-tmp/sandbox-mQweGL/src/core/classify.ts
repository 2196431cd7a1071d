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
import { type BranchFacts, type Classification, DELETABLE_VERDICTS, type EnvironmentFacts, type Evidence, type GitLabEvidence, type MergeRequestFacts, type Owner, type ProjectFacts, type Reason, type StackSnapshot, type Verdict } from './model.js';
import { globToRegExp, type Policy } from './policy.js';
import { refSlug } from './slug.js';
const DAY_MS = 86_400_000;
function iso(ms: number): string {
  if (stryMutAct_9fa48("0")) {
    {}
  } else {
    stryCov_9fa48("0");
    return new Date(ms).toISOString();
  }
}
function ms(at: string | undefined): number | undefined {
  if (stryMutAct_9fa48("1")) {
    {}
  } else {
    stryCov_9fa48("1");
    if (stryMutAct_9fa48("4") ? at !== undefined : stryMutAct_9fa48("3") ? false : stryMutAct_9fa48("2") ? true : (stryCov_9fa48("2", "3", "4"), at === undefined)) return undefined;
    const t = Date.parse(at);
    return Number.isNaN(t) ? undefined : t;
  }
}
function latest(times: (string | undefined)[]): string | undefined {
  if (stryMutAct_9fa48("5")) {
    {}
  } else {
    stryCov_9fa48("5");
    let best: number | undefined;
    for (const t of times) {
      if (stryMutAct_9fa48("6")) {
        {}
      } else {
        stryCov_9fa48("6");
        const v = ms(t);
        if (stryMutAct_9fa48("9") ? v !== undefined || best === undefined || v > best : stryMutAct_9fa48("8") ? false : stryMutAct_9fa48("7") ? true : (stryCov_9fa48("7", "8", "9"), (stryMutAct_9fa48("11") ? v === undefined : stryMutAct_9fa48("10") ? true : (stryCov_9fa48("10", "11"), v !== undefined)) && (stryMutAct_9fa48("13") ? best === undefined && v > best : stryMutAct_9fa48("12") ? true : (stryCov_9fa48("12", "13"), (stryMutAct_9fa48("15") ? best !== undefined : stryMutAct_9fa48("14") ? false : (stryCov_9fa48("14", "15"), best === undefined)) || (stryMutAct_9fa48("18") ? v <= best : stryMutAct_9fa48("17") ? v >= best : stryMutAct_9fa48("16") ? false : (stryCov_9fa48("16", "17", "18"), v > best)))))) best = v;
      }
    }
    return (stryMutAct_9fa48("21") ? best !== undefined : stryMutAct_9fa48("20") ? false : stryMutAct_9fa48("19") ? true : (stryCov_9fa48("19", "20", "21"), best === undefined)) ? undefined : iso(best);
  }
}
function result(snapshot: StackSnapshot, verdict: Verdict, reasons: Reason[], since?: string): Classification {
  if (stryMutAct_9fa48("22")) {
    {}
  } else {
    stryCov_9fa48("22");
    const c: Classification = stryMutAct_9fa48("23") ? {} : (stryCov_9fa48("23"), {
      stackId: snapshot.stack.stackId,
      verdict,
      reasons
    });
    if (stryMutAct_9fa48("26") ? since === undefined : stryMutAct_9fa48("25") ? false : stryMutAct_9fa48("24") ? true : (stryCov_9fa48("24", "25", "26"), since !== undefined)) c.since = since;
    return c;
  }
}

/** The keep tag: `true`, or a `YYYY-MM-DD` before which the stack must not be reaped. */
function keepTagReason(value: string | undefined, now: number): Reason | undefined {
  if (stryMutAct_9fa48("27")) {
    {}
  } else {
    stryCov_9fa48("27");
    if (stryMutAct_9fa48("30") ? value !== undefined : stryMutAct_9fa48("29") ? false : stryMutAct_9fa48("28") ? true : (stryCov_9fa48("28", "29", "30"), value === undefined)) return undefined;
    const v = stryMutAct_9fa48("31") ? value : (stryCov_9fa48("31"), value.trim());
    if (stryMutAct_9fa48("33") ? false : stryMutAct_9fa48("32") ? true : (stryCov_9fa48("32", "33"), (stryMutAct_9fa48("41") ? /^\d{4}-\d{2}-\D{2}$/ : stryMutAct_9fa48("40") ? /^\d{4}-\d{2}-\d$/ : stryMutAct_9fa48("39") ? /^\d{4}-\D{2}-\d{2}$/ : stryMutAct_9fa48("38") ? /^\d{4}-\d-\d{2}$/ : stryMutAct_9fa48("37") ? /^\D{4}-\d{2}-\d{2}$/ : stryMutAct_9fa48("36") ? /^\d-\d{2}-\d{2}$/ : stryMutAct_9fa48("35") ? /^\d{4}-\d{2}-\d{2}/ : stryMutAct_9fa48("34") ? /\d{4}-\d{2}-\d{2}$/ : (stryCov_9fa48("34", "35", "36", "37", "38", "39", "40", "41"), /^\d{4}-\d{2}-\d{2}$/)).test(v))) {
      if (stryMutAct_9fa48("42")) {
        {}
      } else {
        stryCov_9fa48("42");
        const until = Date.parse(stryMutAct_9fa48("43") ? `` : (stryCov_9fa48("43"), `${v}T00:00:00Z`));
        if (stryMutAct_9fa48("45") ? false : stryMutAct_9fa48("44") ? true : (stryCov_9fa48("44", "45"), Number.isNaN(until))) return stryMutAct_9fa48("46") ? {} : (stryCov_9fa48("46"), {
          code: stryMutAct_9fa48("47") ? "" : (stryCov_9fa48("47"), 'KEEP_TAG'),
          detail: stryMutAct_9fa48("48") ? `` : (stryCov_9fa48("48"), `keep tag "${v}" is not a date: kept`)
        });
        return (stryMutAct_9fa48("52") ? until <= now : stryMutAct_9fa48("51") ? until >= now : stryMutAct_9fa48("50") ? false : stryMutAct_9fa48("49") ? true : (stryCov_9fa48("49", "50", "51", "52"), until > now)) ? stryMutAct_9fa48("53") ? {} : (stryCov_9fa48("53"), {
          code: stryMutAct_9fa48("54") ? "" : (stryCov_9fa48("54"), 'KEEP_TAG'),
          detail: stryMutAct_9fa48("55") ? `` : (stryCov_9fa48("55"), `keep tag until ${v}`),
          at: iso(until)
        }) : stryMutAct_9fa48("56") ? {} : (stryCov_9fa48("56"), {
          code: stryMutAct_9fa48("57") ? "" : (stryCov_9fa48("57"), 'KEEP_TAG_EXPIRED'),
          detail: stryMutAct_9fa48("58") ? `` : (stryCov_9fa48("58"), `keep tag expired on ${v}`),
          at: iso(until)
        });
      }
    }
    if (stryMutAct_9fa48("61") ? v.toLowerCase() !== 'false' : stryMutAct_9fa48("60") ? false : stryMutAct_9fa48("59") ? true : (stryCov_9fa48("59", "60", "61"), (stryMutAct_9fa48("62") ? v.toUpperCase() : (stryCov_9fa48("62"), v.toLowerCase())) === (stryMutAct_9fa48("63") ? "" : (stryCov_9fa48("63"), 'false')))) return undefined;
    // `true`, or anything else a human wrote there: when in doubt, keep.
    return stryMutAct_9fa48("64") ? {} : (stryCov_9fa48("64"), {
      code: stryMutAct_9fa48("65") ? "" : (stryCov_9fa48("65"), 'KEEP_TAG'),
      detail: (stryMutAct_9fa48("68") ? v.toLowerCase() !== 'true' : stryMutAct_9fa48("67") ? false : stryMutAct_9fa48("66") ? true : (stryCov_9fa48("66", "67", "68"), (stryMutAct_9fa48("69") ? v.toUpperCase() : (stryCov_9fa48("69"), v.toLowerCase())) === (stryMutAct_9fa48("70") ? "" : (stryCov_9fa48("70"), 'true')))) ? stryMutAct_9fa48("71") ? "" : (stryCov_9fa48("71"), 'keep tag') : stryMutAct_9fa48("72") ? `` : (stryCov_9fa48("72"), `keep tag "${v}": kept`)
    });
  }
}

/** Is this branch name one the stack may belong to? Exact ref if known, else every branch of the slug. */
function refMatcher(owner: Owner, gitlab: GitLabEvidence): ((name: string) => boolean) | undefined {
  if (stryMutAct_9fa48("73")) {
    {}
  } else {
    stryCov_9fa48("73");
    if (stryMutAct_9fa48("76") ? owner.ref === undefined : stryMutAct_9fa48("75") ? false : stryMutAct_9fa48("74") ? true : (stryCov_9fa48("74", "75", "76"), owner.ref !== undefined)) {
      if (stryMutAct_9fa48("77")) {
        {}
      } else {
        stryCov_9fa48("77");
        const ref = owner.ref;
        return stryMutAct_9fa48("78") ? () => undefined : (stryCov_9fa48("78"), name => stryMutAct_9fa48("81") ? name !== ref : stryMutAct_9fa48("80") ? false : stryMutAct_9fa48("79") ? true : (stryCov_9fa48("79", "80", "81"), name === ref));
      }
    }
    if (stryMutAct_9fa48("84") ? owner.refSlug === undefined : stryMutAct_9fa48("83") ? false : stryMutAct_9fa48("82") ? true : (stryCov_9fa48("82", "83", "84"), owner.refSlug !== undefined)) {
      if (stryMutAct_9fa48("85")) {
        {}
      } else {
        stryCov_9fa48("85");
        const slug = owner.refSlug;
        return stryMutAct_9fa48("86") ? () => undefined : (stryCov_9fa48("86"), name => stryMutAct_9fa48("89") ? refSlug(name) !== slug : stryMutAct_9fa48("88") ? false : stryMutAct_9fa48("87") ? true : (stryCov_9fa48("87", "88", "89"), refSlug(name) === slug));
      }
    }
    const deployed = stryMutAct_9fa48("90") ? value(gitlab.environment)?.lastDeploymentRef && value(gitlab.taggedMergeRequest)?.sourceBranch : (stryCov_9fa48("90"), (stryMutAct_9fa48("91") ? value(gitlab.environment).lastDeploymentRef : (stryCov_9fa48("91"), value(gitlab.environment)?.lastDeploymentRef)) ?? (stryMutAct_9fa48("92") ? value(gitlab.taggedMergeRequest).sourceBranch : (stryCov_9fa48("92"), value(gitlab.taggedMergeRequest)?.sourceBranch)));
    if (stryMutAct_9fa48("95") ? deployed === undefined : stryMutAct_9fa48("94") ? false : stryMutAct_9fa48("93") ? true : (stryCov_9fa48("93", "94", "95"), deployed !== undefined)) return stryMutAct_9fa48("96") ? () => undefined : (stryCov_9fa48("96"), name => stryMutAct_9fa48("99") ? name !== deployed : stryMutAct_9fa48("98") ? false : stryMutAct_9fa48("97") ? true : (stryCov_9fa48("97", "98", "99"), name === deployed));
    return undefined;
  }
}
function value<T>(e: Evidence<T> | undefined): T | undefined {
  if (stryMutAct_9fa48("100")) {
    {}
  } else {
    stryCov_9fa48("100");
    return (stryMutAct_9fa48("101") ? e.ok : (stryCov_9fa48("101"), e?.ok)) ? e.value : undefined;
  }
}
function protectedReasons(snapshot: StackSnapshot, policy: Policy, now: number): Reason[] {
  if (stryMutAct_9fa48("102")) {
    {}
  } else {
    stryCov_9fa48("102");
    const {
      stack,
      owner,
      gitlab
    } = snapshot;
    const reasons: Reason[] = stryMutAct_9fa48("103") ? ["Stryker was here"] : (stryCov_9fa48("103"), []);
    const keep = keepTagReason(stack.tags[policy.ownership.tags.keep], now);
    if (stryMutAct_9fa48("106") ? keep?.code !== 'KEEP_TAG' : stryMutAct_9fa48("105") ? false : stryMutAct_9fa48("104") ? true : (stryCov_9fa48("104", "105", "106"), (stryMutAct_9fa48("107") ? keep.code : (stryCov_9fa48("107"), keep?.code)) === (stryMutAct_9fa48("108") ? "" : (stryCov_9fa48("108"), 'KEEP_TAG')))) reasons.push(keep);
    const kept = ms(snapshot.keptUntil);
    if (stryMutAct_9fa48("111") ? kept !== undefined || kept > now : stryMutAct_9fa48("110") ? false : stryMutAct_9fa48("109") ? true : (stryCov_9fa48("109", "110", "111"), (stryMutAct_9fa48("113") ? kept === undefined : stryMutAct_9fa48("112") ? true : (stryCov_9fa48("112", "113"), kept !== undefined)) && (stryMutAct_9fa48("116") ? kept <= now : stryMutAct_9fa48("115") ? kept >= now : stryMutAct_9fa48("114") ? true : (stryCov_9fa48("114", "115", "116"), kept > now)))) {
      if (stryMutAct_9fa48("117")) {
        {}
      } else {
        stryCov_9fa48("117");
        reasons.push(stryMutAct_9fa48("118") ? {} : (stryCov_9fa48("118"), {
          code: stryMutAct_9fa48("119") ? "" : (stryCov_9fa48("119"), 'DASHBOARD_KEEP'),
          detail: stryMutAct_9fa48("120") ? `` : (stryCov_9fa48("120"), `kept from the dashboard issue until ${snapshot.keptUntil}`),
          at: snapshot.keptUntil as string
        }));
      }
    }
    if (stryMutAct_9fa48("122") ? false : stryMutAct_9fa48("121") ? true : (stryCov_9fa48("121", "122"), stack.terminationProtection)) {
      if (stryMutAct_9fa48("123")) {
        {}
      } else {
        stryCov_9fa48("123");
        reasons.push(stryMutAct_9fa48("124") ? {} : (stryCov_9fa48("124"), {
          code: stryMutAct_9fa48("125") ? "" : (stryCov_9fa48("125"), 'TERMINATION_PROTECTION'),
          detail: stryMutAct_9fa48("126") ? "" : (stryCov_9fa48("126"), 'termination protection is enabled')
        }));
      }
    }
    const byName = policy.protect.stackNames.find(stryMutAct_9fa48("127") ? () => undefined : (stryCov_9fa48("127"), p => new RegExp(p).test(stack.name)));
    if (stryMutAct_9fa48("130") ? byName === undefined : stryMutAct_9fa48("129") ? false : stryMutAct_9fa48("128") ? true : (stryCov_9fa48("128", "129", "130"), byName !== undefined)) {
      if (stryMutAct_9fa48("131")) {
        {}
      } else {
        stryCov_9fa48("131");
        reasons.push(stryMutAct_9fa48("132") ? {} : (stryCov_9fa48("132"), {
          code: stryMutAct_9fa48("133") ? "" : (stryCov_9fa48("133"), 'PROTECTED_STACK_NAME'),
          detail: stryMutAct_9fa48("134") ? `` : (stryCov_9fa48("134"), `stack name matches protect.stackNames /${byName}/`)
        }));
      }
    }
    // An unresolved owner has no project: GitLab facts, if any, are not about this stack.
    if (stryMutAct_9fa48("137") ? !owner && owner.unresolved : stryMutAct_9fa48("136") ? false : stryMutAct_9fa48("135") ? true : (stryCov_9fa48("135", "136", "137"), (stryMutAct_9fa48("138") ? owner : (stryCov_9fa48("138"), !owner)) || owner.unresolved)) return reasons;
    const env = value(gitlab.environment);
    const matches = refMatcher(owner, gitlab);
    const project = value(gitlab.project);
    if (stryMutAct_9fa48("141") ? matches && project?.defaultBranch !== undefined || matches(project.defaultBranch) : stryMutAct_9fa48("140") ? false : stryMutAct_9fa48("139") ? true : (stryCov_9fa48("139", "140", "141"), (stryMutAct_9fa48("143") ? matches || project?.defaultBranch !== undefined : stryMutAct_9fa48("142") ? true : (stryCov_9fa48("142", "143"), matches && (stryMutAct_9fa48("145") ? project?.defaultBranch === undefined : stryMutAct_9fa48("144") ? true : (stryCov_9fa48("144", "145"), (stryMutAct_9fa48("146") ? project.defaultBranch : (stryCov_9fa48("146"), project?.defaultBranch)) !== undefined)))) && matches(project.defaultBranch))) {
      if (stryMutAct_9fa48("147")) {
        {}
      } else {
        stryCov_9fa48("147");
        reasons.push(stryMutAct_9fa48("148") ? {} : (stryCov_9fa48("148"), {
          code: stryMutAct_9fa48("149") ? "" : (stryCov_9fa48("149"), 'DEFAULT_BRANCH'),
          detail: stryMutAct_9fa48("150") ? `` : (stryCov_9fa48("150"), `${project.defaultBranch} is the default branch`)
        }));
      }
    }
    const branches = stryMutAct_9fa48("151") ? value(gitlab.branches) && [] : (stryCov_9fa48("151"), value(gitlab.branches) ?? (stryMutAct_9fa48("152") ? ["Stryker was here"] : (stryCov_9fa48("152"), [])));
    const protectedBranch = matches ? branches.find(stryMutAct_9fa48("153") ? () => undefined : (stryCov_9fa48("153"), b => stryMutAct_9fa48("156") ? matches(b.name) || b.protected : stryMutAct_9fa48("155") ? false : stryMutAct_9fa48("154") ? true : (stryCov_9fa48("154", "155", "156"), matches(b.name) && b.protected))) : undefined;
    if (stryMutAct_9fa48("158") ? false : stryMutAct_9fa48("157") ? true : (stryCov_9fa48("157", "158"), protectedBranch)) {
      if (stryMutAct_9fa48("159")) {
        {}
      } else {
        stryCov_9fa48("159");
        reasons.push(stryMutAct_9fa48("160") ? {} : (stryCov_9fa48("160"), {
          code: stryMutAct_9fa48("161") ? "" : (stryCov_9fa48("161"), 'PROTECTED_BRANCH'),
          detail: stryMutAct_9fa48("162") ? `` : (stryCov_9fa48("162"), `${protectedBranch.name} is a protected branch`)
        }));
      }
    } else {
      if (stryMutAct_9fa48("163")) {
        {}
      } else {
        stryCov_9fa48("163");
        const names = stryMutAct_9fa48("164") ? [] : (stryCov_9fa48("164"), [owner.ref, ...(stryMutAct_9fa48("165") ? branches.map(b => b.name) : (stryCov_9fa48("165"), branches.filter(stryMutAct_9fa48("166") ? () => undefined : (stryCov_9fa48("166"), b => stryMutAct_9fa48("167") ? matches(b.name) : (stryCov_9fa48("167"), matches?.(b.name)))).map(stryMutAct_9fa48("168") ? () => undefined : (stryCov_9fa48("168"), b => b.name))))]);
        const globs = policy.protect.branches;
        const hit = names.find(stryMutAct_9fa48("169") ? () => undefined : (stryCov_9fa48("169"), n => stryMutAct_9fa48("172") ? n !== undefined || globs.some(g => globToRegExp(g).test(n)) : stryMutAct_9fa48("171") ? false : stryMutAct_9fa48("170") ? true : (stryCov_9fa48("170", "171", "172"), (stryMutAct_9fa48("174") ? n === undefined : stryMutAct_9fa48("173") ? true : (stryCov_9fa48("173", "174"), n !== undefined)) && (stryMutAct_9fa48("175") ? globs.every(g => globToRegExp(g).test(n)) : (stryCov_9fa48("175"), globs.some(stryMutAct_9fa48("176") ? () => undefined : (stryCov_9fa48("176"), g => globToRegExp(g).test(n))))))));
        if (stryMutAct_9fa48("179") ? hit === undefined : stryMutAct_9fa48("178") ? false : stryMutAct_9fa48("177") ? true : (stryCov_9fa48("177", "178", "179"), hit !== undefined)) {
          if (stryMutAct_9fa48("180")) {
            {}
          } else {
            stryCov_9fa48("180");
            reasons.push(stryMutAct_9fa48("181") ? {} : (stryCov_9fa48("181"), {
              code: stryMutAct_9fa48("182") ? "" : (stryCov_9fa48("182"), 'PROTECTED_BRANCH'),
              detail: stryMutAct_9fa48("183") ? `` : (stryCov_9fa48("183"), `${hit} matches protect.branches`)
            }));
          }
        }
      }
    }
    const labelled = matches ? (stryMutAct_9fa48("184") ? value(gitlab.mergeRequests) && [] : (stryCov_9fa48("184"), value(gitlab.mergeRequests) ?? (stryMutAct_9fa48("185") ? ["Stryker was here"] : (stryCov_9fa48("185"), [])))).find(stryMutAct_9fa48("186") ? () => undefined : (stryCov_9fa48("186"), m => stryMutAct_9fa48("189") ? matches(m.sourceBranch) || (m.labels ?? []).some(l => policy.protect.mrLabels.includes(l)) : stryMutAct_9fa48("188") ? false : stryMutAct_9fa48("187") ? true : (stryCov_9fa48("187", "188", "189"), matches(m.sourceBranch) && (stryMutAct_9fa48("190") ? (m.labels ?? []).every(l => policy.protect.mrLabels.includes(l)) : (stryCov_9fa48("190"), (stryMutAct_9fa48("191") ? m.labels && [] : (stryCov_9fa48("191"), m.labels ?? (stryMutAct_9fa48("192") ? ["Stryker was here"] : (stryCov_9fa48("192"), [])))).some(stryMutAct_9fa48("193") ? () => undefined : (stryCov_9fa48("193"), l => policy.protect.mrLabels.includes(l)))))))) : undefined;
    if (stryMutAct_9fa48("195") ? false : stryMutAct_9fa48("194") ? true : (stryCov_9fa48("194", "195"), labelled)) {
      if (stryMutAct_9fa48("196")) {
        {}
      } else {
        stryCov_9fa48("196");
        reasons.push(stryMutAct_9fa48("197") ? {} : (stryCov_9fa48("197"), {
          code: stryMutAct_9fa48("198") ? "" : (stryCov_9fa48("198"), 'MR_KEEP_LABEL'),
          detail: stryMutAct_9fa48("199") ? `` : (stryCov_9fa48("199"), `!${labelled.iid} carries a keep label (${policy.protect.mrLabels.join(stryMutAct_9fa48("200") ? "" : (stryCov_9fa48("200"), ', '))})`)
        }));
      }
    }
    if (stryMutAct_9fa48("203") ? env?.tier !== undefined || policy.protect.tiers.includes(env.tier) : stryMutAct_9fa48("202") ? false : stryMutAct_9fa48("201") ? true : (stryCov_9fa48("201", "202", "203"), (stryMutAct_9fa48("205") ? env?.tier === undefined : stryMutAct_9fa48("204") ? true : (stryCov_9fa48("204", "205"), (stryMutAct_9fa48("206") ? env.tier : (stryCov_9fa48("206"), env?.tier)) !== undefined)) && policy.protect.tiers.includes(env.tier))) {
      if (stryMutAct_9fa48("207")) {
        {}
      } else {
        stryCov_9fa48("207");
        reasons.push(stryMutAct_9fa48("208") ? {} : (stryCov_9fa48("208"), {
          code: stryMutAct_9fa48("209") ? "" : (stryCov_9fa48("209"), 'PROTECTED_TIER'),
          detail: stryMutAct_9fa48("210") ? `` : (stryCov_9fa48("210"), `environment ${env.name} has tier ${env.tier}`)
        }));
      }
    }
    return reasons;
  }
}
function gitlabError(what: string, e: Evidence<unknown> | undefined): Reason | undefined {
  if (stryMutAct_9fa48("211")) {
    {}
  } else {
    stryCov_9fa48("211");
    if (stryMutAct_9fa48("214") ? e !== undefined : stryMutAct_9fa48("213") ? false : stryMutAct_9fa48("212") ? true : (stryCov_9fa48("212", "213", "214"), e === undefined)) return stryMutAct_9fa48("215") ? {} : (stryCov_9fa48("215"), {
      code: stryMutAct_9fa48("216") ? "" : (stryCov_9fa48("216"), 'GITLAB_ERROR'),
      detail: stryMutAct_9fa48("217") ? `` : (stryCov_9fa48("217"), `${what} was not read`)
    });
    if (stryMutAct_9fa48("220") ? false : stryMutAct_9fa48("219") ? true : stryMutAct_9fa48("218") ? e.ok : (stryCov_9fa48("218", "219", "220"), !e.ok)) return stryMutAct_9fa48("221") ? {} : (stryCov_9fa48("221"), {
      code: stryMutAct_9fa48("222") ? "" : (stryCov_9fa48("222"), 'GITLAB_ERROR'),
      detail: stryMutAct_9fa48("223") ? `` : (stryCov_9fa48("223"), `${what}: ${e.error.code} ${e.error.message}`)
    });
    return undefined;
  }
}

/**
 * The environment is needed when the stack names one (its tier may protect it), and whenever it was read:
 * a failed read can hide a production tier, so it is never ignored.
 */
function environmentError({
  owner,
  gitlab
}: StackSnapshot): Reason | undefined {
  if (stryMutAct_9fa48("224")) {
    {}
  } else {
    stryCov_9fa48("224");
    if (stryMutAct_9fa48("227") ? owner?.environment === undefined || gitlab.environment === undefined : stryMutAct_9fa48("226") ? false : stryMutAct_9fa48("225") ? true : (stryCov_9fa48("225", "226", "227"), (stryMutAct_9fa48("229") ? owner?.environment !== undefined : stryMutAct_9fa48("228") ? true : (stryCov_9fa48("228", "229"), (stryMutAct_9fa48("230") ? owner.environment : (stryCov_9fa48("230"), owner?.environment)) === undefined)) && (stryMutAct_9fa48("232") ? gitlab.environment !== undefined : stryMutAct_9fa48("231") ? true : (stryCov_9fa48("231", "232"), gitlab.environment === undefined)))) return undefined;
    return gitlabError(stryMutAct_9fa48("233") ? "" : (stryCov_9fa48("233"), 'environment'), gitlab.environment);
  }
}

/**
 * Every fact that is needed and could not be read. With a project that answers 404 nothing else is
 * readable, so only facts that were read and failed count; otherwise branches, MRs and the environment
 * (when named or read) are all needed.
 */
function unreadableFacts(snapshot: StackSnapshot): Reason[] {
  if (stryMutAct_9fa48("234")) {
    {}
  } else {
    stryCov_9fa48("234");
    const {
      gitlab
    } = snapshot;
    const projectErr = gitlabError(stryMutAct_9fa48("235") ? "" : (stryCov_9fa48("235"), 'project'), gitlab.project);
    if (stryMutAct_9fa48("237") ? false : stryMutAct_9fa48("236") ? true : (stryCov_9fa48("236", "237"), projectErr)) return stryMutAct_9fa48("238") ? [] : (stryCov_9fa48("238"), [projectErr]);
    const present = stryMutAct_9fa48("239") ? () => undefined : (stryCov_9fa48("239"), (() => {
      const present = (k: 'branches' | 'mergeRequests' | 'environment') => (stryMutAct_9fa48("242") ? gitlab[k] === undefined : stryMutAct_9fa48("241") ? false : stryMutAct_9fa48("240") ? true : (stryCov_9fa48("240", "241", "242"), gitlab[k] !== undefined)) ? gitlabError(k, gitlab[k]) : undefined;
      return present;
    })());
    const reasons = (stryMutAct_9fa48("245") ? value(gitlab.project) !== null : stryMutAct_9fa48("244") ? false : stryMutAct_9fa48("243") ? true : (stryCov_9fa48("243", "244", "245"), value(gitlab.project) === null)) ? stryMutAct_9fa48("246") ? [] : (stryCov_9fa48("246"), [present(stryMutAct_9fa48("247") ? "" : (stryCov_9fa48("247"), 'branches')), present(stryMutAct_9fa48("248") ? "" : (stryCov_9fa48("248"), 'mergeRequests')), present(stryMutAct_9fa48("249") ? "" : (stryCov_9fa48("249"), 'environment'))]) : stryMutAct_9fa48("250") ? [] : (stryCov_9fa48("250"), [gitlabError(stryMutAct_9fa48("251") ? "" : (stryCov_9fa48("251"), 'branches'), gitlab.branches), gitlabError(stryMutAct_9fa48("252") ? "" : (stryCov_9fa48("252"), 'merge requests'), gitlab.mergeRequests), environmentError(snapshot)]);
    return stryMutAct_9fa48("253") ? reasons : (stryCov_9fa48("253"), reasons.filter(stryMutAct_9fa48("254") ? () => undefined : (stryCov_9fa48("254"), (r): r is Reason => stryMutAct_9fa48("257") ? r === undefined : stryMutAct_9fa48("256") ? false : stryMutAct_9fa48("255") ? true : (stryCov_9fa48("255", "256", "257"), r !== undefined))));
  }
}

/** The life state of one candidate ref, before the candidates are combined. */
interface RefState {
  ref: string;
  verdict: 'active' | 'idle' | 'abandoned' | 'branch-deleted' | 'merged';
  reasons: Reason[];
  since?: string;
}

/** Most alive first: if any candidate of an ambiguous ref-slug lives, the stack lives (DESIGN §3). */
const LIFE_RANK: Record<RefState['verdict'], number> = stryMutAct_9fa48("258") ? {} : (stryCov_9fa48("258"), {
  active: 0,
  idle: 1,
  abandoned: 2,
  'branch-deleted': 3,
  merged: 4
});
function refState(ref: string, branch: BranchFacts | undefined, mrs: MergeRequestFacts[], snapshot: StackSnapshot, env: EnvironmentFacts | null | undefined, policy: Policy, now: number): RefState {
  if (stryMutAct_9fa48("259")) {
    {}
  } else {
    stryCov_9fa48("259");
    const open = stryMutAct_9fa48("260") ? mrs : (stryCov_9fa48("260"), mrs.filter(stryMutAct_9fa48("261") ? () => undefined : (stryCov_9fa48("261"), m => stryMutAct_9fa48("264") ? m.state === 'opened' && m.state === 'locked' : stryMutAct_9fa48("263") ? false : stryMutAct_9fa48("262") ? true : (stryCov_9fa48("262", "263", "264"), (stryMutAct_9fa48("266") ? m.state !== 'opened' : stryMutAct_9fa48("265") ? false : (stryCov_9fa48("265", "266"), m.state === (stryMutAct_9fa48("267") ? "" : (stryCov_9fa48("267"), 'opened')))) || (stryMutAct_9fa48("269") ? m.state !== 'locked' : stryMutAct_9fa48("268") ? false : (stryCov_9fa48("268", "269"), m.state === (stryMutAct_9fa48("270") ? "" : (stryCov_9fa48("270"), 'locked'))))))));
    const merged = stryMutAct_9fa48("271") ? mrs : (stryCov_9fa48("271"), mrs.filter(stryMutAct_9fa48("272") ? () => undefined : (stryCov_9fa48("272"), m => stryMutAct_9fa48("275") ? m.state !== 'merged' : stryMutAct_9fa48("274") ? false : stryMutAct_9fa48("273") ? true : (stryCov_9fa48("273", "274", "275"), m.state === (stryMutAct_9fa48("276") ? "" : (stryCov_9fa48("276"), 'merged'))))));
    const closed = stryMutAct_9fa48("277") ? mrs : (stryCov_9fa48("277"), mrs.filter(stryMutAct_9fa48("278") ? () => undefined : (stryCov_9fa48("278"), m => stryMutAct_9fa48("281") ? m.state !== 'closed' : stryMutAct_9fa48("280") ? false : stryMutAct_9fa48("279") ? true : (stryCov_9fa48("279", "280", "281"), m.state === (stryMutAct_9fa48("282") ? "" : (stryCov_9fa48("282"), 'closed'))))));
    const mrRef = stryMutAct_9fa48("283") ? () => undefined : (stryCov_9fa48("283"), (() => {
      const mrRef = (m: MergeRequestFacts) => stryMutAct_9fa48("284") ? `` : (stryCov_9fa48("284"), `!${m.iid}`);
      return mrRef;
    })());
    if (stryMutAct_9fa48("287") ? open.length === 0 || merged.length > 0 : stryMutAct_9fa48("286") ? false : stryMutAct_9fa48("285") ? true : (stryCov_9fa48("285", "286", "287"), (stryMutAct_9fa48("289") ? open.length !== 0 : stryMutAct_9fa48("288") ? true : (stryCov_9fa48("288", "289"), open.length === 0)) && (stryMutAct_9fa48("292") ? merged.length <= 0 : stryMutAct_9fa48("291") ? merged.length >= 0 : stryMutAct_9fa48("290") ? true : (stryCov_9fa48("290", "291", "292"), merged.length > 0)))) {
      if (stryMutAct_9fa48("293")) {
        {}
      } else {
        stryCov_9fa48("293");
        const last = merged.reduce(stryMutAct_9fa48("294") ? () => undefined : (stryCov_9fa48("294"), (a, b) => (stryMutAct_9fa48("298") ? (ms(b.mergedAt) ?? 0) <= (ms(a.mergedAt) ?? 0) : stryMutAct_9fa48("297") ? (ms(b.mergedAt) ?? 0) >= (ms(a.mergedAt) ?? 0) : stryMutAct_9fa48("296") ? false : stryMutAct_9fa48("295") ? true : (stryCov_9fa48("295", "296", "297", "298"), (stryMutAct_9fa48("299") ? ms(b.mergedAt) && 0 : (stryCov_9fa48("299"), ms(b.mergedAt) ?? 0)) > (stryMutAct_9fa48("300") ? ms(a.mergedAt) && 0 : (stryCov_9fa48("300"), ms(a.mergedAt) ?? 0)))) ? b : a));
        const at = stryMutAct_9fa48("301") ? (last.mergedAt ?? last.closedAt) && last.updatedAt : (stryCov_9fa48("301"), (stryMutAct_9fa48("302") ? last.mergedAt && last.closedAt : (stryCov_9fa48("302"), last.mergedAt ?? last.closedAt)) ?? last.updatedAt);
        const reason: Reason = stryMutAct_9fa48("303") ? {} : (stryCov_9fa48("303"), {
          code: stryMutAct_9fa48("304") ? "" : (stryCov_9fa48("304"), 'MR_MERGED'),
          detail: stryMutAct_9fa48("305") ? `` : (stryCov_9fa48("305"), `${mrRef(last)} from ${ref} merged`)
        });
        if (stryMutAct_9fa48("308") ? at === undefined : stryMutAct_9fa48("307") ? false : stryMutAct_9fa48("306") ? true : (stryCov_9fa48("306", "307", "308"), at !== undefined)) reason.at = at;
        return stryMutAct_9fa48("309") ? {} : (stryCov_9fa48("309"), {
          ref,
          verdict: stryMutAct_9fa48("310") ? "" : (stryCov_9fa48("310"), 'merged'),
          reasons: stryMutAct_9fa48("311") ? [] : (stryCov_9fa48("311"), [reason]),
          ...((stryMutAct_9fa48("314") ? at === undefined : stryMutAct_9fa48("313") ? false : stryMutAct_9fa48("312") ? true : (stryCov_9fa48("312", "313", "314"), at !== undefined)) ? stryMutAct_9fa48("315") ? {} : (stryCov_9fa48("315"), {
            since: at
          }) : {})
        });
      }
    }
    if (stryMutAct_9fa48("318") ? !branch || open.length === 0 : stryMutAct_9fa48("317") ? false : stryMutAct_9fa48("316") ? true : (stryCov_9fa48("316", "317", "318"), (stryMutAct_9fa48("319") ? branch : (stryCov_9fa48("319"), !branch)) && (stryMutAct_9fa48("321") ? open.length !== 0 : stryMutAct_9fa48("320") ? true : (stryCov_9fa48("320", "321"), open.length === 0)))) {
      if (stryMutAct_9fa48("322")) {
        {}
      } else {
        stryCov_9fa48("322");
        const reasons: Reason[] = stryMutAct_9fa48("323") ? [] : (stryCov_9fa48("323"), [stryMutAct_9fa48("324") ? {} : (stryCov_9fa48("324"), {
          code: stryMutAct_9fa48("325") ? "" : (stryCov_9fa48("325"), 'BRANCH_NOT_FOUND'),
          detail: stryMutAct_9fa48("326") ? `` : (stryCov_9fa48("326"), `branch ${ref} does not exist`)
        })]);
        const lastClosed = latest(closed.map(stryMutAct_9fa48("327") ? () => undefined : (stryCov_9fa48("327"), m => m.closedAt)));
        if (stryMutAct_9fa48("331") ? closed.length <= 0 : stryMutAct_9fa48("330") ? closed.length >= 0 : stryMutAct_9fa48("329") ? false : stryMutAct_9fa48("328") ? true : (stryCov_9fa48("328", "329", "330", "331"), closed.length > 0)) {
          if (stryMutAct_9fa48("332")) {
            {}
          } else {
            stryCov_9fa48("332");
            reasons.push(stryMutAct_9fa48("333") ? {} : (stryCov_9fa48("333"), {
              code: stryMutAct_9fa48("334") ? "" : (stryCov_9fa48("334"), 'MR_CLOSED'),
              detail: stryMutAct_9fa48("335") ? `` : (stryCov_9fa48("335"), `${closed.map(mrRef).join(stryMutAct_9fa48("336") ? "" : (stryCov_9fa48("336"), ', '))} closed without merge`),
              ...((stryMutAct_9fa48("339") ? lastClosed === undefined : stryMutAct_9fa48("338") ? false : stryMutAct_9fa48("337") ? true : (stryCov_9fa48("337", "338", "339"), lastClosed !== undefined)) ? stryMutAct_9fa48("340") ? {} : (stryCov_9fa48("340"), {
                at: lastClosed
              }) : {})
            }));
          }
        }
        const since = stryMutAct_9fa48("341") ? (lastClosed ?? snapshot.firstSeen?.['branch-deleted'] ?? snapshot.stack.updatedAt) && snapshot.stack.createdAt : (stryCov_9fa48("341"), (stryMutAct_9fa48("342") ? (lastClosed ?? snapshot.firstSeen?.['branch-deleted']) && snapshot.stack.updatedAt : (stryCov_9fa48("342"), (stryMutAct_9fa48("343") ? lastClosed && snapshot.firstSeen?.['branch-deleted'] : (stryCov_9fa48("343"), lastClosed ?? (stryMutAct_9fa48("344") ? snapshot.firstSeen['branch-deleted'] : (stryCov_9fa48("344"), snapshot.firstSeen?.[stryMutAct_9fa48("345") ? "" : (stryCov_9fa48("345"), 'branch-deleted')])))) ?? snapshot.stack.updatedAt)) ?? snapshot.stack.createdAt);
        return stryMutAct_9fa48("346") ? {} : (stryCov_9fa48("346"), {
          ref,
          verdict: stryMutAct_9fa48("347") ? "" : (stryCov_9fa48("347"), 'branch-deleted'),
          reasons,
          since
        });
      }
    }
    const lastClosed = latest(closed.map(stryMutAct_9fa48("348") ? () => undefined : (stryCov_9fa48("348"), m => m.closedAt)));
    // A commit after the last MR was closed is work going on, not an abandoned branch: judged by activity.
    const workedOnSince = stryMutAct_9fa48("352") ? (ms(branch?.committedAt) ?? Number.NEGATIVE_INFINITY) <= (ms(lastClosed) ?? Number.POSITIVE_INFINITY) : stryMutAct_9fa48("351") ? (ms(branch?.committedAt) ?? Number.NEGATIVE_INFINITY) >= (ms(lastClosed) ?? Number.POSITIVE_INFINITY) : stryMutAct_9fa48("350") ? false : stryMutAct_9fa48("349") ? true : (stryCov_9fa48("349", "350", "351", "352"), (stryMutAct_9fa48("353") ? ms(branch?.committedAt) && Number.NEGATIVE_INFINITY : (stryCov_9fa48("353"), ms(stryMutAct_9fa48("354") ? branch.committedAt : (stryCov_9fa48("354"), branch?.committedAt)) ?? Number.NEGATIVE_INFINITY)) > (stryMutAct_9fa48("355") ? ms(lastClosed) && Number.POSITIVE_INFINITY : (stryCov_9fa48("355"), ms(lastClosed) ?? Number.POSITIVE_INFINITY)));
    if (stryMutAct_9fa48("358") ? branch && open.length === 0 && closed.length > 0 || !workedOnSince : stryMutAct_9fa48("357") ? false : stryMutAct_9fa48("356") ? true : (stryCov_9fa48("356", "357", "358"), (stryMutAct_9fa48("360") ? branch && open.length === 0 || closed.length > 0 : stryMutAct_9fa48("359") ? true : (stryCov_9fa48("359", "360"), (stryMutAct_9fa48("362") ? branch || open.length === 0 : stryMutAct_9fa48("361") ? true : (stryCov_9fa48("361", "362"), branch && (stryMutAct_9fa48("364") ? open.length !== 0 : stryMutAct_9fa48("363") ? true : (stryCov_9fa48("363", "364"), open.length === 0)))) && (stryMutAct_9fa48("367") ? closed.length <= 0 : stryMutAct_9fa48("366") ? closed.length >= 0 : stryMutAct_9fa48("365") ? true : (stryCov_9fa48("365", "366", "367"), closed.length > 0)))) && (stryMutAct_9fa48("368") ? workedOnSince : (stryCov_9fa48("368"), !workedOnSince)))) {
      if (stryMutAct_9fa48("369")) {
        {}
      } else {
        stryCov_9fa48("369");
        return stryMutAct_9fa48("370") ? {} : (stryCov_9fa48("370"), {
          ref,
          verdict: stryMutAct_9fa48("371") ? "" : (stryCov_9fa48("371"), 'abandoned'),
          reasons: stryMutAct_9fa48("372") ? [] : (stryCov_9fa48("372"), [stryMutAct_9fa48("373") ? {} : (stryCov_9fa48("373"), {
            code: stryMutAct_9fa48("374") ? "" : (stryCov_9fa48("374"), 'MR_CLOSED'),
            detail: stryMutAct_9fa48("375") ? `` : (stryCov_9fa48("375"), `${closed.map(mrRef).join(stryMutAct_9fa48("376") ? "" : (stryCov_9fa48("376"), ', '))} closed without merge`),
            ...((stryMutAct_9fa48("379") ? lastClosed === undefined : stryMutAct_9fa48("378") ? false : stryMutAct_9fa48("377") ? true : (stryCov_9fa48("377", "378", "379"), lastClosed !== undefined)) ? stryMutAct_9fa48("380") ? {} : (stryCov_9fa48("380"), {
              at: lastClosed
            }) : {})
          }), stryMutAct_9fa48("381") ? {} : (stryCov_9fa48("381"), {
            code: stryMutAct_9fa48("382") ? "" : (stryCov_9fa48("382"), 'BRANCH_EXISTS'),
            detail: stryMutAct_9fa48("383") ? `` : (stryCov_9fa48("383"), `branch ${ref} exists`)
          })]),
          ...((stryMutAct_9fa48("386") ? lastClosed === undefined : stryMutAct_9fa48("385") ? false : stryMutAct_9fa48("384") ? true : (stryCov_9fa48("384", "385", "386"), lastClosed !== undefined)) ? stryMutAct_9fa48("387") ? {} : (stryCov_9fa48("387"), {
            since: lastClosed
          }) : {})
        });
      }
    }
    const lastActivity = latest(stryMutAct_9fa48("388") ? [] : (stryCov_9fa48("388"), [stryMutAct_9fa48("389") ? branch.committedAt : (stryCov_9fa48("389"), branch?.committedAt), stryMutAct_9fa48("390") ? env.lastDeployedAt : (stryCov_9fa48("390"), env?.lastDeployedAt), ...mrs.map(stryMutAct_9fa48("391") ? () => undefined : (stryCov_9fa48("391"), m => m.updatedAt)), snapshot.stack.updatedAt, snapshot.stack.createdAt]));
    const life: Reason[] = (stryMutAct_9fa48("395") ? open.length <= 0 : stryMutAct_9fa48("394") ? open.length >= 0 : stryMutAct_9fa48("393") ? false : stryMutAct_9fa48("392") ? true : (stryCov_9fa48("392", "393", "394", "395"), open.length > 0)) ? stryMutAct_9fa48("396") ? [] : (stryCov_9fa48("396"), [stryMutAct_9fa48("397") ? {} : (stryCov_9fa48("397"), {
      code: stryMutAct_9fa48("398") ? "" : (stryCov_9fa48("398"), 'MR_OPEN'),
      detail: stryMutAct_9fa48("399") ? `` : (stryCov_9fa48("399"), `${open.map(mrRef).join(stryMutAct_9fa48("400") ? "" : (stryCov_9fa48("400"), ', '))} open from ${ref}`)
    })]) : stryMutAct_9fa48("401") ? [] : (stryCov_9fa48("401"), [stryMutAct_9fa48("402") ? {} : (stryCov_9fa48("402"), {
      code: stryMutAct_9fa48("403") ? "" : (stryCov_9fa48("403"), 'BRANCH_EXISTS'),
      detail: stryMutAct_9fa48("404") ? `` : (stryCov_9fa48("404"), `branch ${ref} exists`)
    }), stryMutAct_9fa48("405") ? {} : (stryCov_9fa48("405"), {
      code: stryMutAct_9fa48("406") ? "" : (stryCov_9fa48("406"), 'NO_MR'),
      detail: stryMutAct_9fa48("407") ? `` : (stryCov_9fa48("407"), `no merge request from ${ref}`)
    })]);
    const lastMs = ms(lastActivity);
    const idleMs = stryMutAct_9fa48("408") ? policy.idleAfterDays / DAY_MS : (stryCov_9fa48("408"), policy.idleAfterDays * DAY_MS);
    if (stryMutAct_9fa48("411") ? lastMs !== undefined || now - lastMs > idleMs : stryMutAct_9fa48("410") ? false : stryMutAct_9fa48("409") ? true : (stryCov_9fa48("409", "410", "411"), (stryMutAct_9fa48("413") ? lastMs === undefined : stryMutAct_9fa48("412") ? true : (stryCov_9fa48("412", "413"), lastMs !== undefined)) && (stryMutAct_9fa48("416") ? now - lastMs <= idleMs : stryMutAct_9fa48("415") ? now - lastMs >= idleMs : stryMutAct_9fa48("414") ? true : (stryCov_9fa48("414", "415", "416"), (stryMutAct_9fa48("417") ? now + lastMs : (stryCov_9fa48("417"), now - lastMs)) > idleMs)))) {
      if (stryMutAct_9fa48("418")) {
        {}
      } else {
        stryCov_9fa48("418");
        const days = Math.floor(stryMutAct_9fa48("419") ? (now - lastMs) * DAY_MS : (stryCov_9fa48("419"), (stryMutAct_9fa48("420") ? now + lastMs : (stryCov_9fa48("420"), now - lastMs)) / DAY_MS));
        return stryMutAct_9fa48("421") ? {} : (stryCov_9fa48("421"), {
          ref,
          verdict: stryMutAct_9fa48("422") ? "" : (stryCov_9fa48("422"), 'idle'),
          reasons: stryMutAct_9fa48("423") ? [] : (stryCov_9fa48("423"), [stryMutAct_9fa48("424") ? {} : (stryCov_9fa48("424"), {
            code: stryMutAct_9fa48("425") ? "" : (stryCov_9fa48("425"), 'IDLE'),
            detail: stryMutAct_9fa48("426") ? `` : (stryCov_9fa48("426"), `no activity for ${days} days`),
            at: lastActivity as string
          }), ...life]),
          since: iso(stryMutAct_9fa48("427") ? lastMs - idleMs : (stryCov_9fa48("427"), lastMs + idleMs))
        });
      }
    }
    const recent: Reason = stryMutAct_9fa48("428") ? {} : (stryCov_9fa48("428"), {
      code: stryMutAct_9fa48("429") ? "" : (stryCov_9fa48("429"), 'RECENT_ACTIVITY'),
      detail: stryMutAct_9fa48("430") ? "" : (stryCov_9fa48("430"), 'last activity')
    });
    if (stryMutAct_9fa48("433") ? lastActivity === undefined : stryMutAct_9fa48("432") ? false : stryMutAct_9fa48("431") ? true : (stryCov_9fa48("431", "432", "433"), lastActivity !== undefined)) recent.at = lastActivity;
    return stryMutAct_9fa48("434") ? {} : (stryCov_9fa48("434"), {
      ref,
      verdict: stryMutAct_9fa48("435") ? "" : (stryCov_9fa48("435"), 'active'),
      reasons: stryMutAct_9fa48("436") ? [] : (stryCov_9fa48("436"), [...life, recent])
    });
  }
}

/**
 * Gives one stack its verdict (DESIGN §4): the first rule that applies wins, with stable reason codes.
 * Pure: the same snapshot, policy and `now` always give the same classification. Missing or unreadable
 * evidence never leads towards deletion: it yields `unknown`.
 */
export function classify(snapshot: StackSnapshot, policy: Policy, now: number): Classification {
  if (stryMutAct_9fa48("437")) {
    {}
  } else {
    stryCov_9fa48("437");
    const c = decide(snapshot, policy, now);
    // Verdicts without an evidence time of their own (project-gone, unowned, delete-failed without an update
    // time) count their grace from the first run that saw them, else from now.
    if (stryMutAct_9fa48("440") ? c.since === undefined || (DELETABLE_VERDICTS as readonly Verdict[]).includes(c.verdict) : stryMutAct_9fa48("439") ? false : stryMutAct_9fa48("438") ? true : (stryCov_9fa48("438", "439", "440"), (stryMutAct_9fa48("442") ? c.since !== undefined : stryMutAct_9fa48("441") ? true : (stryCov_9fa48("441", "442"), c.since === undefined)) && (DELETABLE_VERDICTS as readonly Verdict[]).includes(c.verdict))) {
      if (stryMutAct_9fa48("443")) {
        {}
      } else {
        stryCov_9fa48("443");
        c.since = stryMutAct_9fa48("444") ? snapshot.firstSeen?.[c.verdict] && iso(now) : (stryCov_9fa48("444"), (stryMutAct_9fa48("445") ? snapshot.firstSeen[c.verdict] : (stryCov_9fa48("445"), snapshot.firstSeen?.[c.verdict])) ?? iso(now));
      }
    }
    // An expired keep tag explains why a once-kept stack is now judged like any other.
    const keep = keepTagReason(snapshot.stack.tags[policy.ownership.tags.keep], now);
    if (stryMutAct_9fa48("448") ? keep?.code !== 'KEEP_TAG_EXPIRED' : stryMutAct_9fa48("447") ? false : stryMutAct_9fa48("446") ? true : (stryCov_9fa48("446", "447", "448"), (stryMutAct_9fa48("449") ? keep.code : (stryCov_9fa48("449"), keep?.code)) === (stryMutAct_9fa48("450") ? "" : (stryCov_9fa48("450"), 'KEEP_TAG_EXPIRED')))) c.reasons.push(keep);
    return c;
  }
}
function decide(snapshot: StackSnapshot, policy: Policy, now: number): Classification {
  if (stryMutAct_9fa48("451")) {
    {}
  } else {
    stryCov_9fa48("451");
    const {
      stack,
      owner,
      gitlab
    } = snapshot;
    const protectedBy = protectedReasons(snapshot, policy, now);
    if (stryMutAct_9fa48("455") ? protectedBy.length <= 0 : stryMutAct_9fa48("454") ? protectedBy.length >= 0 : stryMutAct_9fa48("453") ? false : stryMutAct_9fa48("452") ? true : (stryCov_9fa48("452", "453", "454", "455"), protectedBy.length > 0)) return result(snapshot, stryMutAct_9fa48("456") ? "" : (stryCov_9fa48("456"), 'protected'), protectedBy);
    if (stryMutAct_9fa48("459") ? stack.status.startsWith('_IN_PROGRESS') : stryMutAct_9fa48("458") ? false : stryMutAct_9fa48("457") ? true : (stryCov_9fa48("457", "458", "459"), stack.status.endsWith(stryMutAct_9fa48("460") ? "" : (stryCov_9fa48("460"), '_IN_PROGRESS')))) {
      if (stryMutAct_9fa48("461")) {
        {}
      } else {
        stryCov_9fa48("461");
        return result(snapshot, stryMutAct_9fa48("462") ? "" : (stryCov_9fa48("462"), 'busy'), stryMutAct_9fa48("463") ? [] : (stryCov_9fa48("463"), [stryMutAct_9fa48("464") ? {} : (stryCov_9fa48("464"), {
          code: stryMutAct_9fa48("465") ? "" : (stryCov_9fa48("465"), 'STACK_BUSY'),
          detail: stryMutAct_9fa48("466") ? `` : (stryCov_9fa48("466"), `stack status ${stack.status}`)
        })]));
      }
    }
    if (stryMutAct_9fa48("469") ? stack.status !== 'DELETE_FAILED' : stryMutAct_9fa48("468") ? false : stryMutAct_9fa48("467") ? true : (stryCov_9fa48("467", "468", "469"), stack.status === (stryMutAct_9fa48("470") ? "" : (stryCov_9fa48("470"), 'DELETE_FAILED')))) {
      if (stryMutAct_9fa48("471")) {
        {}
      } else {
        stryCov_9fa48("471");
        // delete-failed may carry `delete`: only when protection could be ruled out (fail closed).
        const unreadable = (stryMutAct_9fa48("474") ? owner || !owner.unresolved : stryMutAct_9fa48("473") ? false : stryMutAct_9fa48("472") ? true : (stryCov_9fa48("472", "473", "474"), owner && (stryMutAct_9fa48("475") ? owner.unresolved : (stryCov_9fa48("475"), !owner.unresolved)))) ? unreadableFacts(snapshot) : stryMutAct_9fa48("476") ? ["Stryker was here"] : (stryCov_9fa48("476"), []);
        if (stryMutAct_9fa48("480") ? unreadable.length <= 0 : stryMutAct_9fa48("479") ? unreadable.length >= 0 : stryMutAct_9fa48("478") ? false : stryMutAct_9fa48("477") ? true : (stryCov_9fa48("477", "478", "479", "480"), unreadable.length > 0)) return result(snapshot, stryMutAct_9fa48("481") ? "" : (stryCov_9fa48("481"), 'unknown'), unreadable);
        const detail = stack.statusReason ? stryMutAct_9fa48("482") ? `` : (stryCov_9fa48("482"), `DELETE_FAILED: ${stack.statusReason}`) : stryMutAct_9fa48("483") ? "" : (stryCov_9fa48("483"), 'stack status DELETE_FAILED');
        return result(snapshot, stryMutAct_9fa48("484") ? "" : (stryCov_9fa48("484"), 'delete-failed'), stryMutAct_9fa48("485") ? [] : (stryCov_9fa48("485"), [stryMutAct_9fa48("486") ? {} : (stryCov_9fa48("486"), {
          code: stryMutAct_9fa48("487") ? "" : (stryCov_9fa48("487"), 'STACK_DELETE_FAILED'),
          detail
        })]), stack.updatedAt);
      }
    }
    if (stryMutAct_9fa48("490") ? !owner && owner.unresolved : stryMutAct_9fa48("489") ? false : stryMutAct_9fa48("488") ? true : (stryCov_9fa48("488", "489", "490"), (stryMutAct_9fa48("491") ? owner : (stryCov_9fa48("491"), !owner)) || owner.unresolved)) {
      if (stryMutAct_9fa48("492")) {
        {}
      } else {
        stryCov_9fa48("492");
        return result(snapshot, stryMutAct_9fa48("493") ? "" : (stryCov_9fa48("493"), 'unowned'), stryMutAct_9fa48("494") ? [] : (stryCov_9fa48("494"), [stryMutAct_9fa48("495") ? {} : (stryCov_9fa48("495"), {
          code: stryMutAct_9fa48("496") ? "" : (stryCov_9fa48("496"), 'PROJECT_UNRESOLVED'),
          detail: stryMutAct_9fa48("497") ? "" : (stryCov_9fa48("497"), 'in scope, but no GitLab project could be resolved for it')
        })]));
      }
    }
    const projectErr = gitlabError(stryMutAct_9fa48("498") ? "" : (stryCov_9fa48("498"), 'project'), gitlab.project);
    if (stryMutAct_9fa48("500") ? false : stryMutAct_9fa48("499") ? true : (stryCov_9fa48("499", "500"), projectErr)) return result(snapshot, stryMutAct_9fa48("501") ? "" : (stryCov_9fa48("501"), 'unknown'), stryMutAct_9fa48("502") ? [] : (stryCov_9fa48("502"), [projectErr]));
    const project = value(gitlab.project) as ProjectFacts | null;
    if (stryMutAct_9fa48("505") ? project !== null : stryMutAct_9fa48("504") ? false : stryMutAct_9fa48("503") ? true : (stryCov_9fa48("503", "504", "505"), project === null)) {
      if (stryMutAct_9fa48("506")) {
        {}
      } else {
        stryCov_9fa48("506");
        // Nothing is readable in a project that answers 404, so unread facts are not missing evidence;
        // a fact that was read and failed still fails closed.
        const failed = unreadableFacts(snapshot);
        if (stryMutAct_9fa48("510") ? failed.length <= 0 : stryMutAct_9fa48("509") ? failed.length >= 0 : stryMutAct_9fa48("508") ? false : stryMutAct_9fa48("507") ? true : (stryCov_9fa48("507", "508", "509", "510"), failed.length > 0)) return result(snapshot, stryMutAct_9fa48("511") ? "" : (stryCov_9fa48("511"), 'unknown'), failed);
        const who = stryMutAct_9fa48("512") ? owner.projectId && owner.projectPath : (stryCov_9fa48("512"), owner.projectId ?? owner.projectPath);
        return result(snapshot, stryMutAct_9fa48("513") ? "" : (stryCov_9fa48("513"), 'project-gone'), stryMutAct_9fa48("514") ? [] : (stryCov_9fa48("514"), [stryMutAct_9fa48("515") ? {} : (stryCov_9fa48("515"), {
          code: stryMutAct_9fa48("516") ? "" : (stryCov_9fa48("516"), 'PROJECT_NOT_FOUND'),
          detail: stryMutAct_9fa48("517") ? `` : (stryCov_9fa48("517"), `project ${who} answered 404 (deleted, or not visible to this token)`)
        })]));
      }
    }
    // Everything below needs branches (a protected branch protects), MRs, and the environment when the
    // stack names one: an archived project is still readable, so it gets no exemption.
    const missing = stryMutAct_9fa48("518") ? [gitlabError('branches', gitlab.branches), gitlabError('merge requests', gitlab.mergeRequests), environmentError(snapshot), gitlab.taggedMergeRequest !== undefined ? gitlabError('tagged merge request', gitlab.taggedMergeRequest) : undefined] : (stryCov_9fa48("518"), (stryMutAct_9fa48("519") ? [] : (stryCov_9fa48("519"), [gitlabError(stryMutAct_9fa48("520") ? "" : (stryCov_9fa48("520"), 'branches'), gitlab.branches), gitlabError(stryMutAct_9fa48("521") ? "" : (stryCov_9fa48("521"), 'merge requests'), gitlab.mergeRequests), environmentError(snapshot), (stryMutAct_9fa48("524") ? gitlab.taggedMergeRequest === undefined : stryMutAct_9fa48("523") ? false : stryMutAct_9fa48("522") ? true : (stryCov_9fa48("522", "523", "524"), gitlab.taggedMergeRequest !== undefined)) ? gitlabError(stryMutAct_9fa48("525") ? "" : (stryCov_9fa48("525"), 'tagged merge request'), gitlab.taggedMergeRequest) : undefined])).filter(stryMutAct_9fa48("526") ? () => undefined : (stryCov_9fa48("526"), (r): r is Reason => stryMutAct_9fa48("529") ? r === undefined : stryMutAct_9fa48("528") ? false : stryMutAct_9fa48("527") ? true : (stryCov_9fa48("527", "528", "529"), r !== undefined))));
    if (stryMutAct_9fa48("533") ? missing.length <= 0 : stryMutAct_9fa48("532") ? missing.length >= 0 : stryMutAct_9fa48("531") ? false : stryMutAct_9fa48("530") ? true : (stryCov_9fa48("530", "531", "532", "533"), missing.length > 0)) return result(snapshot, stryMutAct_9fa48("534") ? "" : (stryCov_9fa48("534"), 'unknown'), missing);
    if (stryMutAct_9fa48("536") ? false : stryMutAct_9fa48("535") ? true : (stryCov_9fa48("535", "536"), project.archived)) {
      if (stryMutAct_9fa48("537")) {
        {}
      } else {
        stryCov_9fa48("537");
        return result(snapshot, stryMutAct_9fa48("538") ? "" : (stryCov_9fa48("538"), 'project-gone'), stryMutAct_9fa48("539") ? [] : (stryCov_9fa48("539"), [stryMutAct_9fa48("540") ? {} : (stryCov_9fa48("540"), {
          code: stryMutAct_9fa48("541") ? "" : (stryCov_9fa48("541"), 'PROJECT_ARCHIVED'),
          detail: stryMutAct_9fa48("542") ? `` : (stryCov_9fa48("542"), `${project.path} is archived`)
        })]));
      }
    }
    const env = value(gitlab.environment);
    const matches = refMatcher(owner, gitlab);
    if (stryMutAct_9fa48("545") ? false : stryMutAct_9fa48("544") ? true : stryMutAct_9fa48("543") ? matches : (stryCov_9fa48("543", "544", "545"), !matches)) {
      if (stryMutAct_9fa48("546")) {
        {}
      } else {
        stryCov_9fa48("546");
        return result(snapshot, stryMutAct_9fa48("547") ? "" : (stryCov_9fa48("547"), 'unknown'), stryMutAct_9fa48("548") ? [] : (stryCov_9fa48("548"), [stryMutAct_9fa48("549") ? {} : (stryCov_9fa48("549"), {
          code: stryMutAct_9fa48("550") ? "" : (stryCov_9fa48("550"), 'REF_UNRESOLVED'),
          detail: stryMutAct_9fa48("551") ? "" : (stryCov_9fa48("551"), 'no ref, ref slug or deployed ref to look the branch up by')
        })]));
      }
    }
    const branches = stryMutAct_9fa48("552") ? value(gitlab.branches) ?? [] : (stryCov_9fa48("552"), (stryMutAct_9fa48("553") ? value(gitlab.branches) && [] : (stryCov_9fa48("553"), value(gitlab.branches) ?? (stryMutAct_9fa48("554") ? ["Stryker was here"] : (stryCov_9fa48("554"), [])))).filter(stryMutAct_9fa48("555") ? () => undefined : (stryCov_9fa48("555"), b => matches(b.name))));
    const mrs = stryMutAct_9fa48("556") ? value(gitlab.mergeRequests) ?? [] : (stryCov_9fa48("556"), (stryMutAct_9fa48("557") ? value(gitlab.mergeRequests) && [] : (stryCov_9fa48("557"), value(gitlab.mergeRequests) ?? (stryMutAct_9fa48("558") ? ["Stryker was here"] : (stryCov_9fa48("558"), [])))).filter(stryMutAct_9fa48("559") ? () => undefined : (stryCov_9fa48("559"), m => matches(m.sourceBranch))));
    const refs = stryMutAct_9fa48("560") ? [...new Set([...branches.map(b => b.name), ...mrs.map(m => m.sourceBranch)])] : (stryCov_9fa48("560"), (stryMutAct_9fa48("561") ? [] : (stryCov_9fa48("561"), [...new Set(stryMutAct_9fa48("562") ? [] : (stryCov_9fa48("562"), [...branches.map(stryMutAct_9fa48("563") ? () => undefined : (stryCov_9fa48("563"), b => b.name)), ...mrs.map(stryMutAct_9fa48("564") ? () => undefined : (stryCov_9fa48("564"), m => m.sourceBranch))]))])).sort());
    if (stryMutAct_9fa48("567") ? refs.length !== 0 : stryMutAct_9fa48("566") ? false : stryMutAct_9fa48("565") ? true : (stryCov_9fa48("565", "566", "567"), refs.length === 0)) {
      if (stryMutAct_9fa48("568")) {
        {}
      } else {
        stryCov_9fa48("568");
        // Nothing in GitLab carries this ref any more: the branch is gone and no MR ever came from it.
        refs.push(stryMutAct_9fa48("569") ? (owner.ref ?? owner.refSlug ?? env?.lastDeploymentRef ?? value(gitlab.taggedMergeRequest)?.sourceBranch) && '' : (stryCov_9fa48("569"), (stryMutAct_9fa48("570") ? (owner.ref ?? owner.refSlug ?? env?.lastDeploymentRef) && value(gitlab.taggedMergeRequest)?.sourceBranch : (stryCov_9fa48("570"), (stryMutAct_9fa48("571") ? (owner.ref ?? owner.refSlug) && env?.lastDeploymentRef : (stryCov_9fa48("571"), (stryMutAct_9fa48("572") ? owner.ref && owner.refSlug : (stryCov_9fa48("572"), owner.ref ?? owner.refSlug)) ?? (stryMutAct_9fa48("573") ? env.lastDeploymentRef : (stryCov_9fa48("573"), env?.lastDeploymentRef)))) ?? (stryMutAct_9fa48("574") ? value(gitlab.taggedMergeRequest).sourceBranch : (stryCov_9fa48("574"), value(gitlab.taggedMergeRequest)?.sourceBranch)))) ?? (stryMutAct_9fa48("575") ? "Stryker was here!" : (stryCov_9fa48("575"), ''))));
      }
    }
    const states = refs.map(stryMutAct_9fa48("576") ? () => undefined : (stryCov_9fa48("576"), ref => refState(ref, branches.find(stryMutAct_9fa48("577") ? () => undefined : (stryCov_9fa48("577"), b => stryMutAct_9fa48("580") ? b.name !== ref : stryMutAct_9fa48("579") ? false : stryMutAct_9fa48("578") ? true : (stryCov_9fa48("578", "579", "580"), b.name === ref))), stryMutAct_9fa48("581") ? mrs : (stryCov_9fa48("581"), mrs.filter(stryMutAct_9fa48("582") ? () => undefined : (stryCov_9fa48("582"), m => stryMutAct_9fa48("585") ? m.sourceBranch !== ref : stryMutAct_9fa48("584") ? false : stryMutAct_9fa48("583") ? true : (stryCov_9fa48("583", "584", "585"), m.sourceBranch === ref)))), snapshot, env, policy, now)));
    const chosen = states.reduce((a, b) => {
      if (stryMutAct_9fa48("586")) {
        {}
      } else {
        stryCov_9fa48("586");
        const diff = stryMutAct_9fa48("587") ? LIFE_RANK[b.verdict] + LIFE_RANK[a.verdict] : (stryCov_9fa48("587"), LIFE_RANK[b.verdict] - LIFE_RANK[a.verdict]);
        if (stryMutAct_9fa48("590") ? diff === 0 : stryMutAct_9fa48("589") ? false : stryMutAct_9fa48("588") ? true : (stryCov_9fa48("588", "589", "590"), diff !== 0)) return (stryMutAct_9fa48("594") ? diff >= 0 : stryMutAct_9fa48("593") ? diff <= 0 : stryMutAct_9fa48("592") ? false : stryMutAct_9fa48("591") ? true : (stryCov_9fa48("591", "592", "593", "594"), diff < 0)) ? b : a;
        // Same verdict on two refs: the later clock start is the conservative one.
        return (stryMutAct_9fa48("598") ? (ms(b.since) ?? 0) <= (ms(a.since) ?? 0) : stryMutAct_9fa48("597") ? (ms(b.since) ?? 0) >= (ms(a.since) ?? 0) : stryMutAct_9fa48("596") ? false : stryMutAct_9fa48("595") ? true : (stryCov_9fa48("595", "596", "597", "598"), (stryMutAct_9fa48("599") ? ms(b.since) && 0 : (stryCov_9fa48("599"), ms(b.since) ?? 0)) > (stryMutAct_9fa48("600") ? ms(a.since) && 0 : (stryCov_9fa48("600"), ms(a.since) ?? 0)))) ? b : a;
      }
    });
    const reasons = stryMutAct_9fa48("601") ? [] : (stryCov_9fa48("601"), [...chosen.reasons]);
    if (stryMutAct_9fa48("605") ? refs.length <= 1 : stryMutAct_9fa48("604") ? refs.length >= 1 : stryMutAct_9fa48("603") ? false : stryMutAct_9fa48("602") ? true : (stryCov_9fa48("602", "603", "604", "605"), refs.length > 1)) {
      if (stryMutAct_9fa48("606")) {
        {}
      } else {
        stryCov_9fa48("606");
        reasons.push(stryMutAct_9fa48("607") ? {} : (stryCov_9fa48("607"), {
          code: stryMutAct_9fa48("608") ? "" : (stryCov_9fa48("608"), 'REF_SLUG_AMBIGUOUS'),
          detail: stryMutAct_9fa48("609") ? `` : (stryCov_9fa48("609"), `ref slug ${owner.refSlug} matches ${refs.join(stryMutAct_9fa48("610") ? "" : (stryCov_9fa48("610"), ', '))}; the most alive decides`)
        }));
      }
    }
    return result(snapshot, chosen.verdict, reasons, chosen.since);
  }
}