import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFile, readJsonLines, startCli, until } from '../helpers/cli.js';
import { liveAndGoneWorld } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

function scenario(faults: unknown[] = []) {
  return liveAndGoneWorld({ live: 8, gone: ['review-gone-a', 'review-gone-b'], faults });
}

/** Starts the daemon exactly as the container does (`env-reaper daemon`), and finds its port in the logs. */
async function daemon(sb: Sandbox, extraConfig: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-daemon-'));
  const file = await configFile({
    mode: 'apply',
    aws: { regions: ['eu-west-1'] },
    schedule: { cron: '*/1 * * * * *' },
    daemon: { port: 0, host: '127.0.0.1', shutdownTimeout: '20s' },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
    ...extraConfig,
  });
  const proc = startCli(['daemon', '--config', file], { ...sb.env(), ENV_REAPER_LOG_LEVEL: 'info' });
  let stderr = '';
  proc.child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await until(
    () => /"port":(\d+)[^\n]*"msg":"daemon started"/.exec(stderr)?.[1],
    'the daemon to listen',
  );
  const url = `http://127.0.0.1:${port}`;
  return { proc, url, dir, logs: () => stderr };
}

/** Waits until the daemon says a first scheduled run finished. */
function firstRun(url: string) {
  return until(async () => {
    const h = (await (await fetch(`${url}/healthz`)).json()) as { lastRun?: unknown };
    return h.lastRun !== undefined;
  }, 'a first scheduled run');
}

/**
 * A daemon started with --run-now on a yearly schedule (so the test controls when a run starts), whose
 * first DeleteStack the sandbox parks until released.
 */
async function daemonWithHeldDelete(shutdownTimeout: string) {
  const sb = await startSandbox({
    scenario: scenario([{ service: 'aws', match: 'DeleteStack', kind: 'hold', count: 1 }]),
  });
  running.push(sb);
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-daemon-'));
  const file = await configFile({
    mode: 'apply',
    aws: { regions: ['eu-west-1'] },
    limits: { concurrency: 1 },
    schedule: { cron: '0 0 1 1 *' },
    daemon: { port: 0, host: '127.0.0.1', shutdownTimeout },
    state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
  });
  const proc = startCli(['daemon', '--run-now', '--config', file], {
    ...sb.env(),
    ENV_REAPER_LOG_LEVEL: 'info',
  });
  return { sb, dir, proc };
}

