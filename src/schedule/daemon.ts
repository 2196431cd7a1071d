import { createServer, type Server } from 'node:http';
import { type ScheduledTask, schedule } from 'node-cron';
import { EXIT } from '../errors/errors.js';
import { buildContext } from '../run/context.js';
import type { CliIo } from '../run/io.js';
import type { GlobalOptions } from '../run/options.js';
import { reapOnce } from '../run/run-once.js';
import { ReaperMetrics, type RunOutcome } from './metrics.js';

/**
 * `env-reaper daemon`: node-cron in-process, runs never overlap (a tick during a run is skipped with a
 * log line), `/healthz` and `/metrics` over HTTP, and a clean stop on SIGTERM/SIGINT: no new run or
 * deletion starts, the run in progress finishes its current step and saves state, then exit 0 within
 * `daemon.shutdownTimeout`.
 */

/**
 * Health as /healthz reports it. HTTP 200 for `ok`, `starting` and `degraded` (the process works; what
 * failed is outside it, and a restart would not fix it), 503 for `failing` (the last run crashed),
 * `stale` (no run completed for two intervals: stuck) and `stopping`.
 */
export interface Health {
  status: 'ok' | 'starting' | 'degraded' | 'failing' | 'stale' | 'stopping';
  lastRun?: { at: string; outcome: RunOutcome; code: number; seconds: number; errors?: number };
  /** Runs in a row that did less than asked (exit 1): `degraded` from `daemon.degradedAfter` on. */
  degradedRuns: number;
  lastSuccessAt?: string;
  intervalSeconds: number;
  running: boolean;
}

/** Options for one daemon process. */
export interface DaemonOptions {
  runNow?: boolean;
  apply?: boolean;
  /** For tests: resolve when the process should exit, instead of listening to signals. */
  signals?: NodeJS.Signals[];
  /**
   * Ends the process when the run in flight outlives `daemon.shutdownTimeout`; without it the pending
   * run would keep the event loop, and so the container, alive. Default `process.exit`.
   */
  exit?: (code: number) => void;
}

function outcomeOf(code: number): RunOutcome {
  if (code === EXIT.ok) return 'ok';
  if (code === EXIT.brake) return 'brake';
  return 'partial';
}

/** Runs the daemon until SIGTERM/SIGINT; resolves with the exit code. */
export async function runDaemon(
  opts: GlobalOptions,
  io: CliIo,
  options: DaemonOptions = {},
): Promise<number> {
  // Config errors exit 2 before anything starts. Config and clients are built once and reused by every
  // tick: one AssumeRole cache, one GitLab pacer; a config change takes a restart, as with any daemon.
  const ctx = await buildContext(opts, io);
  const { config, logger } = ctx;
  const metrics = new ReaperMetrics();
  const startedAt = Date.now();
  let stopping = false;
  let current: Promise<void> | undefined;
  let lastRun: Health['lastRun'];
  let degradedRuns = 0;
  let lastSuccessAt: number | undefined;
  let task: ScheduledTask | undefined;
  const quietIo: CliIo = { ...io, stdout: () => undefined };

  const intervalSeconds = (): number => {
    const next = task?.getNextRuns(2) ?? [];
    const [a, b] = next;
    return a && b ? Math.max(1, Math.round((b.getTime() - a.getTime()) / 1000)) : 3600;
  };

  const health = (): { code: number; body: Health } => {
    const interval = intervalSeconds();
    const body: Health = {
      status: 'ok',
      intervalSeconds: interval,
      running: current !== undefined,
      degradedRuns,
    };
    if (lastRun) body.lastRun = lastRun;
    if (lastSuccessAt !== undefined) body.lastSuccessAt = new Date(lastSuccessAt).toISOString();
    const window = 2 * interval * 1000;
    if (stopping) body.status = 'stopping';
    else if (lastRun?.outcome === 'error') body.status = 'failing';
    else if (lastSuccessAt === undefined)
      body.status = Date.now() - startedAt <= window ? 'starting' : 'stale';
    else if (Date.now() - lastSuccessAt > window) body.status = 'stale';
    else if (degradedRuns >= config.daemon.degradedAfter) body.status = 'degraded';
    const live = body.status === 'ok' || body.status === 'starting' || body.status === 'degraded';
    return { code: live ? 200 : 503, body };
  };

  const tick = (reason: 'scheduled' | 'run-now') => {
    if (stopping) return;
    if (current !== undefined) {
      logger.warn({ reason }, 'previous run still in progress: skipping this tick');
      return;
    }
    const t0 = Date.now();
    logger.info({ reason }, 'scheduled run starting');
    current = (async () => {
      let code: number = EXIT.partial;
      let outcome: RunOutcome = 'error';
      let errors: number | undefined;
      try {
        const result = await reapOnce(ctx, opts, quietIo, {
          apply: options.apply === true,
          shouldStop: () => stopping,
        });
        code = result.code;
        outcome = outcomeOf(code);
        const seconds = (Date.now() - t0) / 1000;
        metrics.record(outcome, seconds, result.report);
        lastSuccessAt = Date.now();
        errors = result.report?.errors.length;
        degradedRuns = outcome === 'partial' ? degradedRuns + 1 : 0;
      } catch (error) {
        metrics.record('error', (Date.now() - t0) / 1000);
        logger.error({ err: error }, 'scheduled run failed');
      }
      lastRun = { at: new Date(t0).toISOString(), outcome, code, seconds: (Date.now() - t0) / 1000 };
      if (errors !== undefined) lastRun.errors = errors;
      logger.info({ outcome, code, seconds: lastRun.seconds }, 'scheduled run finished');
    })().finally(() => {
      current = undefined;
    });
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const h = health();
      res.writeHead(h.code, { 'content-type': 'application/json' }).end(JSON.stringify(h.body));
      return;
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.daemon.port, config.daemon.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.daemon.port;
  logger.info({ port, cron: config.schedule.cron, timezone: config.schedule.timezone }, 'daemon started');

  task = schedule(config.schedule.cron, () => tick('scheduled'), {
    timezone: config.schedule.timezone,
    name: 'env-reaper',
  });
  if (options.runNow) tick('run-now');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of options.signals ?? ['SIGTERM', 'SIGINT']) process.once(s, () => resolve(s));
  });
  stopping = true;
  logger.info({ signal, running: current !== undefined }, 'stopping: no new run or deletion starts');
  await task.stop();
  await task.destroy();
  const timeoutMs = config.daemon.shutdownTimeout;
  // Wait for the run in flight (it starts no new deletion now), at most shutdownTimeout.
  const finished =
    current !== undefined
      ? await Promise.race([
          current.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
        ])
      : true;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  if (!finished) {
    // State was saved before each write, so the next start resumes what this run left.
    logger.warn({ timeoutMs }, 'run did not finish within daemon.shutdownTimeout; exiting 1');
    (options.exit ?? process.exit)(EXIT.partial);
    return EXIT.partial;
  }
  logger.info({}, 'daemon stopped');
  return EXIT.ok;
}
