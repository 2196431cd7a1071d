import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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
