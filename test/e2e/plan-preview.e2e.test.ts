import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Report } from '../../src/report/json-report.js';
import { closeSandboxes, sandbox } from '../helpers/audit-e2e.js';
import { configFile, runCli } from '../helpers/cli.js';

/**
 * The plan is what apply does (issue #33): in the demo, `review-shop-fix-typo` is due, but a live stack
 * (`review-shop-feature-search-consumer`) imports its export, so apply refuses it (EXPORT_IN_USE). The dry
 * run, the reviewed plan and `explain` say so, naming the importer; apply still checks again.
 */

afterEach(closeSandboxes);

const STACK = 'review-shop-fix-typo';
const IMPORTER = 'review-shop-feature-search-consumer';

async function demo() {
  const sb = await sandbox(
    parse(readFileSync('test/scenarios/demo.yaml', 'utf8')) as Record<string, unknown>,
  );
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-preview-'));
  const config = await configFile({
    ...(parse(readFileSync('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<string, unknown>),
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
  });
  return { sb, dir, config };
}

describe('the dry run, the plan and explain show what apply would refuse', () => {
  it('reap (dry run) and --plan-out: EXPORT_IN_USE with the importer, no DRY-RUN delete line, nothing written', async () => {
    const { sb, dir, config } = await demo();
    const plan = join(dir, 'plan.json');
    const r = await runCli(['reap', '--config', config, '--format', 'json', '--plan-out', plan], {
      ...sb.env(),
      ENV_REAPER_LOG_LEVEL: 'info',
    });
    const report = JSON.parse(r.stdout) as Report;
    const e = report.environments.find((x) => x.stack.name === STACK);
    expect(e?.result).toBe('cancelled');
    expect(JSON.stringify(e)).toContain(`imported by ${IMPORTER}, which is not being deleted`);
    expect(r.stderr).not.toMatch(new RegExp(`DRY-RUN: would delete stack[^\\n]*"stack":"${STACK}"`));
    expect(r.stderr).toMatch(/DRY-RUN: would delete stack/);
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack')).toEqual([]);
    const file = JSON.parse(await readFile(plan, 'utf8')) as {
      stacks: { name: string }[];
      refused?: { name: string; code: string; message: string }[];
    };
    expect(file.stacks.map((s) => s.name)).not.toContain(STACK);
    expect(file.stacks.length).toBeGreaterThan(0);
    expect(file.refused).toEqual([
      expect.objectContaining({
        name: STACK,
        code: 'EXPORT_IN_USE',
        message: expect.stringContaining(IMPORTER),
      }),
    ]);
  }, 120_000);

  it('explain names the importer and what apply would do', async () => {
    const { sb, config } = await demo();
    const r = await runCli(['explain', STACK, '--config', config], sb.env());
    expect(r.stdout).toMatch(/action\s+delete → due/);
    expect(r.stdout).toContain(
      `apply       would refuse: EXPORT_IN_USE: export shop-fix-typo-url is imported by ${IMPORTER}, which is not being deleted`,
    );
    expect(r.stdout).toMatch(
      new RegExp(`export\\s+shop-fix-typo-url: imported by ${IMPORTER} \\(not due\\)`),
    );
  }, 120_000);
});
