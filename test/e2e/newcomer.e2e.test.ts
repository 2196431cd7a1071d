import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Report } from '../../src/report/json-report.js';
import { closeSandboxes, sandbox } from '../helpers/audit-e2e.js';
import { configFile } from '../helpers/cli.js';

/**
 * The first hour, as the README tells it (issue #33): the CLI from the checkout with `npm exec --
 * env-reaper` (after the build `npm test` made), against the demo sandbox: `doctor`, a dry run, a reviewed
 * plan and its apply, each with the exit code and the words a newcomer reads.
 */

afterEach(closeSandboxes);

/** `npm exec -- env-reaper …` as a process (asynchronous: the sandbox answers from this process). */
const cli = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'npm',
      ['exec', '--offline', '--', 'env-reaper', ...args],
      {
        env: { ...process.env, ...env, ENV_REAPER_LOG_LEVEL: 'warn' },
        maxBuffer: 32 << 20,
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('a newcomer, following the README', () => {
  it('doctor, a dry run, a plan and its apply, from the checkout', async () => {
    const sb = await sandbox(
      parse(readFileSync('test/scenarios/demo.yaml', 'utf8')) as Record<string, unknown>,
    );
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-newcomer-'));
    const config = await configFile({
      ...(parse(readFileSync('test/scenarios/demo.env-reaper.yaml', 'utf8')) as Record<string, unknown>),
      ownership: { tags: { keep: 'team:keep' } },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    });
    const env = sb.env();

    const doctor = await cli(['doctor', '--config', config], env);
    expect(doctor.stdout).toMatch(/✓ gitlab\.url\s+http:\/\/127\.0\.0\.1:\d+ answers \(GitLab 18\.6\.0\)/);
    expect(doctor.stdout).toMatch(/✓ gitlab\.graphql\s+GitLab 18\.6\.0; GraphQL serves projects ✓/);
    // The keep tag was renamed: the old one still protects, and doctor says so.
    expect(doctor.stdout).toMatch(
      /ownership\.keep\s+keep tag team:keep; stacks still tagged env-reaper:keep stay protected/,
    );

    const dry = await cli(['reap', '--config', config, '--format', 'json'], env);
    expect(dry.code).toBe(1); // acme/infra's GitLab fails in the demo
    const report = JSON.parse(dry.stdout) as Report;
    const pinned = report.environments.find((e) => e.stack.name === 'review-shop-feature-pinned');
    expect(pinned?.verdict).toBe('protected');
    expect(JSON.stringify(pinned?.reasons)).toContain('former keep key env-reaper:keep');
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack')).toEqual([]);

    const plan = join(dir, 'plan.json');
    const planned = await cli(['reap', '--config', config, '--plan-out', plan, '--format', 'json'], env);
    expect(planned.code).toBe(1);
    const file = JSON.parse(await readFile(plan, 'utf8')) as {
      stacks: { name: string }[];
      refused?: { name: string }[];
    };
    expect(file.stacks.length).toBeGreaterThan(0);
    expect(file.refused?.map((r) => r.name)).toEqual(['review-shop-fix-typo']);

    const applied = await cli(['reap', '--config', config, '--apply-plan', plan, '--format', 'json'], env);
    expect(applied.code).toBe(1);
    const deleted = sb.world.writes.filter((w) => w.operation === 'DeleteStack').length;
    expect(deleted).toBe(file.stacks.length);
    const result = JSON.parse(applied.stdout) as Report;
    expect(result.environments.find((e) => e.stack.name === 'review-shop-fix-typo')?.result).not.toBe(
      'deleted',
    );
  }, 240_000);
});
