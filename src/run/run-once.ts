import { checkReapFlags, writesAllowed } from '../config/mode.js';
import type { RunResult } from '../core/run-result.js';
import { EXIT } from '../errors/errors.js';
import { codeAndWord } from '../errors/failure.js';
import { buildPlanFile, readPlanFile, writePlanFile } from '../executor/plan-file.js';
import { sendWebhooks } from '../notify/send.js';
import { buildReport, type Report } from '../report/json-report.js';
import { parseOutputs, writeReports } from '../report/output.js';
import { LockHeldError } from '../state/file-store.js';
import { finishRun, type RunContext } from './context.js';
import type { CliIo } from './io.js';
import { type GlobalOptions, parseShard } from './options.js';
import { reap } from './reap.js';
import { newRunId } from './run-id.js';
import { createStateStore } from './state-store.js';

/** Whether stdout may carry ANSI colour (NO_COLOR, FORCE_COLOR, else a terminal). */
export function colourAllowed(io: CliIo): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY?.stdout === true;
}

/** Writes the report in the requested formats to stdout and `--output` files. */
export async function emitReport(
  report: Report,
  run: RunResult,
  opts: GlobalOptions,
  ctx: RunContext,
  io: CliIo,
): Promise<void> {
  await writeReports(report, {
    // `--quiet` quiets the logs and the progress line, never the report the run was asked for.
    formats: opts.format ?? ctx.config.report.formats,
    outputs: parseOutputs(opts.output),
    dir: ctx.config.report.dir,
    stdout: io.stdout,
    colour: colourAllowed(io),
    now: run.now,
  });
}

