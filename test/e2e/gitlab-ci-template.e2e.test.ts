import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * The GitLab CI template, run by gitlab-ci-local with the shell executor: a project that includes the
 * template, pipeline-schedule variables, and env-reaper (the built CLI) against the sandbox.
 */
const run = promisify(execFile);
const GCL = join(process.cwd(), 'node_modules/.bin/gitlab-ci-local');
// gitlab-ci-local's shell executor needs rsync (Debian `rsync`; .ci/run installs it).
const haveRsync = existsSync('/usr/bin/rsync');
if (!haveRsync && process.env.CI) throw new Error('CI must install rsync (see .ci/run)');
if (!haveRsync)
  process.stderr.write('GitLab CI template tests skipped: rsync missing (apt-get install rsync)\n');

let sb: Sandbox;
let project: string;
beforeAll(async () => {
  if (!haveRsync) return;
  sb = await startSandbox({
    scenario: liveAndGoneWorld({ live: 5, gone: ['review-gone'], liveCreated: '-2d' }),
  });
  project = await mkdtemp(join(tmpdir(), 'env-reaper-glci-'));
  await cp('templates/env-reaper.gitlab-ci.yml', join(project, 'templates/env-reaper.gitlab-ci.yml'), {
    recursive: true,
  });
  await writeFile(
    join(project, '.gitlab-ci.yml'),
    'include:\n  - local: templates/env-reaper.gitlab-ci.yml\n',
  );
  await writeFile(
    join(project, 'env-reaper.yaml'),
    `aws:\n  regions: [eu-west-1]\npolicy:\n  grace:\n    branchDeleted: 0s\nlimits:\n  maxDeletionPercent: 50\nstate:\n  path: ${join(project, 'state.json')}\n  auditLog: ${join(project, 'audit.jsonl')}\n`,
  );
  const git = (...args: string[]) =>
    run('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd: project });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'init');
});
afterAll(() => sb?.close());

async function gcl(job: string, vars: Record<string, string>, extra: string[] = []) {
  const env = sb.env();
  const variables = {
    ...env,
    ...vars,
    ENV_REAPER_CMD: `${process.execPath} ${CLI}`,
    ENV_REAPER_LOG_LEVEL: 'warn',
  };
  const args = [
    '--force-shell-executor',
    '--artifacts-to-source',
    ...Object.entries(variables).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
    ...extra,
    job,
  ];
  return run(process.execPath, [GCL, ...args], {
    cwd: project,
    env: { ...process.env, GCL_IGNORE_PREDEFINED_VARS: 'CI_PIPELINE_SOURCE' },
    timeout: 120_000,
  });
}

describe.skipIf(!haveRsync)('templates/env-reaper.gitlab-ci.yml under gitlab-ci-local', () => {
  it('offers the jobs only to the matching pipeline schedule', async () => {
    const list = async (vars: string[]) =>
      (
        await run(process.execPath, [GCL, '--list', ...vars.flatMap((v) => ['--variable', v])], {
          cwd: project,
          env: { ...process.env, GCL_IGNORE_PREDEFINED_VARS: 'CI_PIPELINE_SOURCE' },
        })
      ).stdout;
    expect(await list(['CI_PIPELINE_SOURCE=schedule', 'ENV_REAPER_JOB=reap'])).toMatch(/env-reaper:reap/);
    expect(await list(['CI_PIPELINE_SOURCE=schedule', 'ENV_REAPER_JOB=reap'])).not.toMatch(
      /env-reaper:audit/,
    );
    expect(await list(['CI_PIPELINE_SOURCE=push'])).not.toMatch(/env-reaper:(audit|reap)/);
  });

  it('runs the audit job and leaves JSON, Markdown and JUnit reports as artifacts', async () => {
    await gcl('env-reaper:audit', { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'audit' });
    const report = JSON.parse(await readFile(join(project, 'reports/env-reaper.json'), 'utf8')) as {
      mode: string;
      summary: { inScope: number };
    };
    expect(report).toMatchObject({ mode: 'dry-run', summary: { inScope: 6 } });
    expect(await readFile(join(project, 'reports/env-reaper.md'), 'utf8')).toMatch(
      /## env-reaper dry-run report/,
    );
    const junit = await readFile(join(project, 'reports/env-reaper.junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="env-reaper dry-run" tests="6" failures="1"/);
    expect(junit).toMatch(
      /<testcase classname="env-reaper.acme\/shop" name="review-gone \(111111111111\/eu-west-1\)"[^>]*>\s*<failure message="branch-deleted: due for deletion"/,
    );
    expect(sb.world.writes).toEqual([]);
  }, 120_000);

  it('runs the reap job, which deletes what is due', async () => {
    await gcl('env-reaper:reap', { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'reap' });
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => w.params?.name)).toEqual([
      'review-gone',
    ]);
    const junit = await readFile(join(project, 'reports/env-reaper.junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="deleted \(branch-deleted\)"/);
  }, 120_000);

  it('plan, then the manual apply job: only what the plan lists is deleted', async () => {
    // feature/live-4's MR is closed and its branch deleted in GitLab: its stack becomes due.
    const p = sb.world.projects.get(1);
    p?.branches.delete('feature/live-4');
    if (p) p.branchNames = p.branchNames.filter((n) => n !== 'feature/live-4');
    const closedAt = new Date(Date.now() - 3_600_000).toISOString();
    Object.assign(p?.mergeRequests.find((m) => m.sourceBranch === 'feature/live-4') ?? {}, {
      state: 'closed',
      closedAt,
      updatedAt: closedAt,
    });
    const before = sb.world.writes.length;
    await gcl('env-reaper:plan', { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'plan' });
    expect(await readFile(join(project, 'reports/env-reaper.plan.md'), 'utf8')).toMatch(/dry-run report/);
    const plan = JSON.parse(await readFile(join(project, 'reports/env-reaper.plan.json'), 'utf8')) as {
      stacks: { name: string }[];
    };
    expect(plan.stacks.map((s) => s.name)).toEqual(['review-live-4']);
    expect(sb.world.writes.length).toBe(before);
    const list = (
      await run(
        process.execPath,
        [GCL, '--list', '--variable', 'CI_PIPELINE_SOURCE=schedule', '--variable', 'ENV_REAPER_JOB=plan'],
        {
          cwd: project,
          env: { ...process.env, GCL_IGNORE_PREDEFINED_VARS: 'CI_PIPELINE_SOURCE' },
        },
      )
    ).stdout;
    expect(list).toMatch(/env-reaper:apply\s.*manual/);
    await gcl('env-reaper:apply', { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'plan' }, [
      '--manual',
      'env-reaper:apply',
    ]);
    const deleted = sb.world.writes
      .slice(before)
      .filter((w) => w.operation === 'DeleteStack')
      .map((w) => w.params?.name);
    expect(deleted).toEqual(['review-live-4']);
  }, 120_000);
});
