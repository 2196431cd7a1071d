import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The README's first command, `npm run demo`, as a newcomer runs it (after the build `npm test` made):
 * the audit, an apply and a second audit against the embedded sandbox. It must finish, delete what the
 * scenario makes due, and keep what it protects.
 */
describe('npm run demo', () => {
  it('audits, reaps and audits again against the sandbox, and says what it did', async () => {
    const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/demo.ts'], {
      env: { ...process.env, ENV_REAPER_LOG_LEVEL: 'error' },
      maxBuffer: 16 * 2 ** 20,
      timeout: 120_000,
    });
    expect(stdout).toMatch(/^sandbox: AWS http:\/\/127\.0\.0\.1:\d+, GitLab http:\/\/127\.0\.0\.1:\d+/);
    const deleted = /DeleteStack sent for: (.*)/.exec(stdout)?.[1]?.split(', ') ?? [];
    expect(deleted.length).toBeGreaterThan(2);
    expect(deleted).not.toContain('review-shop-fix-typo');
    expect(stdout).toMatch(/now DELETE_COMPLETE: .*review-/);
    expect(stdout).toContain('Dashboard issue acme/shop#1');
    // Issue #36: the leftovers wait deleteAfter; the run's message reached the chat webhook.
    expect(stdout).toMatch(/review-shop-feature-gone-uploads.*\[waiting until \d{4}-\d{2}-\d{2}\]/);
    expect(stdout).toMatch(/The run's Slack message[\s\S]*Deleted: \d+ stacks?, 0 leftovers/);
    // Its state and audit log are the demo's own, in the directory it names, never in the checkout.
    const work = /state and audit log in (\S+)/.exec(stdout)?.[1] ?? '';
    expect(existsSync(join(work, 'state.json')) && existsSync(join(work, 'audit.jsonl'))).toBe(true);
    expect(existsSync('.env-reaper')).toBe(false);
  }, 180_000);
});

/**
 * The README's component walk-through, `npm run demo:component`: the component included at the package
 * version, fetched and run by gitlab-ci-local against the sandbox, its reports left as artifacts.
 */
describe('npm run demo:component', () => {
  it.skipIf(!existsSync('/usr/bin/rsync'))(
    'includes the component at the current version and runs its audit job under gitlab-ci-local',
    async () => {
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/demo-component.ts'], {
        env: { ...process.env, ENV_REAPER_LOG_LEVEL: 'error' },
        maxBuffer: 16 * 2 ** 20,
        timeout: 120_000,
      });
      expect(stdout).toContain(`component: $CI_SERVER_FQDN/platform/env-reaper/env-reaper@${version}`);
      expect(stdout).toMatch(/env-reaper:audit > env-reaper dry-run/);
      const listed = /The job's artifacts:\n((?: {2}\S+\n?)+)/.exec(stdout)?.[1]?.trim().split(/\s+/) ?? [];
      expect(listed.map((f) => f.split('/').at(-1))).toEqual([
        'env-reaper.json',
        'env-reaper.md',
        'env-reaper.junit.xml',
      ]);
      for (const f of listed) expect(existsSync(f)).toBe(true);
      const report = JSON.parse(readFileSync(listed[0] as string, 'utf8')) as {
        summary: { stacksScanned: number };
      };
      expect(report.summary.stacksScanned).toBe(46);
      expect(existsSync('.gitlab-ci-local')).toBe(false);
    },
    180_000,
  );
});

/**
 * A demo that cannot lie (issue #33): without what gitlab-ci-local needs, `npm run demo:component` fails at
 * once, naming it and how to get it, instead of printing artifacts that were never written.
 */
describe('npm run demo:component without its prerequisites', () => {
  it('exits non-zero before anything starts, naming rsync and how to install it', async () => {
    // A PATH with git and node but no rsync.
    const bin = mkdtempSync(join(tmpdir(), 'env-reaper-path-'));
    for (const tool of ['git', 'node']) {
      const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (where) symlinkSync(where, join(bin, tool));
    }
    const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/demo-component.ts'], {
      env: { ...process.env, PATH: bin },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /needs rsync, which is not on the PATH: install rsync \(Debian: apt-get install rsync/,
    );
    expect(r.stdout).not.toMatch(/artifacts/);
  }, 60_000);
});

/** The CLI from a checkout (issue #33): a rebuild keeps the bin executable, on the Node npm scripts use. */
describe('the CLI from a checkout', () => {
  it('dist/cli/main.js is executable after the build, and npm exec runs it', () => {
    expect(statSync('dist/cli/main.js').mode & 0o111).toBe(0o111);
    const r = spawnSync('npm', ['exec', '--offline', '--', 'env-reaper', '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+ \(/);
  }, 60_000);
});