/** The fields of a run's last log line: its summary, and what the process cost (RSS, CPU). */
export function finishedFields(run: RunResult, report: Report): Record<string, unknown> {
  const cpu = process.cpuUsage();
  return {
    runId: run.runId,
    ...report.summary,
    // A run that did less than asked says so on its last line (exit 1); the errors are in the report.
    degraded: report.errors.length > 0,
    errors: report.errors.length,
    maxRssKb: process.resourceUsage().maxRSS,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

/**
 * The run's last log line. A degraded run logs it as an error, so `--quiet` (errors only) still says
 * that the run did less than asked.
 */
export function logFinished(
  ctx: RunContext,
  run: RunResult,
  report: Report,
  message: 'audit finished' | 'reap finished',
  io?: CliIo,
): void {
  const fields = finishedFields(run, report);
  if (ctx.terminal && io) {
    // A person reads a terminal: a short summary of what failed and what was kept, not the machine
    // fields (JSON logs off a terminal keep them all; --verbose shows them here).
    if (report.errors.length > 0) io.stderr(degradedSummary(report));
    ctx.logger.debug(fields, message);
    return;
  }
  if (report.errors.length > 0) ctx.logger.error(fields, message);
  else ctx.logger.info(fields, message);
}

/**
 * What a degraded run did not do, for a person: the failed calls grouped (service, operation, code,
 * where), the stacks kept because of them, and where the details are. At most 6 groups.
 */
export function degradedSummary(report: Pick<Report, 'errors'>): string {
  const groups = new Map<string, { n: number; where: Set<string> }>();
  const kept = new Set<string>();
  for (const e of report.errors) {
    const key = `${e.service ?? 'env-reaper'} ${e.operation ?? e.scope} ${codeAndWord(e)}`;
    const g = groups.get(key) ?? { n: 0, where: new Set<string>() };
    g.n++;
    const where = e.project ?? (e.account ? `${e.account}${e.region ? `/${e.region}` : ''}` : undefined);
    if (where) g.where.add(where);
    groups.set(key, g);
    if (e.effect === 'kept') for (const s of e.stacks ?? []) kept.add(s);
  }
  const lines = [...groups].slice(0, 6).map(([key, g]) => {
    const where = [...g.where].slice(0, 3).join(', ') + (g.where.size > 3 ? ', …' : '');
    return `  ${key}${g.n > 1 ? ` ×${g.n}` : ''}${where ? ` (${where})` : ''}`;
  });
  if (groups.size > 6) lines.push(`  … and ${groups.size - 6} more`);
  const n = report.errors.length;
  return [
    `env-reaper: this run did less than asked (exit 1): ${n} error${n === 1 ? '' : 's'}`,
    ...lines,
    `  ${kept.size} stack${kept.size === 1 ? '' : 's'} kept (not deleted) because of them`,
    "  details: the report's errors[] (--format json), every step with --verbose",
    '',
  ].join('\n');
}

/** Options of one reap run. */
export interface ReapOnceOptions {
  apply: boolean;
  waitLock?: boolean;
  shouldStop?: () => boolean;
  /** `--plan-out FILE`: a dry-run that writes the reviewed plan. */
  planOut?: string | undefined;
  /** `--apply-plan FILE`: delete only what that plan lists. */
  applyPlan?: string | undefined;
  planTtl?: string | undefined;
}

/** The exit code of a reap run: 3 on a brake, 1 on failures or errors, else 0. */
export function reapExitCode(run: RunResult, outcomes: Map<string, { result: string }>): number {
  if (run.plan.brake) return EXIT.brake;
  const failed = [...outcomes.values()].some((o) => o.result === 'failed');
  return failed || run.errors.length > 0 ? EXIT.partial : EXIT.ok;
}

/** One reap run on a built context: the `reap` command and each daemon tick. */
export async function reapOnce(
  ctx: RunContext,
  opts: GlobalOptions,
  io: CliIo,
  options: ReapOnceOptions,
): Promise<{ code: number; report?: Report }> {
  const { ttlMs } = checkReapFlags(options);
  ctx.stats.reset();
  // A plan is refused before anything is read or written when it is edited, expired or for another config.
  const plan = options.applyPlan ? await readPlanFile(options.applyPlan, ctx.config, Date.now()) : undefined;
  const apply = writesAllowed(ctx.config, {
    apply: options.apply,
    applyPlan: plan !== undefined,
    planOut: Boolean(options.planOut),
  });
  let result: Awaited<ReturnType<typeof reap>>;
  try {
    result = await reap(
      ctx.config,
      {
        ...ctx.deps,
        executorIo: ctx.executorIo,
        leftovers: ctx.leftovers,
        store: await createStateStore(ctx.config),
        ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      },
      {
        runId: newRunId(Date.now()),
        apply,
        waitLock: options.waitLock === true,
        shard: parseShard(opts.shard),
        plan,
      },
    );
  } catch (error) {
    if (error instanceof LockHeldError) {
      io.stderr(`env-reaper: ${error.message}\n`);
      return { code: EXIT.partial };
    }
    throw error;
  }
  finishRun(ctx);
  const { run, outcomes, trend, ghostsStopped } = result;
  if (options.planOut) {
    const planFile = buildPlanFile(run, ctx.config, ttlMs, outcomes);
    await writePlanFile(options.planOut, planFile);
    ctx.logger.info(
      { file: options.planOut, stacks: planFile.stacks.length, expiresAt: planFile.expiresAt },
      'plan written',
    );
  }
  const report = buildReport(run, ctx.stats.snapshot(), outcomes, trend, ghostsStopped);
  // One message per run where the team talks; a message not delivered is an error of this very run.
  const hookErrors = await sendWebhooks(
    ctx.config,
    report,
    { env: io.env, logger: ctx.logger },
    { reportFiles: (opts.output ?? []).length > 0 || ctx.config.report.dir !== undefined },
  );
  run.errors.push(...hookErrors);
  report.errors.push(...hookErrors);
  await emitReport(report, run, opts, ctx, io);
  logFinished(ctx, run, report, 'reap finished', io);
  return { code: reapExitCode(run, outcomes), report };
}
