import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Report } from '../../src/report/json-report.js';
import { closeSandboxes, sandbox, validateReport } from '../helpers/audit-e2e.js';
import { configFile, runCli } from '../helpers/cli.js';

/**
 * A GitLab that keeps answering 429 (issue #34): whichever path the throttled call was on, the run
 * error says `RATE_LIMITED` with status 429 — the audit's reads, the executor's reads around a deletion
 * and the dashboard update alike. Before, the audit path said `RATE_LIMITED` (read from the message) and
 * the executor's `GitbeakerRetryError`. The built CLI against the sandbox, REST, one retry per call.
 */

afterEach(closeSandboxes);

const demoConfig = async () =>
  parse(await readFile('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<string, unknown>;

async function run(command: string[], faults: Record<string, unknown>[]) {
  const sb = await sandbox('test/scenarios/demo.yaml');
  // Only the 429s: the demo's own faults (a 500 on acme/infra, a GraphQL timeout) are taken out.
  sb.world.faults = [];
  for (const f of faults) sb.world.addFault(f as never);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-429-'));
  const file = await configFile({
    ...(await demoConfig()),
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
  });
  const r = await runCli([...command, '--config', file, '--format', 'json'], {
    ...sb.env(),
    ENV_REAPER_GITLAB_API: 'rest',
    ENV_REAPER_GITLAB_MAX_RETRIES: '1',
  });
  const report = JSON.parse(r.stdout) as Report;
  expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
  return { ...r, report };
}

describe('a GitLab 429 that outlives its retries', () => {
  it('on the audit path: every throttled read is RATE_LIMITED (429), and its stacks are kept', async () => {
    const r = await run(['audit'], [{ service: 'gitlab', match: '/repository/branches', kind: 'throttle' }]);
    expect(r.code).toBe(1);
    const throttled = r.report.errors.filter((e) => e.service === 'gitlab');
    expect(throttled.every((e) => e.operation?.includes('/repository/branches'))).toBe(true);
    expect(throttled.length).toBeGreaterThan(0);
    for (const e of throttled) expect(e).toMatchObject({ code: 'RATE_LIMITED', status: 429, effect: 'kept' });
    expect(r.report.environments.filter((e) => e.action === 'delete' && e.verdict === 'unknown')).toEqual([]);
  }, 120_000);

  it('on the executor path: the MR-notes read and the dashboard update are RATE_LIMITED (429) too', async () => {
    const r = await run(
      ['reap', '--apply'],
      [
        { service: 'gitlab', match: '/merge_requests/\\d+/notes$', method: 'GET', kind: 'throttle' },
        { service: 'gitlab', match: '/issues', kind: 'throttle' },
      ],
    );
    expect(r.code).toBe(1);
    const note = r.report.errors.filter((e) => e.scope.includes('MR note'));
    const dashboard = r.report.errors.filter((e) => e.scope.includes('dashboard'));
    expect(note.length).toBeGreaterThan(0);
    expect(dashboard).toHaveLength(1);
    for (const e of [...note, ...dashboard])
      expect(e).toMatchObject({ code: 'RATE_LIMITED', status: 429, service: 'gitlab', effect: 'not-done' });
    // The deletions themselves went on: a failed follow-up never turns into a kept or a second delete.
    expect(r.report.environments.some((e) => e.result === 'deleted')).toBe(true);
  }, 120_000);
});
