import { defaultConfig, policyFromConfig } from '../../src/config/load.js';
/** A fixed clock for table tests. */
export const NOW = Date.parse('2026-11-28T12:00:00Z');
/** ISO time `hours` before NOW. */
export function ago(hours) {
  return new Date(NOW - hours * 3_600_000).toISOString();
}
/** The default policy, as the default config gives it. */
export function defaultPolicy() {
  return policyFromConfig(defaultConfig());
}
export function stack(over = {}) {
  const name = over.name ?? 'review-shop-feature-x';
  return {
    account: '111111111111',
    region: 'eu-west-1',
    stackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/0000`,
    name,
    status: 'CREATE_COMPLETE',
    createdAt: ago(24 * 3),
    tags: { 'gitlab:project-id': '101', 'gitlab:ref': 'feature/x' },
    terminationProtection: false,
    ...over,
  };
}
export const project = { id: 101, path: 'acme/shop', defaultBranch: 'main', archived: false };
export function branch(name, over = {}) {
  return { name, protected: false, default: false, committedAt: ago(2), ...over };
}
export function mr(iid, sourceBranch, over = {}) {
  return { iid, sourceBranch, state: 'opened', updatedAt: ago(2), ...over };
}
export function env(over = {}) {
  return { id: 1, name: 'review/feature-x', state: 'available', tier: 'development', ...over };
}
/** A snapshot with complete, healthy GitLab evidence unless overridden. */
export function snapshot(over = {}) {
  const owner = 'owner' in over ? over.owner : { matchedBy: 'tags', projectId: 101, ref: 'feature/x' };
  return {
    stack: stack(over.stack),
    ...(owner ? { owner } : {}),
    gitlab: {
      project: { ok: true, value: project },
      branches: {
        ok: true,
        value: [branch('main', { default: true, protected: true }), branch('feature/x')],
      },
      mergeRequests: { ok: true, value: [] },
      ...over.gitlab,
    },
  };
}
//# sourceMappingURL=fixtures.js.map
