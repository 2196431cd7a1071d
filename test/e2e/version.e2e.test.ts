import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { auditJson, closeSandboxes, sandbox } from '../helpers/audit-e2e.js';
import { runCli } from '../helpers/cli.js';

/**
 * Which build runs: `npm run build` records the commit (dist/build-info.json), and `--version`, the JSON
 * report and the User-Agent of every request say the version and that commit.
 */

afterEach(closeSandboxes);

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

describe('the build says what it is', () => {
  it('--version, the report and the User-Agent name the version and the commit', async () => {
    const v = await runCli(['--version'], {});
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(`${version} (${commit.slice(0, 12)})`);
    const sb = await sandbox('test/scenarios/demo.yaml');
    const { report } = await auditJson(sb, 'test/scenarios/demo.env-reaper.yaml');
    expect(report.generator).toEqual({ name: 'env-reaper', version, commit });
    const agents = new Set(sb.world.requests.map((q) => q.agent).filter((a) => a?.includes('env-reaper/')));
    expect([...agents].some((a) => a?.startsWith(`env-reaper/${version}+${commit.slice(0, 12)}`))).toBe(true);
  }, 60_000);
});
