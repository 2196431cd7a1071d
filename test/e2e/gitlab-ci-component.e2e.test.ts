import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import {
  gitlabCiLocal,
  PACKAGE_VERSION,
  type PublishedComponent,
  previewJobs,
  publishComponent,
  userProject,
} from '../helpers/component.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * The CI/CD component (`templates/env-reaper.yml`), as a user includes it: `include: component:` at a
 * version, fetched by gitlab-ci-local from a tagged repository, with inputs, run with the shell executor
 * (env-reaper is the built CLI instead of the image) against the sandbox.
 */
// gitlab-ci-local's shell executor needs rsync (Debian `rsync`; .ci/run installs it).
const haveRsync = existsSync('/usr/bin/rsync');
if (!haveRsync && process.env.CI) throw new Error('CI must install rsync (see .ci/run)');
if (!haveRsync)
  process.stderr.write('GitLab CI component tests skipped: rsync missing (apt-get install rsync)\n');

const IMAGE = 'registry.example.com/platform/env-reaper';
const [major, minor] = PACKAGE_VERSION.split('.');
const include = (mode: string, extra = '') =>
  `  - component: $CI_SERVER_FQDN/platform/env-reaper/env-reaper@${major}.${minor}\n    inputs:\n      image: ${IMAGE}\n      mode: ${mode}\n${extra}`;

let sb: Sandbox;
let published: PublishedComponent;
let project: string;
beforeAll(async () => {
  if (!haveRsync) return;
  sb = await startSandbox({
    scenario: liveAndGoneWorld({ live: 5, gone: ['review-gone'], liveCreated: '-2d' }),
  });
  // An older release and the current one: `@<major>.<minor>` must pick the newest of its line.
  published = await publishComponent([`${major}.${minor}.0-rc.1`, PACKAGE_VERSION]);
  project = await userProject({
    '.gitlab-ci.yml': `include:\n${['audit', 'plan', 'apply'].map((m) => include(m, '      regions: eu-west-1\n')).join('')}`,
    // No regions in the config, and AWS_REGION elsewhere: the jobs scan eu-west-1 because the input says so.
    'env-reaper.yaml': 'policy:\n  grace:\n    branchDeleted: 0s\nlimits:\n  maxDeletionPercent: 50\n',
  });
});
const after: (() => unknown)[] = [];
afterAll(async () => {
  await sb?.close();
  for (const f of after) await f();
});

function gcl(args: string[], variables: Record<string, string> = {}) {
  return gitlabCiLocal(project, args, {
    env: published.gitEnv,
    variables: {
      ...sb.env(),
      ...variables,
      AWS_REGION: 'us-east-1',
      ENV_REAPER_CMD: `${process.execPath} ${CLI}`,
      ENV_REAPER_LOG_LEVEL: 'warn',
      ENV_REAPER_STATE_PATH: join(project, 'state.json'),
      ENV_REAPER_STATE_AUDIT_LOG: join(project, 'audit.jsonl'),
    },
  });
}
const run = (job: string, variables: Record<string, string>, extra: string[] = []) =>
  gcl(['--force-shell-executor', '--artifacts-to-source', ...extra, job], variables);
const list = async (variables: Record<string, string>) =>
  (await gcl(['--list'], variables)).stdout
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0])
    .filter(Boolean);

