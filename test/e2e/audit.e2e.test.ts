import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function sandbox(scenario: Record<string, unknown> | string): Promise<Sandbox> {
  const sb = await startSandbox({ scenario });
  running.push(sb);
  return sb;
}

async function auditJson(sb: Sandbox, config: Record<string, unknown> | string, extra: string[] = []) {
  const file = typeof config === 'string' ? config : await configFile(config);
  const r = await runCli(['audit', '--config', file, '--format', 'json', ...extra], sb.env());
  const report = JSON.parse(r.stdout) as Report;
  const verdicts = Object.fromEntries(report.environments.map((e) => [e.stack.name, e.verdict]));
  return { ...r, report, verdicts };
}

const reportSchema = JSON.parse(await readFile('config/report.schema.json', 'utf8')) as object;
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateReport = ajv.compile(reportSchema);

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
      gitlab: { timeout: '1s', maxRetries: 1 },
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
        'gitlab:project 1 HTTP_500',
        'gitlab:project 2 HTTP_403',
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
    const { code, verdicts, report } = await auditJson(sb, { aws: { regions: ['eu-west-1'] } });
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
    const { code, verdicts, report } = await auditJson(sb, { aws: { regions: ['eu-west-1'] } });
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
    const baseline = await auditJson(calm, { aws: { regions: ['eu-west-1'] } });
    const stormy = await sandbox(
      scenario([
        { service: 'aws', match: 'DescribeStacks', kind: 'throttle', count: 2 },
        { service: 'gitlab', match: '/merge_requests', kind: 'throttle', count: 3 },
      ]),
    );
    const throttled = await auditJson(stormy, { aws: { regions: ['eu-west-1'] } });
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

  it('scans two accounts and two regions, one through an assumed role, and refuses a mismatched identity', async () => {
    const stack = (name: string) => ({ name, tags: tagsFor(1, 'feature/gone') });
    const sb = await sandbox({
      aws: {
        accounts: [
          {
            id: '111111111111',
            accessKeyId: 'AKIAAMBIENT',
            regions: {
              'eu-west-1': { stacks: [stack('ambient-eu')] },
              'us-east-1': { stacks: [stack('ambient-us')] },
            },
          },
          {
            id: '222222222222',
            roles: [{ arn: 'arn:aws:iam::222222222222:role/env-reaper' }],
            regions: {
              'eu-west-1': { stacks: [stack('assumed-eu')] },
              'us-east-1': { stacks: [stack('assumed-us')] },
            },
          },
          {
            id: '333333333333',
            // A role whose trust lands in the wrong account: the guard must refuse it.
            roles: [{ arn: 'arn:aws:iam::333333333333:role/env-reaper', account: '444444444444' }],
            regions: { 'eu-west-1': { stacks: [stack('wrong-eu')] } },
          },
          { id: '444444444444', regions: { 'eu-west-1': { stacks: [stack('wrong-account-stack')] } } },
        ],
      },
      gitlab: { projects: [{ id: 1, path: 'acme/shop', branches: [{ name: 'main' }] }] },
    });
    const { code, verdicts, report } = await auditJson(sb, {
      aws: {
        regions: ['eu-west-1', 'us-east-1'],
        accounts: [
          { id: '111111111111' },
          { id: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/env-reaper' },
          {
            id: '333333333333',
            roleArn: 'arn:aws:iam::333333333333:role/env-reaper',
            regions: ['eu-west-1'],
          },
        ],
      },
    });
    expect(code).toBe(1);
    expect(Object.keys(verdicts).sort()).toEqual(['ambient-eu', 'ambient-us', 'assumed-eu', 'assumed-us']);
    expect(report.errors).toEqual([
      expect.objectContaining({ scope: 'aws:account 333333333333', code: 'ACCOUNT_MISMATCH' }),
    ]);
    expect(report.scanned).toHaveLength(4);
    expect(sb.world.requests.filter((r) => r.operation === 'sts:AssumeRole')).toHaveLength(2);
    // Nothing was listed in the refused account.
    expect(
      sb.world.requests.filter(
        (r) => r.operation === 'cloudformation:DescribeStacks' && r.target?.startsWith('444'),
      ),
    ).toEqual([]);
  });

  it('explain prints the evidence chain for one stack', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const r = await runCli(
      ['explain', 'review-shop-fix-typo', '--config', 'test/scenarios/demo.env-reaper.yaml'],
      sb.env(),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stack\s+review-shop-fix-typo/);
    expect(r.stdout).toMatch(/owner \(by tags\)/);
    expect(r.stdout).toMatch(/mergeRequests\s+\[.*"iid":32.*"state":"merged"/);
    expect(r.stdout).toMatch(/verdict\s+merged/);
    expect(r.stdout).toMatch(/MR_MERGED\s+!32 from fix\/typo merged/);
    expect(r.stdout).toMatch(/action\s+delete → due/);
    // Only the one project was read: acme/api (102) was never asked, by id or by path.
    const gitlabTargets = sb.world.requests.filter((q) => q.service === 'gitlab').map((q) => q.target ?? '');
    expect(gitlabTargets.some((t) => t.startsWith('/projects/101'))).toBe(true);
    expect(gitlabTargets.filter((t) => /^\/projects\/(102|acme%2Fapi)(\/|$)/i.test(t))).toEqual([]);
    const missing = await runCli(
      ['explain', 'no-such-stack', '--config', 'test/scenarios/demo.env-reaper.yaml'],
      sb.env(),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such live stack/);
  });

  it('exits 4 when --fail-on matches, and writes each format to its --output path', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const dir = (await configFile({})).replace(/config\.yaml$/, '');
    const r = await runCli(
      [
        'audit',
        '--config',
        'test/scenarios/demo.env-reaper.yaml',
        '--fail-on',
        'merged,branch-deleted',
        '--output',
        `json=${dir}r.json`,
        '--output',
        `markdown=${dir}r.md`,
      ],
      { ...sb.env(), ENV_REAPER_POLICY_ACTIONS_UNKNOWN: 'keep' },
    );
    expect(r.code).toBe(1); // lookup errors (acme/infra) take precedence over --fail-on
    const md = await readFile(`${dir}r.md`, 'utf8');
    expect(md).toMatch(/^## env-reaper dry-run report/);
    expect(md).toMatch(/### merged \(4\)/);
    expect(JSON.parse(await readFile(`${dir}r.json`, 'utf8')).schemaVersion).toBe(1);
    const clean = await sandbox({
      aws: {
        accounts: [
          {
            id: '111111111111',
            regions: { 'eu-west-1': { stacks: [{ name: 'r', tags: tagsFor(1, 'feature/gone') }] } },
          },
        ],
      },
      gitlab: { projects: [{ id: 1, path: 'a/b', branches: [{ name: 'main' }] }] },
    });
    const failOn = await runCli(
      ['audit', '--region', 'eu-west-1', '--fail-on', 'branch-deleted', '-q'],
      clean.env(),
    );
    expect(failOn.code).toBe(4);
    expect(failOn.stdout).toBe('');
  });

  it('config validate accepts the example config and config schema prints the committed schema', async () => {
    const ok = await runCli(['config', 'validate', '--config', 'config/env-reaper.example.yaml'], {});
    expect(ok.code).toBe(0);
    const schema = await runCli(['config', 'schema'], {});
    expect(JSON.parse(schema.stdout)).toEqual(
      JSON.parse(await readFile('config/env-reaper.schema.json', 'utf8')),
    );
    const bad = await runCli(
      ['config', 'validate', '--config', await configFile({ limits: { maxDeletionsPerRun: 'ten' } })],
      {},
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/limits\.maxDeletionsPerRun:/);
  });

  it('never prints the GitLab token or AWS secret, even at trace level', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const env: Record<string, string> = { ...sb.env(), ENV_REAPER_LOG_LEVEL: 'trace' };
    const r = await runCli(
      ['audit', '--config', 'test/scenarios/demo.env-reaper.yaml', '--format', 'json'],
      env,
    );
    expect(r.stderr.length).toBeGreaterThan(0);
    for (const secret of [String(env.GITLAB_TOKEN), String(env.AWS_SECRET_ACCESS_KEY)]) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  });

  it('refuses an invalid config before any network call, listing every problem (exit 2)', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const file = await configFile({
      policy: { grace: { merged: 'soon' }, actions: { active: 'delete' } },
      limits: { maxDeletionPercent: 300 },
    });
    const r = await runCli(['audit', '--config', file], sb.env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/3 problems/);
    expect(r.stderr).toMatch(/policy\.grace\.merged: expected a duration like "2h"/);
    expect(r.stderr).toMatch(/policy\.actions\.active:/);
    expect(r.stderr).toMatch(/limits\.maxDeletionPercent:/);
    expect(sb.world.requests).toEqual([]);
  });
});

