import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

/**
 * The env-reaper component as a user's GitLab would serve it, without a GitLab: this checkout's
 * `templates/` committed and tagged in a scratch repository, and git told (url.insteadOf, in the
 * environment of the processes we start only) to fetch `https://<host>/platform/env-reaper.git` from it.
 * gitlab-ci-local then resolves `include: component: …@<version>` exactly as it does against a real
 * instance: `git ls-remote --tags` for partial versions, a sparse clone of the tag.
 */
const run = promisify(execFile);

/** The version in this checkout's package.json (what a release from it would be). */
export const PACKAGE_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string })
  .version;

/** gitlab-ci-local's entry point (run with the Node that runs the tests: it needs Node 22+). */
export const GCL = join(process.cwd(), 'node_modules/gitlab-ci-local/dist/index.js');

/** The host of the user's GitLab in these tests: loopback, so a fetch git was not told about stays here. */
export const GITLAB_HOST = '127.0.0.1';

const git = (cwd: string, ...args: string[]) =>
  run('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd });

/** A published component: the bare repository and the git environment that points the host at it. */
export interface PublishedComponent {
  /** `GIT_CONFIG_*` variables: only the env-reaper project's URL is rewritten. */
  gitEnv: Record<string, string>;
}

/** Commits this checkout's `templates/` to a scratch "env-reaper" project and tags it with each version. */
export async function publishComponent(versions: string[]): Promise<PublishedComponent> {
  const root = await mkdtemp(join(tmpdir(), 'env-reaper-component-'));
  const source = join(root, 'source');
  await mkdir(source);
  await cp('templates', join(source, 'templates'), { recursive: true });
  await git(source, 'init', '-q', '-b', 'main');
  await git(source, 'add', '-A');
  await git(source, 'commit', '-qm', 'env-reaper component');
  for (const v of versions) await git(source, 'tag', v);
  const bare = join(root, 'server/platform/env-reaper.git');
  await run('git', ['clone', '-q', '--bare', source, bare]);
  const url = `file://${bare}`;
  return {
    gitEnv: {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: `url.${url}.insteadOf`,
      GIT_CONFIG_VALUE_0: `https://${GITLAB_HOST}/platform/env-reaper.git`,
      // gitlab-ci-local's `git ls-remote` names the port.
      GIT_CONFIG_KEY_1: `url.${url}.insteadOf`,
      GIT_CONFIG_VALUE_1: `https://${GITLAB_HOST}:443/platform/env-reaper.git`,
    },
  };
}

/** A user's project (a git repository whose origin is on the user's GitLab) with the given files. */
export async function userProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-user-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-qm', 'init');
  await git(dir, 'remote', 'add', 'origin', `https://${GITLAB_HOST}/platform/reaper.git`);
  return dir;
}

/** gitlab-ci-local's `--preview` output: the merged configuration after its warnings. */
export function previewJobs<T>(stdout: string): Record<string, T> {
  return parse(stdout.slice(stdout.indexOf('\n---\n') + 1)) as Record<string, T>;
}

/** Runs gitlab-ci-local in a project; `variables` become `--variable` (CI/CD variables). */
export function gitlabCiLocal(
  project: string,
  args: string[],
  options: { variables?: Record<string, string>; env?: Record<string, string>; timeout?: number } = {},
) {
  const vars = Object.entries(options.variables ?? {}).flatMap(([k, v]) => ['--variable', `${k}=${v}`]);
  return run(process.execPath, [GCL, ...vars, ...args], {
    cwd: project,
    env: {
      ...process.env,
      // The tests stand in for pipeline schedules and tags.
      GCL_IGNORE_PREDEFINED_VARS: 'CI_PIPELINE_SOURCE',
      ...options.env,
    },
    timeout: options.timeout ?? 120_000,
    maxBuffer: 32 * 1024 * 1024,
  });
}
