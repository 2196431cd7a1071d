import { afterEach, describe, expect, it } from 'vitest';
import { auditJson, closeSandboxes, sandbox, validateReport } from '../helpers/audit-e2e.js';
import { tagsFor } from '../helpers/cli.js';

afterEach(closeSandboxes);

/** The REST routes' own failures, answers and throttling: these tests read through REST (GraphQL: graphql-*.e2e). */
const REST = { api: 'rest' };

describe('audit e2e: the built CLI against the sandbox', () => {
  it('gives every verdict of docs/design.md §4 on the demo organisation, and the report validates', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const { code, report, verdicts } = await auditJson(sb, 'test/scenarios/demo.env-reaper.yaml');
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(code).toBe(1); // acme/infra answers 500
    expect(verdicts).toMatchObject({
      'review-shop-feature-pinned': 'protected',
      'review-shop-feature-demo-day': 'protected',
      'shop-production': 'protected',
      'review-shop-main': 'protected',
      'review-shop-release-2026-11': 'protected',
      'api-staging': 'protected',
      'review-shop-feature-deploying': 'busy',
      'review-shop-feature-stuck': 'delete-failed',
      'review-infra-feature-vpc': 'unknown',
      'review-infra-feature-dns': 'unknown',
      'preview-blog-feature-rss': 'unowned',
      'review-mobile-feature-push': 'project-gone',
      'review-legacy-feature-old': 'project-gone',
      'review-shop-fix-typo': 'merged',
      'review-shop-feature-checkout': 'merged',
      'review-api-feature-rate-limit': 'merged',
      'preview-web-feature-hero': 'merged',
      'review-shop-feature-gone': 'branch-deleted',
      'review-shop-fix-header': 'branch-deleted',
      'review-shop-feature-expired-keep': 'branch-deleted',
      'review-shop-feature-abandoned-ui': 'abandoned',
      'review-shop-feature-old-experiment': 'idle',
      'review-shop-feature-payment-v2': 'idle',
      'review-shop-feature-cart': 'active',
      'review-api-feature-ws': 'active',
      'preview-web-feature-landing': 'active',
    });
    // Nested and unmanaged stacks are never in scope.
    expect(verdicts).not.toHaveProperty('review-shop-feature-cart-db');
    expect(report.unmanaged.map((u) => u.name).sort()).toEqual([
      'CDKToolkit',
      'org-guardrails',
      'shared-vpc',
    ]);
    // Every reason code is a stable code, and the error names the one project that failed.
    expect(report.errors.every((e) => e.scope.startsWith('gitlab:project 104'))).toBe(true);
    const checkout = report.environments.find((e) => e.stack.name === 'review-shop-feature-checkout');
    expect(checkout?.plan).toMatchObject({ status: 'waiting', waitingFor: 'grace' });
    const typo = report.environments.find((e) => e.stack.name === 'review-shop-fix-typo');
    expect(typo).toMatchObject({ action: 'delete', result: 'planned' });
    // Ghost and stuck GitLab environments, and no live environment mistaken for a ghost.
    expect(report.gitlabEnvironments?.ghosts.map((g) => g.name)).toEqual(['review/feature/old-ghost']);
    expect(report.gitlabEnvironments?.stuck.map((g) => g.name)).toEqual(['review/feature/stuck-stop']);
    // Read-only: the sandbox saw no write.
    expect(sb.world.writes).toEqual([]);
  });

  it('confines a GitLab 500, 403 or timeout to that project: its stacks unknown, exit 1', async () => {
    const project = (id: number) => ({
      id,
      path: `acme/p${id}`,
      branches: [{ name: 'main', protected: true }],
      mergeRequests: [{ iid: 1, sourceBranch: 'feature/x', state: 'merged', mergedAt: '-1d' }],
    });
    const sb = await sandbox({
      aws: {
        accounts: [
          {
            id: '111111111111',
            accessKeyId: 'AKIAE2E',
            regions: {
              'eu-west-1': {
                stacks: [1, 2, 3, 4].map((id) => ({
                  name: `review-p${id}-feature-x`,
                  tags: tagsFor(id, 'feature/x'),
                })),
              },
            },
          },
        ],
      },
      gitlab: { projects: [1, 2, 3, 4].map(project) },
      faults: [
        { service: 'gitlab', match: '^/projects/1/merge_requests', kind: 'error', status: 500 },
        { service: 'gitlab', match: '^/projects/2$', kind: 'error', status: 403 },
        { service: 'gitlab', match: '^/projects/3/repository', kind: 'hang' },
      ],
    });
    const { code, verdicts, report } = await auditJson(sb, {
      aws: { regions: ['eu-west-1'] },
      gitlab: { ...REST, timeout: '1s', maxRetries: 1 },
    });
    expect(code).toBe(1);
    expect(verdicts).toEqual({
      'review-p1-feature-x': 'unknown',
      'review-p2-feature-x': 'unknown',
      'review-p3-feature-x': 'unknown',
      'review-p4-feature-x': 'merged',
    });
    const codes = report.errors.map((e) => `${e.scope.split(' ').slice(0, 2).join(' ')} ${e.code}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'gitlab:project 1 SERVER_ERROR',
        'gitlab:project 2 ACCESS_DENIED',
        'gitlab:project 3 TIMEOUT',
      ]),
    );
  }, 90_000);

  it('resolves every tag variant of docs/design.md §3: path, ref, slug, environment only, MR iid only', async () => {
    const sb = await sandbox({
      aws: {
        accounts: [
          {
            id: '111111111111',
            regions: {
              'eu-west-1': {
                stacks: [
                  {
                    name: 'by-path',
                    tags: { 'gitlab:project-path': 'acme/shop', 'gitlab:ref': 'feature/merged' },
                  },
                  {
                    name: 'by-env',
                    updated: '-1d',
                    tags: { 'gitlab:project-id': '1', 'gitlab:environment': 'review/feature-env' },
                  },
                  { name: 'by-mr', tags: { 'gitlab:project-id': '1', 'gitlab:mr-iid': '3' } },
                  { name: 'by-slug', tags: { 'gitlab:project-id': '1', 'gitlab:ref-slug': 'feature-live' } },
                ],
              },
            },
          },
        ],
      },
      gitlab: {
        projects: [
          {
            id: 1,
            path: 'acme/shop',
            branches: [
              { name: 'main', protected: true },
              { name: 'feature/live', committed: '-1h' },
            ],
            mergeRequests: [
              { iid: 2, sourceBranch: 'feature/merged', state: 'merged', mergedAt: '-3h' },
              { iid: 3, sourceBranch: 'feature/mr-only', state: 'merged', mergedAt: '-3h' },
            ],
            environments: [{ name: 'review/feature-env', lastDeployment: { ref: 'feature/env', at: '-2d' } }],
          },
        ],
      },
    });
    const { code, verdicts } = await auditJson(sb, { aws: { regions: ['eu-west-1'] } });
    expect(code).toBe(0);
    expect(verdicts).toEqual({
      'by-path': 'merged',
      'by-env': 'branch-deleted',
      'by-mr': 'merged',
      'by-slug': 'active',
    });
  });

  it('adds monthly cost per environment and project from Cost Explorer, and says unknown (not zero) when the tag is inactive', async () => {
    const scenario = (inactive: string[]) => ({
      aws: {
        inactiveCostTags: inactive,
        accounts: [
          {
            id: '111111111111',
            regions: {
              'eu-west-1': {
                stacks: [
                  { name: 'review-a', monthlyCost: 12.5, tags: tagsFor(1, 'feature/a') },
                  { name: 'review-b', monthlyCost: 30, updated: '-1d', tags: tagsFor(1, 'feature/gone') },
                  { name: 'review-c', tags: tagsFor(2, 'feature/c') },
                ],
              },
            },
          },
        ],
      },
      gitlab: {
        projects: [
          { id: 1, path: 'acme/shop', branches: [{ name: 'main' }, { name: 'feature/a', committed: '-1h' }] },
          { id: 2, path: 'acme/api', branches: [{ name: 'main' }, { name: 'feature/c', committed: '-1h' }] },
        ],
      },
    });
    const config = { aws: { regions: ['eu-west-1'] }, cost: { enabled: true } };
    const known = await auditJson(await sandbox(scenario([])), config);
    expect(validateReport(known.report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(Object.fromEntries(known.report.environments.map((e) => [e.stack.name, e.monthlyCost]))).toEqual({
      'review-a': 12.5,
      'review-b': 30,
      'review-c': 0,
    });
    expect(known.report.summary.cost).toEqual({
      known: true,
      currency: 'USD',
      monthlyTotal: 42.5,
      monthlyReapable: 30,
      monthlyUnused: 0,
      byProject: { 'acme/shop': 42.5, 'acme/api': 0 },
    });
    const unknown = await auditJson(await sandbox(scenario(['aws:cloudformation:stack-name'])), config);
    expect(unknown.report.environments.every((e) => e.monthlyCost === null)).toBe(true);
    expect(unknown.report.summary.cost).toMatchObject({ known: false, monthlyTotal: null });
  });

  it('reads a project with 12,000 branches and no x-total, and keeps stacks of live branches alive', async () => {
    const sb = await sandbox({
      aws: {
        accounts: [
          {
            id: '111111111111',
            regions: {
              'eu-west-1': {
                stacks: [
                  // Slug-only tags force the branch listing.
                  {
                    name: 'review-big-auto-11999',
                    tags: { 'gitlab:project-id': '9', 'gitlab:ref-slug': 'feature-auto-11999' },
                  },
                  {
                    name: 'review-big-gone',
                    tags: { 'gitlab:project-id': '9', 'gitlab:ref-slug': 'feature-gone' },
                  },
                ],
              },
            },
          },
        ],
      },
      gitlab: {
        projects: [
          {
            id: 9,
            path: 'acme/big',
            branches: [{ name: 'main', protected: true }],
            syntheticBranches: { count: 12_000 },
          },
        ],
      },
    });
    const { code, verdicts, report } = await auditJson(sb, { aws: { regions: ['eu-west-1'] }, gitlab: REST });
    expect(code).toBe(0);
    expect(verdicts).toEqual({ 'review-big-auto-11999': 'active', 'review-big-gone': 'branch-deleted' });
    expect(report.apiCalls.calls.gitlab?.['GET /projects/:id/repository/branches']).toBe(121);
  });

  it('treats a branch listing that lacks the default branch as unreadable', async () => {
    const sb = await sandbox({
      aws: {
        accounts: [
          {
            id: '111111111111',
            regions: {
              'eu-west-1': {
                stacks: [{ name: 'review-x', tags: { 'gitlab:project-id': '5', 'gitlab:ref-slug': 'zzz' } }],
              },
            },
          },
        ],
      },
      gitlab: {
        projects: [
          {
            id: 5,
            path: 'acme/t',
            defaultBranch: 'trunk',
            branches: [{ name: 'trunk' }],
            syntheticBranches: { count: 300, prefix: 'a/' },
          },
        ],
      },
      faults: [{ service: 'gitlab', match: '/repository/branches', kind: 'truncate', pages: 1 }],
    });
    const { code, verdicts, report } = await auditJson(sb, { aws: { regions: ['eu-west-1'] }, gitlab: REST });
    expect(code).toBe(1);
    expect(verdicts['review-x']).toBe('unknown');
    expect(report.errors[0]?.code).toBe('TRUNCATED_LISTING');
  });

  it('survives throttling on both sides with the same verdicts', async () => {
    const scenario = (faults: unknown[]) => ({
      aws: {
        describePageSize: 2,
        accounts: [
          {
            id: '111111111111',
            regions: {
              'eu-west-1': {
                stacks: ['a', 'b', 'c', 'd', 'e'].map((r) => ({
                  name: `review-${r}`,
                  tags: tagsFor(1, `feature/${r}`),
                })),
              },
            },
          },
        ],
      },
      gitlab: {
        rateLimitWindowSeconds: 1,
        projects: [
          {
            id: 1,
            path: 'acme/shop',
            branches: [{ name: 'main', protected: true }, { name: 'feature/a' }, { name: 'feature/b' }],
            mergeRequests: [
              { iid: 1, sourceBranch: 'feature/a' },
              { iid: 2, sourceBranch: 'feature/c', state: 'merged', mergedAt: '-1d' },
            ],
          },
        ],
      },
      faults,
    });
    const calm = await sandbox(scenario([]));
    const baseline = await auditJson(calm, { aws: { regions: ['eu-west-1'] }, gitlab: REST });
    const stormy = await sandbox(
      scenario([
        { service: 'aws', match: 'DescribeStacks', kind: 'throttle', count: 2 },
        { service: 'gitlab', match: '/merge_requests', kind: 'throttle', count: 3 },
      ]),
    );
    const throttled = await auditJson(stormy, { aws: { regions: ['eu-west-1'] }, gitlab: REST });
    expect(throttled.code).toBe(0);
    expect(throttled.verdicts).toEqual(baseline.verdicts);
    expect(Object.values(baseline.verdicts).sort()).toEqual([
      'active',
      'active',
      'branch-deleted',
      'branch-deleted',
      'merged',
    ]);
    const ops = stormy.world.requests.filter((r) => r.status === 429 || r.status === 400).length;
    expect(ops).toBe(5);
  }, 60_000);
});
