import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { upgrade } from '../../src/errors/versioned.js';
import { PLAN_VERSIONING, planSchema } from '../../src/executor/plan-file.js';
import { REPORT_VERSIONING, reportSchema } from '../../src/report/json-report.js';
import { parseState, STATE_VERSIONING } from '../../src/state/state.js';
import { closeSandboxes, sandbox } from '../helpers/audit-e2e.js';
import { runCli } from '../helpers/cli.js';

/**
 * Upgrades that lose nothing: the state, plan and report formats this env-reaper wrote as version 1
 * (committed in test/fixtures/formats/ from a real `reap`) are read by every later version; a file
 * from a newer env-reaper is refused with exit 2 and left exactly as it was.
 */

afterEach(closeSandboxes);

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/formats/${name}`, 'utf8')) as unknown;
const DEMO_CONFIG = 'test/scenarios/demo.env-reaper.yaml';

describe('file formats', () => {
  it('reads the version-1 state, plan and report as written by a real reap', () => {
    const state = parseState(fixture('state.v1.json'), 'fixture');
    expect(Object.keys(state.stacks).length).toBeGreaterThan(10);
    expect(Object.values(state.stacks).some((s) => s.deletion?.status === 'deleted')).toBe(true);
    expect(planSchema.parse(upgrade(fixture('plan.v1.json'), PLAN_VERSIONING)).stacks.length).toBeGreaterThan(
      0,
    );
    expect(
      reportSchema.parse(upgrade(fixture('report.v1.json'), REPORT_VERSIONING)).environments.length,
    ).toBeGreaterThan(10);
    // What this version writes is what it reads: the fixtures are the current format.
    expect(STATE_VERSIONING.current).toBe(1);
    expect(PLAN_VERSIONING.current).toBe(1);
    expect(REPORT_VERSIONING.current).toBe(2);
  });

  it('a state from a newer env-reaper: reap refuses it with exit 2, reads nothing else, and leaves it as it was', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-formats-'));
    const path = join(dir, 'state.json');
    const newer = `${JSON.stringify({ ...(fixture('state.v1.json') as object), version: 2, somethingNew: { kept: true } }, null, 2)}\n`;
    await writeFile(path, newer);
    const before = sb.world.requests.length;
    const r = await runCli(['reap', '--apply', '--config', DEMO_CONFIG], {
      ...sb.env(),
      ENV_REAPER_STATE_PATH: path,
      ENV_REAPER_STATE_AUDIT_LOG: join(dir, 'audit.jsonl'),
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(2);
    expect(r.stderr).toMatch(
      /FORMAT_TOO_NEW: state .*state\.json has format version 2, and this env-reaper reads up to 1/,
    );
    expect(await readFile(path, 'utf8')).toBe(newer);
    expect(sb.world.writes).toEqual([]);
    // Nothing deleted or written anywhere; at most the stack listing and the lock came before the state.
    expect(sb.world.requests.slice(before).filter((q) => q.service === 'gitlab')).toEqual([]);
  });

  it('a plan or a report from a newer env-reaper: refused with exit 2 and said why', async () => {
    const sb = await sandbox('test/scenarios/demo.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-formats-'));
    const plan = join(dir, 'plan.json');
    await writeFile(plan, JSON.stringify({ ...(fixture('plan.v1.json') as object), version: 7 }));
    const applied = await runCli(['reap', '--apply-plan', plan, '--config', DEMO_CONFIG], {
      ...sb.env(),
      ENV_REAPER_STATE_PATH: join(dir, 'state.json'),
      ENV_REAPER_STATE_AUDIT_LOG: join(dir, 'audit.jsonl'),
    });
    expect(applied.code).toBe(2);
    expect(applied.stderr).toMatch(
      /the plan .*plan\.json has format version 7, and this env-reaper reads up to 1/,
    );
    expect(sb.world.writes).toEqual([]);

    const report = join(dir, 'report.json');
    await writeFile(report, JSON.stringify({ ...(fixture('report.v1.json') as object), schemaVersion: 3 }));
    const merged = await runCli(
      ['report', 'merge', report, join('test/fixtures/formats/report.v1.json')],
      {},
    );
    expect(merged.code).toBe(2);
    expect(merged.stderr).toMatch(
      /the report .*report\.json has format version 3, and this env-reaper reads up to 2/,
    );
    const ok = await runCli(['report', 'merge', 'test/fixtures/formats/report.v1.json'], {});
    expect(ok.code, ok.stderr).toBe(0);
  });
});
