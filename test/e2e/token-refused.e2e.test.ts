import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { auditJson, closeSandboxes, sandbox, validateReport } from '../helpers/audit-e2e.js';
import { configFile, runCli } from '../helpers/cli.js';

/**
 * A token GitLab refuses is one fact (issue #32): one run error naming GitLab, its URL and what to
 * check, never the token; every stack that needed GitLab is `unknown`, listed under that one error;
 * exit 1. Through REST and through GraphQL alike, and `doctor` says the same.
 */

afterEach(closeSandboxes);

const demo = () => parse(readFileSync('test/scenarios/demo.yaml', 'utf8')) as Record<string, unknown>;
const demoConfig = () =>
  parse(readFileSync('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<string, unknown>;
const WRONG = 'glpat-not-the-right-one-0000';

describe('a refused token', () => {
  for (const api of ['auto', 'rest'] as const)
    it(`a wrong token (${api}): one error, every GitLab-owned stack unknown under it, exit 1`, async () => {
      const sb = await sandbox(demo());
      const config = { ...demoConfig(), gitlab: { ...(demoConfig().gitlab as object), api } };
      const file = await configFile(config);
      const r = await runCli(['audit', '--config', file, '--format', 'json'], {
        ...sb.env(),
        GITLAB_TOKEN: WRONG,
      });
      expect(r.code, r.stderr.slice(-2000)).toBe(1);
      const report = JSON.parse(r.stdout) as import('../../src/report/json-report.js').Report;
      expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
      const gitlab = report.errors.filter((e) => e.service === 'gitlab');
      expect(gitlab).toHaveLength(1);
      const [e] = gitlab;
      expect(e).toMatchObject({ scope: 'gitlab:token', code: 'UNAUTHENTICATED', status: 401 });
      expect(e?.message).toContain(sb.env().GITLAB_URL?.replace(/\/$/, ''));
      expect(e?.message).toMatch(/revoked, expired or mistyped/);
      expect(r.stdout + r.stderr).not.toContain(WRONG);
      // Every stack that needed GitLab is unknown, and all of them are under that one error.
      const needing = report.environments.filter((x) => x.reasons.some((y) => y.code === 'GITLAB_ERROR'));
      expect(needing.length).toBeGreaterThan(20);
      for (const x of needing) expect(x.verdict).toBe('unknown');
      expect([...(e?.stacks ?? [])].sort()).toEqual(needing.map((x) => x.stack.name).sort());
      // None of them read as evidence: nothing is due.
      expect(report.environments.filter((x) => x.action === 'delete')).toEqual([]);
    }, 120_000);

  it('a token without read_api (403 on every project): one error that names the scope', async () => {
    const scenario = demo();
    const gitlab = scenario.gitlab as Record<string, unknown>;
    const sb0 = await sandbox(scenario);
    const token = sb0.env().GITLAB_TOKEN as string;
    await sb0.close();
    gitlab.tokenScopes = { [token]: ['read_repository'] };
    const sb = await sandbox(scenario);
    const r = await auditJson(sb, demoConfig());
    expect(r.code).toBe(1);
    const errors = r.report.errors.filter((e) => e.service === 'gitlab');
    expect(errors.map((e) => [e.scope, e.code])).toEqual([['gitlab:token', 'ACCESS_DENIED']]);
    expect(errors[0]?.message).toMatch(/read_api/);
  }, 120_000);

  it('doctor says what to check, and never the token', async () => {
    const sb = await sandbox(demo());
    const file = await configFile(demoConfig());
    const r = await runCli(['doctor', '--config', file, '--format', 'json'], {
      ...sb.env(),
      GITLAB_TOKEN: WRONG,
    });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/revoked, expired or mistyped/);
    expect(r.stdout + r.stderr).not.toContain(WRONG);
  }, 60_000);
});

describe('doctor and GraphQL', () => {
  it('shows GitLab’s version and what GraphQL serves; a missing field is no failure in auto, one in graphql', async () => {
    const scenario = demo();
    const gitlab = scenario.gitlab as Record<string, unknown>;
    gitlab.graphql = { without: ['Project.branchRules', 'Environment.tier'] };
    const sb = await sandbox(scenario);
    const file = await configFile(demoConfig());
    const check = async (env: Record<string, string> = {}) => {
      const r = await runCli(['doctor', '--config', file, '--format', 'json'], { ...sb.env(), ...env });
      const out = JSON.parse(r.stdout) as { checks: { id: string; ok: boolean; detail: string }[] };
      return out.checks.find((c) => c.id === 'gitlab.graphql');
    };
    const auto = await check();
    expect(auto).toMatchObject({ ok: true });
    expect(auto?.detail).toMatch(/^GitLab 18\.6\.0; GraphQL serves projects ✓/);
    expect(auto?.detail).toMatch(/branches partly/);
    expect(auto?.detail).toMatch(/environments partly/);
    expect(auto?.detail).toMatch(/lacks Project\.branchRules, Environment\.tier/);
    const strict = await check({ ENV_REAPER_GITLAB_API: 'graphql' });
    expect(strict).toMatchObject({ ok: false });
    const off = await check({ ENV_REAPER_GITLAB_API: 'rest' });
    expect(off).toBeUndefined();
  }, 60_000);
});

describe('doctor and the GitLab URL', () => {
  it('checks that GitLab answers before the token, and names a dead URL under gitlab.url', async () => {
    const sb = await sandbox(demo());
    const file = await configFile(demoConfig());
    const run = async (env: Record<string, string>) => {
      const r = await runCli(['doctor', '--config', file, '--format', 'json'], { ...sb.env(), ...env });
      return JSON.parse(r.stdout) as { checks: { id: string; ok: boolean; detail: string; fix?: string }[] };
    };
    const live = await run({});
    expect(live.checks.find((c) => c.id === 'gitlab.url')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/answers \(GitLab 18\.6\.0\)$/),
    });
    // Nothing listens on port 1: the failure is the URL's, and the token is not blamed.
    const dead = await run({ GITLAB_URL: 'http://127.0.0.1:1' });
    expect(dead.checks.find((c) => c.id === 'gitlab.url')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^nothing answers at http:\/\/127\.0\.0\.1:1/),
      fix: expect.stringMatching(/check GITLAB_URL/),
    });
    expect(dead.checks.find((c) => c.id === 'gitlab.token')).toBeUndefined();
  }, 60_000);
});
