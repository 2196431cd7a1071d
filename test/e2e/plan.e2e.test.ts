import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli, tagsFor, until } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Reviewed plans end to end: `reap --plan-out` writes the plan (no write anywhere), a person approves it,
 * `reap --apply-plan` deletes exactly the planned stacks whose evidence did not change, and refuses an
 * edited, expired or foreign plan with exit 2 and no write.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const DEAD = ['review-a', 'review-b', 'review-c'];

// The dead stacks' MRs (11…13) are merged; review-late's (19) is open until a test merges it.
function scenario() {
  return liveAndGoneWorld({
    live: 4,
    gone: [],
    liveCreated: '-3d',
    stacks: [
      ...DEAD.map((name, i) => ({
        name,
        created: '-3d',
        tags: tagsFor(1, `feature/${name}`, { 'gitlab:mr-iid': String(11 + i) }),
      })),
      { name: 'review-late', created: '-3d', tags: tagsFor(1, 'feature/late', { 'gitlab:mr-iid': '19' }) },
    ],
    branches: [{ name: 'feature/late', committed: '-1h' }],
    mergeRequests: [
      ...DEAD.map((name, i) => ({
        iid: 11 + i,
        sourceBranch: `feature/${name}`,
        state: 'merged',
        mergedAt: '-5h',
      })),
      { iid: 19, sourceBranch: 'feature/late', state: 'opened' },
    ],
  });
}

async function setup() {
  const sb = await startSandbox({ scenario: scenario() });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-plan-'));
  const config = (extra: Record<string, unknown> = {}) =>
    configFile({
      aws: { regions: ['eu-west-1'] },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      limits: { maxDeletionPercent: 100 },
      policy: { grace: { merged: '0s' } },
      ...extra,
    });
  const deletes = () =>
    sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => String(w.params?.name));
  const mr = (iid: number) => sb.world.projects.get(1)?.mergeRequests.find((m) => m.iid === iid);
  return { sb, dir, config, deletes, mr };
}

describe('reviewed plans', () => {
  it('makes a plan, and applying it deletes exactly the planned stacks whose evidence did not change', async () => {
    const { sb, dir, config, deletes, mr } = await setup();
    const file = await config();
    const planPath = join(dir, 'plan.json');
    const made = await runCli(
      ['reap', '--config', file, '--plan-out', planPath, '--format', 'markdown'],
      sb.env(),
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/### merged \(3\)/);
    const plan = JSON.parse(await readFile(planPath, 'utf8')) as {
      stacks: { name: string }[];
      accounts: string[];
    };
    expect(plan.stacks.map((s) => s.name).sort()).toEqual(DEAD);
    expect(plan.accounts).toEqual(['111111111111']);
    expect(sb.world.writes).toEqual([]);

    // Between plan and apply: review-b's MR is reopened; review-late's MR is merged (due now, never planned).
    Object.assign(mr(12) ?? {}, { state: 'opened', mergedAt: null, updatedAt: new Date().toISOString() });
    Object.assign(mr(19) ?? {}, {
      state: 'merged',
      mergedAt: new Date(Date.now() - 3_600_000).toISOString(),
    });

    const applied = await runCli(
      ['reap', '--config', file, '--apply-plan', planPath, '--format', 'json'],
      sb.env(),
    );
    expect(applied.code, applied.stderr.slice(-1500)).toBe(0);
    expect(deletes().sort()).toEqual(['review-a', 'review-c']);
    const byName = Object.fromEntries(
      (JSON.parse(applied.stdout) as Report).environments.map((e) => [e.stack.name, e]),
    );
    expect(byName['review-a']?.result).toBe('deleted');
    expect(byName['review-b']).toMatchObject({ result: 'cancelled', error: { code: 'EVIDENCE_CHANGED' } });
    expect(byName['review-late']).toMatchObject({ result: 'skipped', error: { code: 'NOT_IN_PLAN' } });
    expect(byName['review-live-0']?.result).toBe('skipped');
  }, 60_000);

  it('refuses an edited, expired, foreign-config or garbled plan with exit 2, and writes nothing', async () => {
    const { sb, dir, config, deletes } = await setup();
    const file = await config();
    const planPath = join(dir, 'plan.json');
    expect((await runCli(['reap', '--config', file, '--plan-out', planPath], sb.env())).code).toBe(0);
    const original = await readFile(planPath, 'utf8');
    const apply = (path: string, cfg = file) =>
      runCli(['reap', '--config', cfg, '--apply-plan', path], sb.env());

    const edited = join(dir, 'edited.json');
    await writeFile(edited, original.replace('"review-a"', '"review-x"'));
    const e = await apply(edited);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/changed after it was made \(checksum mismatch\)/);

    const other = await apply(planPath, await config({ limits: { maxDeletionPercent: 90 } }));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/made with another configuration/);

    const garbled = join(dir, 'garbled.json');
    await writeFile(garbled, '{"kind":"something else"}');
    expect((await apply(garbled)).code).toBe(2);

    const shortLived = join(dir, 'short.json');
    expect(
      (await runCli(['reap', '--config', file, '--plan-out', shortLived, '--plan-ttl', '1s'], sb.env())).code,
    ).toBe(0);
    const expiresAt = Date.parse(
      (JSON.parse(await readFile(shortLived, 'utf8')) as { expiresAt: string }).expiresAt,
    );
    await until(() => Date.now() > expiresAt, 'the plan to expire', 5_000);
    const expired = await apply(shortLived);
    expect(expired.code).toBe(2);
    expect(expired.stderr).toMatch(/the plan expired/);

    // --plan-out is a dry-run: it does not go with --apply.
    expect((await runCli(['reap', '--config', file, '--plan-out', planPath, '--apply'], sb.env())).code).toBe(
      2,
    );
    expect(deletes()).toEqual([]);
    expect(sb.world.writes).toEqual([]);
  }, 60_000);
});