describe('daemon e2e (the container entrypoint)', () => {
  it('a run that did less than asked makes /healthz say degraded, still 200: a restart fixes no outage', async () => {
    // GitLab failing for every read: each run is partial (exit 1), the process itself is fine.
    const sb = await startSandbox({
      scenario: scenario([{ service: 'gitlab', match: '^/', kind: 'error', status: 500 }]),
    });
    running.push(sb);
    const d = await daemon(sb, {
      daemon: { port: 0, host: '127.0.0.1', shutdownTimeout: '20s', degradedAfter: 2 },
    });
    const healthz = async () => {
      const r = await fetch(`${d.url}/healthz`);
      return {
        code: r.status,
        body: (await r.json()) as {
          status: string;
          degradedRuns: number;
          lastRun?: { outcome: string; errors?: number };
        },
      };
    };
    // One partial run is not yet degraded with degradedAfter 2; two in a row are.
    const first = await until(async () => {
      const h = await healthz();
      return h.body.degradedRuns === 1 ? h : undefined;
    }, 'a first partial run');
    expect(first.code).toBe(200);
    expect(first.body.status).toBe('ok');
    const second = await until(async () => {
      const h = await healthz();
      return h.body.degradedRuns >= 2 ? h : undefined;
    }, 'a second partial run');
    expect(second.code).toBe(200);
    expect(second.body).toMatchObject({ status: 'degraded', lastRun: { outcome: 'partial' } });
    expect(second.body.lastRun?.errors).toBeGreaterThan(0);
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack')).toHaveLength(0);
    d.proc.child.kill('SIGTERM');
    expect((await d.proc.done).code).toBe(0);
  }, 60_000);

  it('runs on schedule, deletes what is dead, answers /healthz and /metrics truthfully, stops on SIGTERM', async () => {
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    const d = await daemon(sb);
    await firstRun(d.url);
    const health = await fetch(`${d.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      intervalSeconds: 1,
      lastRun: { outcome: 'ok', code: 0 },
    });
    const statuses = () =>
      sb.world
        .allStacks()
        .filter((s) => s.name.startsWith('review-gone'))
        .map((s) => s.status);
    await until(() => statuses().every((s) => s === 'DELETE_COMPLETE'), 'the dead stacks to be gone');
    expect(
      sb.world
        .allStacks()
        .filter((s) => s.name.startsWith('review-live'))
        .every((s) => s.status === 'CREATE_COMPLETE'),
    ).toBe(true);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/env_reaper_runs_total\{outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/env_reaper_stacks\{verdict="active"\} 8/);
    expect(metrics).toMatch(/env_reaper_deletions_total\{result="deleted"\} 2/);
    expect(metrics).toMatch(/env_reaper_api_calls_total\{service="gitlab"\} \d+/);
    expect(metrics).toMatch(/env_reaper_last_success_timestamp_seconds \d+/);
    expect(metrics).toMatch(/env_reaper_run_duration_seconds_count [1-9]/);
    d.proc.child.kill('SIGTERM');
    const exit = await d.proc.done;
    expect(exit.code).toBe(0);
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack')).toHaveLength(2);
  }, 60_000);

  it('counts a degraded run in /metrics by service and operation, with no stack names in labels', async () => {
    const sb = await startSandbox({
      scenario: scenario([
        { service: 'aws', match: 'ListExports', kind: 'error', status: 403, code: 'AccessDenied' },
      ]),
    });
    running.push(sb);
    const d = await daemon(sb);
    await firstRun(d.url);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/env_reaper_runs_total\{outcome="partial"\} [1-9]/);
    expect(metrics).toMatch(/env_reaper_run_errors_total\{service="aws",operation="ListExports"\} [1-9]/);
    expect(metrics).not.toMatch(/review-gone/);
    // The export graph could not be read: nothing was deleted.
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack')).toEqual([]);
    d.proc.child.kill('SIGTERM');
    await d.proc.done;
  }, 60_000);

  it('on SIGTERM mid-run finishes the deletion in flight, starts no other, saves state, exits 0', async () => {
    const { sb, dir, proc } = await daemonWithHeldDelete('20s');
    let logs = '';
    proc.child.stderr?.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    await until(() => sb.world.held.length > 0, 'the first DeleteStack to be in flight');
    let exited = false;
    void proc.done.then(() => {
      exited = true;
    });
    proc.child.kill('SIGTERM');
    // It waits for the run in flight: stopping, still serving /healthz (503 "stopping"), not exited.
    const port = /"port":(\d+)[^\n]*"msg":"daemon started"/.exec(logs)?.[1];
    await until(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return r?.status === 503 && ((await r.json()) as { status: string }).status === 'stopping';
    }, '/healthz to say stopping');
    expect(exited).toBe(false);
    expect(sb.world.held).toHaveLength(1);
    sb.world.release();
    const exit = await proc.done;
    expect(logs.indexOf('"msg":"daemon stopped"')).toBeGreaterThan(
      logs.indexOf('"msg":"scheduled run finished"'),
    );
    expect(logs.indexOf('"msg":"scheduled run finished"')).toBeGreaterThan(-1);
    expect(exit.code).toBe(0);
    const deletes = sb.world.writes.filter((w) => w.operation === 'DeleteStack');
    expect(deletes).toHaveLength(1);
    const deleted = String(deletes[0]?.params?.name);
    expect(sb.world.allStacks().find((s) => s.name === deleted)?.status).toBe('DELETE_COMPLETE');
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as {
      stacks: Record<string, { name: string; deletion?: { status: string } }>;
    };
    const records = Object.values(state.stacks).filter((s) => s.deletion);
    expect(records.map((r) => [r.name, r.deletion?.status])).toEqual([[deleted, 'deleted']]);
    const audit = await readJsonLines(join(dir, 'audit.jsonl'));
    expect(audit.map((a) => a.event)).toEqual(['delete-attempt', 'delete-complete']);
  }, 60_000);
});

describe('Dockerfile', () => {
  it('is multi-stage, production-only, non-root, health-checked, and runs the daemon by default', async () => {
    const text = await readFile('Dockerfile', 'utf8');
    const lines = text.split('\n').filter((l) => !l.trim().startsWith('#'));
    expect(lines.filter((l) => /^FROM /.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
    const users = lines.filter((l) => /^USER /.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(text).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(text).toMatch(/^ENTRYPOINT \["env-reaper"\]$/m);
    expect(text).toMatch(/^CMD \["daemon"\]$/m);
    const ignore = await readFile('.dockerignore', 'utf8');
    expect(ignore.split('\n')).toEqual(expect.arrayContaining(['node_modules', '.git', '.env-reaper']));
  });

  it('honours daemon.shutdownTimeout: a run that does not finish in time is left, and the process exits 1', async () => {
    const { sb, proc } = await daemonWithHeldDelete('2s');
    await until(() => sb.world.held.length > 0, 'the first DeleteStack to be in flight');
    const signalled = Date.now();
    proc.child.kill('SIGTERM');
    const exit = await proc.done;
    const waited = Date.now() - signalled;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/run did not finish within daemon.shutdownTimeout/);
    // It waited the timeout, and not much more (the DeleteStack is still parked).
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(10_000);
    expect(sb.world.held).toHaveLength(1);
  }, 60_000);
});
