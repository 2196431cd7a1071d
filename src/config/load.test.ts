import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { envOverrides } from './env.js';
import { defaultConfig, loadConfig, parseConfig, policyFromConfig } from './load.js';

async function yamlFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-cfg-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, text);
  return file;
}

describe('loadConfig', () => {
  it('fills every default', () => {
    const c = defaultConfig();
    expect(c.mode).toBe('dry-run');
    // Durations are parsed once, in the schema: the code reads milliseconds and restates no default.
    expect(c.policy.grace.merged).toBe(3_600_000);
    expect(c.notify.dashboard.recentlyDeleted).toBe(7 * 86_400_000);
    expect(c.limits).toMatchObject({ maxDeletionsPerRun: 10, maxDeletionPercent: 25 });
    expect(c.ownership.tags.projectId).toBe('gitlab:project-id');
  });

  it('applies defaults < file < env < flags', async () => {
    const file = await yamlFile(
      'limits:\n  maxDeletionsPerRun: 3\n  maxDeletionPercent: 10\npolicy:\n  idleAfterDays: 20\n',
    );
    const c = await loadConfig({
      file,
      env: { ENV_REAPER_LIMITS_MAX_DELETION_PERCENT: '15', ENV_REAPER_AWS_REGIONS: 'eu-west-1,us-east-1' },
      flags: { aws: { regions: ['ap-south-1'] } },
    });
    expect(c.limits.maxDeletionsPerRun).toBe(3);
    expect(c.limits.maxDeletionPercent).toBe(15);
    expect(c.policy.idleAfterDays).toBe(20);
    expect(c.aws.regions).toEqual(['ap-south-1']);
  });

  it('reads GITLAB_URL, then CI_SERVER_URL, unless the config sets gitlab.url', async () => {
    expect((await loadConfig({ env: { CI_SERVER_URL: 'https://ci.example' } })).gitlab.url).toBe(
      'https://ci.example',
    );
    expect(
      (await loadConfig({ env: { CI_SERVER_URL: 'https://ci.example', GITLAB_URL: 'https://gl.example' } }))
        .gitlab.url,
    ).toBe('https://gl.example');
    const file = await yamlFile('gitlab:\n  url: https://file.example\n');
    expect((await loadConfig({ file, env: { GITLAB_URL: 'https://gl.example' } })).gitlab.url).toBe(
      'https://file.example',
    );
  });

  it('reports every problem at once with its path', async () => {
    const file = await yamlFile(
      'policy:\n  grace:\n    merged: two hours\n  actions:\n    active: delete\nlimits:\n  maxDeletionsPerRun: -1\nlimts: {}\n',
    );
    const err = await loadConfig({ file, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => i.path);
    expect(issues).toEqual(
      expect.arrayContaining([
        'policy.grace.merged',
        'policy.actions.active',
        'limits.maxDeletionsPerRun',
        'limts',
      ]),
    );
    expect((err as ConfigError).message).toContain('policy.grace.merged: expected a duration like "2h"');
  });

  it('rejects YAML syntax errors as config errors', async () => {
    const file = await yamlFile('limits: [\n');
    await expect(loadConfig({ file, env: {} })).rejects.toBeInstanceOf(ConfigError);
  });

  it('maps every env variable name from the schema', () => {
    expect(
      envOverrides({
        ENV_REAPER_POLICY_GRACE_BRANCH_DELETED: '3h',
        ENV_REAPER_POLICY_DELETE_ENVIRONMENTS: 'true',
      }),
    ).toEqual({
      policy: { grace: { branchDeleted: '3h' }, deleteEnvironments: true },
    });
  });

  it('derives the core policy with durations in ms', () => {
    const p = policyFromConfig(defaultConfig());
    expect(p.graceMs.merged).toBe(3_600_000);
    expect(p.graceMs['branch-deleted']).toBe(7_200_000);
    expect(p.actions.merged).toBe('delete');
  });

  it('gives every deletable verdict its own grace key, each read from its own setting', () => {
    const grace = {
      merged: '1s',
      branchDeleted: '2s',
      abandoned: '3s',
      idle: '4s',
      projectGone: '5s',
      unowned: '6s',
      deleteFailed: '7s',
    };
    const p = policyFromConfig(parseConfig({ policy: { grace } }));
    expect(p.graceMs).toEqual({
      merged: 1000,
      'branch-deleted': 2000,
      abandoned: 3000,
      idle: 4000,
      'project-gone': 5000,
      unowned: 6000,
      'delete-failed': 7000,
    });
  });

  it('refuses a recently-deleted window longer than state keeps deletions', () => {
    expect(() => parseConfig({ notify: { dashboard: { recentlyDeleted: '31d' } } })).toThrow(/at most 30d/);
    expect(
      parseConfig({ notify: { dashboard: { recentlyDeleted: '30d' } } }).notify.dashboard.recentlyDeleted,
    ).toBe(30 * 86_400_000);
  });
});

describe('no input without effect (issue #33)', () => {
  const issues = async (env: Record<string, string>, file?: string) => {
    const e = await loadConfig({ env, ...(file ? { file } : {}) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  };

  it('an unknown ENV_REAPER_ variable is an error that names the nearest key', async () => {
    expect(await issues({ ENV_REAPER_POLICY_GRASE_MERGED: '1h' })).toEqual([
      {
        path: 'ENV_REAPER_POLICY_GRASE_MERGED',
        message: 'unknown variable (did you mean ENV_REAPER_POLICY_GRACE_MERGED?)',
      },
    ]);
    // Nothing near: no guess.
    expect(await issues({ ENV_REAPER_SOMETHING_ELSE_ENTIRELY: 'x' })).toEqual([
      { path: 'ENV_REAPER_SOMETHING_ELSE_ENTIRELY', message: 'unknown variable' },
    ]);
  });

  it('the CI/CD component’s own variables and a renamed key’s old name are known', async () => {
    const c = await loadConfig({
      env: {
        ENV_REAPER_JOB: 'audit',
        ENV_REAPER_CMD: 'env-reaper',
        ENV_REAPER_NOTIFY_MERGE_REQUEST_NOTICES: 'true',
      },
    });
    expect(c.notify.warnBeforeDelete).toBe(true);
  });

  it('a bad value from a variable names the variable', async () => {
    const [issue] = await issues({ ENV_REAPER_POLICY_GRACE_MERGED: 'abc' });
    expect(issue?.path).toBe('policy.grace.merged');
    expect(issue?.message).toMatch(/\(set by ENV_REAPER_POLICY_GRACE_MERGED\)$/);
  });

  it('an unknown key in the file says which key it most likely meant', async () => {
    const file = await yamlFile('policy:\n  grase:\n    merged: 1h\n');
    expect(await issues({}, file)).toEqual([
      { path: 'policy.grase', message: 'unknown key (did you mean policy.grace?)' },
    ]);
  });
});
