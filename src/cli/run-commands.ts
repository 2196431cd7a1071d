import { readFile } from 'node:fs/promises';
import { checkReapFlags } from '../config/mode.js';
import { VERDICTS, type Verdict } from '../core/model.js';
import type { EnvironmentRecord, RunError } from '../core/run-result.js';
import { EXIT, UsageError } from '../errors/errors.js';
import { describeFailure } from '../errors/failure.js';
import { upgrade } from '../errors/versioned.js';
import { exportsOf } from '../executor/preview.js';
import { buildReport, REPORT_VERSIONING, type Report, reportSchema } from '../report/json-report.js';
import { mergeReports } from '../report/merge.js';
import { parseOutputs, writeReports } from '../report/output.js';
import { audit, targetsOf } from '../run/audit.js';
import { buildContext, finishRun, type RunContext } from '../run/context.js';
import type { CliIo } from '../run/io.js';
import { type GlobalOptions, parseShard } from '../run/options.js';
import { newRunId } from '../run/run-id.js';
import { colourAllowed, emitReport, logFinished, reapOnce } from '../run/run-once.js';
import { Terminal } from './terminal.js';

/** The context of a CLI command: the progress bar on a terminal. */
function cliContext(opts: GlobalOptions, io: CliIo): Promise<RunContext> {
  return buildContext(opts, io, { display: (tty) => new Terminal(tty) });
}

function parseFailOn(text: unknown): Set<Verdict> {
  if (typeof text !== 'string' || text === '') return new Set();
  const out = new Set<Verdict>();
  for (const v of text.split(',').map((s) => s.trim())) {
    if (!(VERDICTS as readonly string[]).includes(v))
      throw new UsageError(`--fail-on: unknown verdict "${v}" (one of ${VERDICTS.join(', ')})`);
    out.add(v as Verdict);
  }
  return out;
}

/** The `--fail-on` verdicts the report has, with how many stacks each, in the verdicts' order. */
export function failOnMatches(
  report: Pick<Report, 'environments'>,
  failOn: Set<Verdict>,
): [Verdict, number][] {
  const counts = new Map<Verdict, number>();
  for (const e of report.environments)
    if (failOn.has(e.verdict)) counts.set(e.verdict, (counts.get(e.verdict) ?? 0) + 1);
  return VERDICTS.filter((v) => counts.has(v)).map((v) => [v, counts.get(v) as number]);
}

/** `env-reaper audit`: read-only; exit 0, 1 (lookups failed), 2 (usage/config) or 4 (--fail-on matched). */
export async function auditCommand(opts: GlobalOptions & { failOn?: unknown }, io: CliIo): Promise<number> {
  // Usage errors surface before any network call.
  const failOn = parseFailOn(opts.failOn);
  parseOutputs(opts.output);
  const ctx = await cliContext(opts, io);
  const run = await audit(ctx.config, ctx.deps, {
    runId: newRunId(Date.now()),
    mode: 'dry-run',
    shard: parseShard(opts.shard),
  });
  finishRun(ctx);
  const report = buildReport(run, ctx.stats.snapshot());
  await emitReport(report, run, opts, ctx, io);
  logFinished(ctx, run, report, 'audit finished', io);
  if (run.errors.length > 0) return EXIT.partial;
  const matched = failOnMatches(report, failOn);
  if (matched.length === 0) return EXIT.ok;
  // Which verdicts made the run fail, and how many of each (the report lists the stacks).
  io.stderr(`--fail-on matched: ${matched.map(([v, n]) => `${n} ${v}`).join(', ')}\n`);
  return EXIT.failOn;
}

