import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
      const reports = /The job's artifacts: (\S+)\/env-reaper/.exec(stdout)?.[1] ?? '';
      const report = JSON.parse(readFileSync(join(reports, 'env-reaper.json'), 'utf8')) as {
        summary: { stacksScanned: number };
      };
      expect(report.summary.stacksScanned).toBe(46);
      expect(existsSync('.gitlab-ci-local')).toBe(false);
    },
    180_000,
  );
});
