import { EXIT } from '../errors/errors.js';
import { probeGraphql } from '../gitlab/graphql-probe.js';
import { targetsOf } from '../run/audit.js';
import { buildContext } from '../run/context.js';
import { type DoctorCheck, doctor } from '../run/doctor.js';
import type { CliIo } from '../run/io.js';
import type { GlobalOptions } from '../run/options.js';
import { createStateStore } from '../run/state-store.js';
import { termSafe } from '../util/safe-text.js';

/** `env-reaper doctor`: wires the real clients into the checks and prints the checklist. */
export async function doctorCommand(
  opts: GlobalOptions & { apply?: boolean; writeTest?: boolean },
  io: CliIo,
): Promise<number> {
  // An invalid config is a config error (exit 2), listed like `config validate` lists it. One try per
  // call: doctor reports what it sees now, it does not wait out an outage.
  const ctx = await buildContext(opts, io, { oneTry: true, requireToken: false });
  const { config, probes } = ctx;
  const token = io.env.GITLAB_TOKEN ? 'personal' : io.env.CI_JOB_TOKEN ? 'job' : 'none';
  const { aws, gitlab, cost } = ctx.deps;
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const checks = await doctor(
    {
      config,
      targets: targetsOf(config, io.env),
      env: io.env,
      token,
      reach: () => probes.gitlab.reach(),
      tokenInfo: () => probes.gitlab.tokenInfo(),
      graphql: () => probeGraphql(ctx.deps.graphql),
      project: async (key) => {
        const p = await gitlab.project(key);
        return p ? { path: p.path } : null;
      },
      callerAccount: (target) => aws.callerAccount(target),
      listOnePage: async (target, region) => (await probes.aws.describeStacks(target, region)).count,
      probes: probes.aws,
      costProbe: async (target) => {
        await cost?.costByTag(target, config.cost.tagKey, day(-1), day(0));
      },
      store: await createStateStore(config),
      now: () => Date.now(),
    },
    { forReapApply: opts.apply === true || config.mode === 'apply', writeTest: opts.writeTest === true },
  );
  const ok = checks.every((c) => c.ok);
  const formats = opts.format ?? [];
  if (formats.includes('json')) io.stdout(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
  else io.stdout(renderChecklist(checks));
  return ok ? EXIT.ok : EXIT.partial;
}

/** The checklist for a terminal: one line per check, the fix under each failure. */
export function renderChecklist(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines = checks.map((c) => {
    const head = `${c.ok ? '✓' : '✗'} ${c.id.padEnd(width)}  ${termSafe(c.detail)}`;
    return c.ok || !c.fix ? head : `${head}\n  ${' '.repeat(width)}  fix: ${termSafe(c.fix)}`;
  });
  const failed = checks.filter((c) => !c.ok).length;
  lines.push('', failed === 0 ? 'all checks passed' : `${failed} check${failed === 1 ? '' : 's'} failed`);
  return `${lines.join('\n')}\n`;
}
