import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * The terminal a person sees: the built CLI run on a real pseudo-terminal (util-linux `script`) against
 * the demo sandbox, whose acme/infra answers 500 (so requests are retried). One progress bar, no log
 * record per retry, one summary line per host, and the report on stdout.
 */
const run = promisify(execFile);
const SCRIPT = '/usr/bin/script';
const haveScript = existsSync(SCRIPT);
if (!haveScript && process.env.CI) throw new Error('CI must have util-linux script (bsdutils)');
if (!haveScript)
  process.stderr.write('terminal test skipped: /usr/bin/script missing (apt-get install bsdutils)\n');

const sandboxes: Sandbox[] = [];
afterAll(() => Promise.all(sandboxes.map((x) => x.close())));

/**
 * Runs the built CLI on a pseudo-terminal against a fresh demo sandbox and returns what the person saw
 * (escape sequences stripped). Exit 1 is expected of the demo: acme/infra's lookups fail.
 */
async function onTerminal(args: string, env: (dir: string) => Record<string, string> = () => ({})) {
  const sb = await startSandbox({ scenario: 'test/scenarios/demo.yaml' });
  sandboxes.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-tty-'));
  const typescript = join(dir, 'typescript');
  const command = `${process.execPath} ${CLI} ${args} --config test/scenarios/demo.env-reaper.yaml --format table`;
  await run(SCRIPT, ['-q', '-e', '-c', command, typescript], {
    env: { ...sb.env(), PATH: process.env.PATH ?? '', TERM: 'xterm', COLUMNS: '150', ...env(dir) },
    cwd: process.cwd(),
  }).catch((e: { code?: number }) => {
    if (e.code !== 1) throw e;
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal escape sequences.
  return (await readFile(typescript, 'utf8')).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

describe.skipIf(!haveScript)('a terminal run', () => {
  it('shows one clean progress bar and a retry summary, not a log record per attempt', async () => {
    // REST: the demo's 500 on a REST route makes the retries the summary shows.
    const screen = await onTerminal('audit', () => ({ ENV_REAPER_GITLAB_API: 'rest' }));
    expect(screen).toMatch(/projects \[█+\] 6\/6/);
    expect(screen).toMatch(/^gitlab: \d+ retries, waited [\d.]+ s, last status 500\r?$/m);
    expect(screen).not.toMatch(/retrying/);
    expect(screen).not.toMatch(/"level":/);
    // The report follows the bar, in colour-free table form here.
    expect(screen).toMatch(/env-reaper dry-run · run /);
    // A degraded run ends with a short summary for a person (issue #33), not a block of log fields.
    expect(screen).toMatch(/env-reaper: this run did less than asked \(exit 1\): \d+ errors?/);
    expect(screen).toMatch(
      /^ {2}gitlab GET \/projects\/:id\/repository\/branches\S* SERVER_ERROR \(HTTP 500\)/m,
    );
    expect(screen).toMatch(/\d+ stacks? kept \(not deleted\) because of them/);
    expect(screen).not.toMatch(/byVerdict|maxRssKb|apiCalls/);
  }, 60_000);

  it('shows the deletions of a reap as their own bar: done / total, deleted and failed', async () => {
    const screen = await onTerminal('reap --apply', (dir) => ({
      ENV_REAPER_STATE_PATH: join(dir, 'state.json'),
      ENV_REAPER_STATE_AUDIT_LOG: join(dir, 'audit.jsonl'),
    }));
    const bars = [...screen.matchAll(/deletions \[[█░]+\] (\d+)\/(\d+) · (\d+) deleted, (\d+) failed/g)];
    const last = bars.at(-1);
    expect(last, 'a deletions bar').toBeDefined();
    const [done, total, deleted, failed] = (last ?? []).slice(1).map(Number);
    expect(total).toBeGreaterThan(0);
    expect(done).toBe(total);
    expect((deleted ?? 0) + (failed ?? 0)).toBeLessThanOrEqual(total ?? 0);
    expect(deleted).toBeGreaterThan(0);
    expect(screen).toMatch(/env-reaper apply · run /);
  }, 120_000);
});
