/**
 * Whether a branch is protected by one of a project's rules, matched as GitLab matches them
 * (`Gitlab::RefMatcher`): a rule without `*` names one branch exactly; with `*`, each star matches any
 * run of characters, anchored at both ends, case-sensitive. Written here because it must be GitLab's
 * rule exactly, not a glob library's (no `?`, no classes, `*` crosses `/`).
 */
export function protectedBy(rules: readonly string[], branch: string): boolean {
  return rules.some((rule) => {
    if (rule === '') return false;
    if (!rule.includes('*')) return rule === branch;
    const pattern = rule
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
      .join('.*?');
    return new RegExp(`^${pattern}$`, 's').test(branch);
  });
}