/** `env-reaper explain <stack>`: the whole evidence chain for one stack. */
export async function explainCommand(opts: GlobalOptions, args: string[], io: CliIo): Promise<number> {
  const target = args[0];
  if (!target) throw new UsageError('explain needs a stack name or ARN');
  const ctx = await cliContext(opts, io);
  const run = await audit(ctx.config, ctx.deps, {
    runId: newRunId(Date.now()),
    mode: 'dry-run',
    onlyStack: target,
  });
  finishRun(ctx);
  const record = run.environments[0];
  const formats = opts.format ?? ['table'];
  if (!record) {
    const unmanaged = run.unmanaged.find((u) => u.name === target || u.stackId === target);
    io.stderr(
      unmanaged
        ? `${target}: unmanaged — no ownership tag and no stack-name pattern match; env-reaper never touches it\n`
        : `${target}: no such live stack in the scanned accounts and regions\n`,
    );
    return unmanaged ? EXIT.ok : EXIT.partial;
  }
  // A due stack: what apply's export check would say (issue #33: the plan is what apply does).
  const apply = record.plan.status === 'due' ? await applyPreview(record, ctx, run.errors) : undefined;
  if (formats.includes('json')) {
    io.stdout(`${JSON.stringify({ ...record, ...(apply ? { apply } : {}), errors: run.errors }, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    const s = record.stack;
    lines.push(`stack       ${s.name}`, `id          ${s.stackId}`, `where       ${s.account} ${s.region}`);
    lines.push(`status      ${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}`);
    lines.push(`created     ${s.createdAt}${s.updatedAt ? `, updated ${s.updatedAt}` : ''}`);
    lines.push(`protection  termination protection ${s.terminationProtection ? 'on' : 'off'}`);
    lines.push(
      `tags        ${
        Object.entries(s.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '(none)'
      }`,
    );
    const o = record.owner;
    lines.push('', `owner (by ${o.matchedBy})`);
    for (const [k, v] of Object.entries(o))
      if (k !== 'matchedBy') lines.push(`  ${k.padEnd(12)}${String(v)}`);
    lines.push('', 'evidence');
    for (const [k, v] of Object.entries(record.evidence)) {
      if (!v) continue;
      lines.push(
        `  ${k.padEnd(14)}${v.ok ? JSON.stringify(v.value) : `ERROR ${v.error.code}: ${v.error.message}`}`,
      );
    }
    lines.push('', `verdict     ${record.classification.verdict}`);
    for (const r of record.classification.reasons)
      lines.push(`  ${r.code.padEnd(24)}${r.detail}${r.at ? ` (${r.at})` : ''}`);
    const p = record.plan;
    lines.push(
      '',
      `action      ${p.action} → ${p.status}${p.deleteAfter ? `, not before ${p.deleteAfter}` : ''}${p.waitingFor ? ` (waiting for ${p.waitingFor})` : ''}`,
    );
    if (apply?.refused)
      lines.push(`apply       would refuse: ${apply.refused.code}: ${apply.refused.message}`);
    for (const e of apply?.exports ?? [])
      lines.push(
        `export      ${e.name}: ${e.importers.length ? `imported by ${e.importers.map((i) => `${i.name} (${i.due ? 'due too: deleted first' : 'not due'})`).join(', ')}` : 'not imported'}`,
      );
    lines.push('brakes      evaluated on a whole run, not here: see `env-reaper reap`');
    io.stdout(`${lines.join('\n')}\n`);
  }
  return run.errors.length > 0 ? EXIT.partial : EXIT.ok;
}

/** What apply would do about a due stack's exports: each importer, whether it is due too, the refusal. */
interface ApplyPreview {
  exports: { name: string; importers: { name: string; due: boolean }[] }[];
  refused?: { code: 'EXPORT_IN_USE'; message: string };
}

/**
 * Reads the stack's exports and importers as apply would, and audits each importer by name: an importer
 * that is due is deleted first; one that is not makes apply refuse the stack (EXPORT_IN_USE). A read that
 * fails is an error of the run, and no verdict about the exports is given.
 */
async function applyPreview(
  record: EnvironmentRecord,
  ctx: RunContext,
  errors: RunError[],
): Promise<ApplyPreview | undefined> {
  const targets = targetsOf(ctx.config, ctx.deps.env);
  const target = targets.find((t) => t.id === record.stack.account) ??
    targets.find((t) => t.id === undefined) ?? { id: record.stack.account, regions: [] };
  let uses: Awaited<ReturnType<typeof exportsOf>>;
  try {
    uses = await exportsOf(record, ctx.executorIo.aws, target);
  } catch (error) {
    const f = describeFailure(error);
    errors.push({
      scope: `aws:${record.stack.account}/${record.stack.region} export graph`,
      code: f.code,
      message: f.message,
      service: 'aws',
      ...(f.operation ? { operation: f.operation } : {}),
      account: record.stack.account,
      region: record.stack.region,
      stacks: [record.stack.name],
      effect: 'less-reported',
    });
    return undefined;
  }
  const preview: ApplyPreview = { exports: [] };
  for (const u of uses) {
    const importers: { name: string; due: boolean }[] = [];
    for (const name of u.importers) {
      const other = await audit(ctx.config, ctx.deps, {
        runId: newRunId(Date.now()),
        mode: 'dry-run',
        onlyStack: name,
      });
      importers.push({ name, due: other.environments[0]?.plan.status === 'due' });
    }
    preview.exports.push({ name: u.name, importers });
    const outside = importers.find((i) => !i.due);
    if (outside && !preview.refused)
      preview.refused = {
        code: 'EXPORT_IN_USE',
        message: `export ${u.name} is imported by ${outside.name}, which is not being deleted`,
      };
  }
  return preview;
}

/** `env-reaper reap [--apply]`: exit 0, 1 (failures or lock held), 2 (usage/config), 3 (brake). */
export async function reapCommand(
  opts: GlobalOptions & {
    apply?: boolean;
    waitLock?: boolean;
    planOut?: string;
    applyPlan?: string;
    planTtl?: string;
  },
  io: CliIo,
): Promise<number> {
  parseOutputs(opts.output);
  const options = {
    apply: opts.apply === true,
    waitLock: opts.waitLock === true,
    planOut: opts.planOut,
    applyPlan: opts.applyPlan,
    planTtl: opts.planTtl,
  };
  checkReapFlags(options);
  return (await reapOnce(await cliContext(opts, io), opts, io, options)).code;
}

/** `env-reaper report merge <files...>`: one report from the shards' JSON reports. */
export async function mergeCommand(
  files: string[],
  o: { format?: string[]; output?: string[] },
  io: CliIo,
): Promise<number> {
  const outputs = parseOutputs(o.output);
  const reports: Report[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`${file}: not a readable JSON report (${(error as Error).message})`);
    }
    const checked = reportSchema.safeParse(
      upgrade(parsed, { ...REPORT_VERSIONING, what: `the report ${file}` }),
    );
    if (!checked.success)
      throw new UsageError(`${file}: not an env-reaper report: ${checked.error.issues[0]?.message ?? ''}`);
    reports.push(checked.data);
  }
  const merged = mergeReports(reports);
  await writeReports(merged, {
    formats: o.format ?? (outputs.size > 0 ? [] : ['json']),
    outputs,
    stdout: io.stdout,
    colour: colourAllowed(io),
    now: Date.parse(merged.generatedAt),
  });
  return EXIT.ok;
}
