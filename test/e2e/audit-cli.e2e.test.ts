import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { auditJson, closeSandboxes, sandbox, validateReport } from '../helpers/audit-e2e.js';
import { configFile, runCli, tagsFor } from '../helpers/cli.js';

/** The audit CLI beyond verdicts: accounts and roles, explain, exit codes, outputs, config, secrets, shards. */

afterEach(closeSandboxes);

describe('audit e2e: accounts, explain, exit codes, config and secrets', () => {
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
      // REST, so the sandbox's log shows which projects were read (a GraphQL POST does not say).
      { ...sb.env(), ENV_REAPER_GITLAB_API: 'rest' },
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
    expect(JSON.parse(await readFile(`${dir}r.json`, 'utf8')).schemaVersion).toBe(2);
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
    // --quiet quiets the logs, not the report; the verdicts that matched are said.
    expect(failOn.stdout).toMatch(/branch-deleted/);
    expect(failOn.stderr).toContain('--fail-on matched: 1 branch-deleted');
    expect(failOn.stderr).not.toMatch(/"level":30/);
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