describe('sharding', () => {
  it('three shards merged give the same totals as one unsharded run, each project read once', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const config = 'test/scenarios/demo.env-reaper.yaml';
    const whole = await auditJson(sb, config);
    const dir = (await configFile({})).replace(/config\.yaml$/, '');
    const projectReads = (r: Report) => r.apiCalls.calls.gitlab?.['GET /projects/:id'] ?? 0;
    const shards: Report[] = [];
    for (const i of [1, 2, 3]) {
      const r = await runCli(
        ['audit', '--config', config, '--shard', `${i}/3`, '--output', `json=${dir}shard-${i}.json`, '-q'],
        sb.env(),
      );
      expect([0, 1]).toContain(r.code);
      shards.push(JSON.parse(await readFile(`${dir}shard-${i}.json`, 'utf8')) as Report);
    }
    expect(shards.every((s) => s.environments.length < whole.report.environments.length)).toBe(true);
    const merged = await runCli(
      ['report', 'merge', `${dir}shard-1.json`, `${dir}shard-2.json`, `${dir}shard-3.json`],
      {},
    );
    expect(merged.code).toBe(0);
    const report = JSON.parse(merged.stdout) as Report;
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    const pick = (r: Report) => ({
      stacksScanned: r.summary.stacksScanned,
      inScope: r.summary.inScope,
      unmanaged: r.summary.unmanaged,
      nested: r.summary.nested,
      byVerdict: r.summary.byVerdict,
      byAction: r.summary.byAction,
      cost: r.summary.cost,
      ids: r.environments.map((e) => e.stack.id).sort(),
    });
    expect(pick(report)).toEqual(pick(whole.report));
    expect(shards.reduce((n, s) => n + projectReads(s), 0)).toBe(projectReads(whole.report));
    const bad = await runCli(['audit', '--config', config, '--shard', '4/3'], sb.env());
    expect(bad.code).toBe(2);
  }, 90_000);
});
