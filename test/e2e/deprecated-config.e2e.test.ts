import { afterEach, describe, expect, it } from 'vitest';
import { closeSandboxes, sandbox } from '../helpers/audit-e2e.js';
import { configFile, runCli } from '../helpers/cli.js';

/**
 * A renamed configuration key, as a user who upgraded meets it: `config validate` says the file is valid
 * and lists the old key with its replacement; a run works as configured and logs the deprecation.
 */
afterEach(closeSandboxes);

describe('renamed configuration keys (the built CLI)', () => {
  it('config validate: valid, with a warning line per old key; both names at once is exit 2', async () => {
    const old = await configFile({ notify: { mergeRequestNotices: false } });
    const ok = await runCli(['config', 'validate', '--config', old], {});
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      `${old}: valid\nwarning: notify.mergeRequestNotices is deprecated (config file): use notify.warnBeforeDelete; notify.mergeRequestNotices stops working in 0.2.0\n`,
    );
    const fresh = await runCli(
      ['config', 'validate', '--config', await configFile({ notify: { warnBeforeDelete: false } })],
      {},
    );
    expect(fresh.stdout).not.toContain('warning');
    const both = await runCli(
      [
        'config',
        'validate',
        '--config',
        await configFile({ notify: { mergeRequestNotices: false, warnBeforeDelete: true } }),
      ],
      {},
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      'notify.mergeRequestNotices: renamed to notify.warnBeforeDelete, which is also set',
    );
  });

  it('a run with the old name logs the deprecation and runs', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const r = await runCli(['audit', '--format', 'json'], {
      ...sb.env(),
      ENV_REAPER_NOTIFY_MERGE_REQUEST_NOTICES: 'false',
      ENV_REAPER_LOG_LEVEL: 'warn',
    });
    // The demo world's broken project makes it exit 1, never 2 (config).
    expect(r.code).toBe(1);
    const warning = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'deprecated config key');
    expect(warning).toMatchObject({
      key: 'notify.mergeRequestNotices',
      replacement: 'notify.warnBeforeDelete',
      source: 'env',
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'dry-run' });
  }, 60_000);
});
