import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFile, runCli } from '../helpers/cli.js';
import { demoWithReadOnlyToken, READ_ONLY_TOKEN } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/** `env-reaper doctor` as a process against the sandbox: all green on the demo, and each problem named. */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const READ_ONLY = READ_ONLY_TOKEN;

interface Checks {
  ok: boolean;
  checks: { id: string; ok: boolean; detail: string; fix?: string }[];
}

async function setup() {
  const { scenario, demoConfig: demo } = await demoWithReadOnlyToken();
  const sb = await startSandbox({ scenario });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-doctor-'));
  const config = (extra: Record<string, unknown> = {}) =>
    configFile({
      ...demo,
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      ...extra,
    });
  const doctor = async (file: string, env: Record<string, string> = {}, flags: string[] = []) => {
    const r = await runCli(['doctor', '--config', file, '--format', 'json', ...flags], {
      ...sb.env(),
      ...env,
    });
    return { code: r.code, out: JSON.parse(r.stdout) as Checks, stderr: r.stderr };
  };
  return { sb, config, doctor };
}

const failed = (c: Checks) => c.checks.filter((x) => !x.ok);

describe('doctor e2e', () => {
  it('with --apply proves every read the configured features need, and names a missing IAM action with its policy line', async () => {
    const { sb, config, doctor } = await setup();
    const file = await config({
      leftovers: { enabled: true },
      policy: { onDeleteFailed: 'empty-and-retry' },
    });
    const green = await doctor(file, {}, ['--apply']);
    expect(failed(green.out), green.stderr.slice(-1000)).toEqual([]);
    const ids = green.out.checks.map((c) => c.id);
    for (const action of [
      'cloudformation:ListExports',
      'cloudformation:ListImports',
      'cloudformation:DescribeStackEvents',
      'cloudformation:ListStackResources',
      'tag:GetResources',
      'ecr:DescribeRepositories',
      'logs:DescribeLogGroups',
      's3:ListBucketVersions',
      'ecr:DescribeImages',
    ])
      expect(ids).toContain(`aws.ambient.eu-west-1.${action}`);
    // The demo exports something in eu-west-1: ListImports was really asked.
    expect(
      green.out.checks.find((c) => c.id === 'aws.ambient.eu-west-1.cloudformation:ListImports')?.detail,
    ).toMatch(/importers of /);
    sb.world.addFault({
      service: 'aws',
      match: 'ListImports',
      kind: 'error',
      status: 403,
      code: 'AccessDenied',
    });
    const denied = await doctor(file, {}, ['--apply']);
    expect(denied.code).toBe(1);
    expect(failed(denied.out)).toEqual([
      expect.objectContaining({
        id: 'aws.ambient.eu-west-1.cloudformation:ListImports',
        fix: 'add "cloudformation:ListImports" to the Action list of statement "Read" in the env-reaper policy (deploy/iam/reap.json)',
      }),
    ]);
    expect(sb.world.writes).toEqual([]);
  }, 60_000);

  it('passes on the demo sandbox, state write test included, and writes nothing to AWS or GitLab', async () => {
    const { sb, config, doctor } = await setup();
    const r = await doctor(await config(), {}, ['--write-test']);
    expect(failed(r.out), r.stderr.slice(-1000)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'gitlab.token',
        'gitlab.dashboard',
        'aws.ambient',
        'aws.ambient.eu-west-1',
        'aws.ambient.us-east-1',
        'aws.ambient.cost',
        'state.read',
        'state.write',
      ]),
    );
    expect(sb.world.writes).toEqual([]);
    // The table form is a checklist a person reads.
    const table = await runCli(['doctor', '--config', await config()], sb.env());
    expect(table.stdout).toMatch(/^✓ gitlab\.token +token scopes: api$/m);
    expect(table.stdout).toMatch(/all checks passed/);
  }, 60_000);

  it('names each problem with its fix, and exits 1', async () => {
    const { sb, config, doctor } = await setup();
    // A bad token.
    const bad = await doctor(await config(), { GITLAB_TOKEN: 'glpat-wrong' });
    expect(bad.code).toBe(1);
    expect(failed(bad.out)).toEqual([
      expect.objectContaining({
        id: 'gitlab.token',
        fix: expect.stringMatching(/GitLab refused the token: check GITLAB_TOKEN/),
      }),
    ]);
    // A read_api token is enough for audit, not for reap --apply.
    expect((await doctor(await config(), { GITLAB_TOKEN: READ_ONLY })).code).toBe(0);
    const ro = await doctor(await config(), { GITLAB_TOKEN: READ_ONLY }, ['--apply']);
    expect(ro.code).toBe(1);
    expect(failed(ro.out)).toEqual([
      expect.objectContaining({
        id: 'gitlab.token',
        fix: expect.stringMatching(/api scope for reap --apply/),
      }),
    ]);
    // Credentials of another account than the configured one.
    const wrong = await doctor(
      await config({ aws: { regions: ['eu-west-1'], accounts: [{ id: '999999999999' }] } }),
    );
    expect(wrong.code).toBe(1);
    expect(failed(wrong.out)).toEqual([
      expect.objectContaining({
        id: 'aws.999999999999',
        detail: 'credentials belong to account 111111111111, not 999999999999',
      }),
    ]);
    // A region the account cannot use.
    sb.world.addFault({
      service: 'aws',
      match: 'DescribeStacks',
      kind: 'error',
      status: 400,
      code: 'OptInRequired',
      message: 'region me-south-1 is not enabled for this account',
      after: 1,
    });
    const region = await doctor(
      await config({ aws: { regions: ['eu-west-1', 'me-south-1'] }, cost: { enabled: false } }),
    );
    expect(region.code).toBe(1);
    expect(failed(region.out)).toEqual([
      expect.objectContaining({
        id: 'aws.ambient.me-south-1',
        fix: expect.stringMatching(/me-south-1 is enabled/),
      }),
    ]);
    expect(sb.world.writes).toEqual([]);
  }, 90_000);
});
