import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION } from '../helpers/component.js';

/**
 * Versioning with changesets, as a maintainer cuts a release: a change's note (`.changeset/*.md`), then
 * `npm run release:version` in a scratch copy of the files it touches. CHANGELOG.md gets the new section
 * from the note, and every file that names the version follows package.json.
 */
const run = promisify(execFile);
const repo = process.cwd();
let scratch: string;

const [major, minor, patch] = PACKAGE_VERSION.split('.').map(Number);
const next = `${major}.${minor}.${(patch ?? 0) + 1}`;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'env-reaper-changeset-'));
  for (const f of [
    'package.json',
    'package-lock.json',
    'CHANGELOG.md',
    'biome.json',
    '.changeset/config.json',
    'templates/env-reaper.yml',
    'deploy/kubernetes/cronjob.yaml',
    'deploy/kubernetes/deployment.yaml',
    'scripts/release/versions.mjs',
  ]) {
    await mkdir(join(scratch, f, '..'), { recursive: true });
    await cp(f, join(scratch, f));
  }
  await symlink(join(repo, 'node_modules'), join(scratch, 'node_modules'));
  await writeFile(
    join(scratch, '.changeset/fix-something.md'),
    '---\n"env-reaper": patch\n---\n\nA stack whose name has `<angle brackets>` is reported as it is.\n',
  );
  const git = (...args: string[]) =>
    run('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd: scratch });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'a change with its note');
}, 60_000);
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('npm run release:version (changesets)', () => {
  it('the committed CHANGELOG.md is the generated one: its newest section is the package version', async () => {
    const changelog = await readFile('CHANGELOG.md', 'utf8');
    expect(changelog.split('\n').find((l) => l.startsWith('## '))).toBe(`## ${PACKAGE_VERSION}`);
    await expect(run(process.execPath, ['scripts/release/versions.mjs', 'check'])).resolves.toBeDefined();
  });

  it('turns the pending note into the next version’s section and moves every file that names the version', async () => {
    await run('npm', ['run', 'release:version'], {
      cwd: scratch,
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const pkg = JSON.parse(await readFile(join(scratch, 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe(next);
    const changelog = await readFile(join(scratch, 'CHANGELOG.md'), 'utf8');
    const sections = changelog.split('\n').filter((l) => l.startsWith('## '));
    expect(sections.slice(0, 2)).toEqual([`## ${next}`, `## ${PACKAGE_VERSION}`]);
    expect(changelog).toMatch(
      new RegExp(
        `## ${next.replaceAll('.', '\\.')}\\n\\n### Patch Changes\\n\\n- [0-9a-f]{7}: A stack whose name has`,
      ),
    );
    // The note is consumed; the component, the manifests and the lockfile name the new version.
    await expect(readFile(join(scratch, '.changeset/fix-something.md'))).rejects.toThrow();
    expect(await readFile(join(scratch, 'templates/env-reaper.yml'), 'utf8')).toContain(`default: "${next}"`);
    for (const m of ['cronjob', 'deployment'])
      expect(await readFile(join(scratch, `deploy/kubernetes/${m}.yaml`), 'utf8')).toContain(
        `/env-reaper:${next}`,
      );
    const lock = JSON.parse(await readFile(join(scratch, 'package-lock.json'), 'utf8')) as {
      version: string;
      packages: Record<string, { version: string }>;
    };
    expect([lock.version, lock.packages['']?.version]).toEqual([next, next]);
    const { stdout } = await run(process.execPath, ['scripts/release/versions.mjs', 'check'], {
      cwd: scratch,
    });
    expect(stdout).toContain(`every file names ${next}`);
  }, 120_000);

  it('versions.mjs check fails when a file names another version', async () => {
    const file = join(scratch, 'deploy/kubernetes/cronjob.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(`/env-reaper:${next}`, '/env-reaper:9.9.9'));
    await expect(
      run(process.execPath, ['scripts/release/versions.mjs', 'check'], { cwd: scratch }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('cronjob.yaml names 9.9.9'),
    });
  });
});