describe.skipIf(!haveRsync)('the env-reaper component under gitlab-ci-local', () => {
  it('resolves the version, fills the inputs (image tag defaults to the component’s version) and refuses an unknown mode', async () => {
    const preview = previewJobs<{
      image?: { name: string };
      variables?: Record<string, string>;
      stage?: string;
    }>((await gcl(['--preview'])).stdout);
    expect(preview['env-reaper:audit']?.image?.name).toBe(`${IMAGE}:${PACKAGE_VERSION}`);
    expect(preview['env-reaper:audit']?.variables).toMatchObject({
      ENV_REAPER_COMPONENT_MODE: 'audit',
      ENV_REAPER_COMPONENT_REGIONS: 'eu-west-1',
      ENV_REAPER_CONFIG: 'env-reaper.yaml',
    });
    expect(preview['env-reaper:apply']?.stage).toBe('test');
    const bad = await userProject({
      '.gitlab-ci.yml': `include:\n${include('delete')}`,
    });
    await expect(gitlabCiLocal(bad, ['--list'], { env: published.gitEnv })).rejects.toMatchObject({
      stderr: expect.stringMatching(/mode.*(audit, plan, apply|options)/i),
    });
    const badRegions = await userProject({
      '.gitlab-ci.yml': `include:\n${include('audit', '      regions: eu-west-1; rm -rf /\n')}`,
    });
    await expect(gitlabCiLocal(badRegions, ['--list'], { env: published.gitEnv })).rejects.toMatchObject({
      stderr: expect.stringMatching(/regions/),
    });
  });

  it('offers each mode’s job to its schedule (ENV_REAPER_JOB), every job to a schedule without it, none to a push', async () => {
    expect(await list({ CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'apply' })).toEqual([
      'env-reaper:apply',
    ]);
    expect(await list({ CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'plan' })).toEqual([
      'env-reaper:plan',
      'env-reaper:plan:approve',
    ]);
    expect((await list({ CI_PIPELINE_SOURCE: 'schedule' })).sort()).toEqual([
      'env-reaper:apply',
      'env-reaper:audit',
      'env-reaper:plan',
      'env-reaper:plan:approve',
    ]);
    expect(await list({ CI_PIPELINE_SOURCE: 'push' })).toEqual([]);
  });

  it('runs the audit job: JSON, Markdown and JUnit reports as artifacts, the region from the input, nothing written', async () => {
    await run('env-reaper:audit', { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'audit' });
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

  it('runs the apply job, which deletes what is due', async () => {
    await run('env-reaper:apply', { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'apply' });
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => w.params?.name)).toEqual([
      'review-gone',
    ]);
    const junit = await readFile(join(project, 'reports/env-reaper.junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="deleted \(branch-deleted\)"/);
  }, 120_000);

  it('plan, then the manual approve job: only what the plan lists is deleted', async () => {
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
    const vars = { CI_PIPELINE_SOURCE: 'schedule', ENV_REAPER_JOB: 'plan' };
    await run('env-reaper:plan', vars);
    expect(await readFile(join(project, 'reports/env-reaper.md'), 'utf8')).toMatch(/dry-run report/);
    const plan = JSON.parse(await readFile(join(project, 'reports/env-reaper.plan.json'), 'utf8')) as {
      stacks: { name: string }[];
    };
    expect(plan.stacks.map((s) => s.name)).toEqual(['review-live-4']);
    expect(sb.world.writes.length).toBe(before);
    expect((await gcl(['--list'], vars)).stdout).toMatch(/env-reaper:plan:approve\s.*manual/);
    await run('env-reaper:plan:approve', vars, ['--manual', 'env-reaper:plan:approve']);
    const deleted = sb.world.writes
      .slice(before)
      .filter((w) => w.operation === 'DeleteStack')
      .map((w) => w.params?.name);
    expect(deleted).toEqual(['review-live-4']);
  }, 120_000);

  it('as a plain `include:` of the file with inputs: extra arguments reach env-reaper (--fail-on fails the job)', async () => {
    const own = await startSandbox({
      scenario: liveAndGoneWorld({ live: 1, gone: ['review-gone'], liveCreated: '-2d' }),
    });
    after.push(() => own.close());
    const plain = await userProject({
      '.gitlab-ci.yml': `include:\n  - local: templates/env-reaper.yml\n    inputs:\n      image: ${IMAGE}\n      args: --fail-on merged,branch-deleted\n      regions: eu-west-1\n`,
      'templates/env-reaper.yml': await readFile('templates/env-reaper.yml', 'utf8'),
      'env-reaper.yaml': 'policy:\n  grace:\n    branchDeleted: 0s\n',
    });
    const vars = {
      ...own.env(),
      CI_PIPELINE_SOURCE: 'web',
      ENV_REAPER_CMD: `${process.execPath} ${CLI}`,
      ENV_REAPER_LOG_LEVEL: 'warn',
      ENV_REAPER_STATE_PATH: join(plain, 'state.json'),
    };
    const failed = gitlabCiLocal(plain, ['--force-shell-executor', 'env-reaper:audit'], { variables: vars });
    await expect(failed).rejects.toMatchObject({ stdout: expect.stringMatching(/env-reaper:audit/) });
    expect(JSON.parse(await readFile(join(plain, 'reports/env-reaper.json'), 'utf8'))).toMatchObject({
      summary: { inScope: 2 },
    });
    expect(own.world.writes).toEqual([]);
  }, 120_000);
});
