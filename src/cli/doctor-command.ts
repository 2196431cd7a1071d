import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AwsClients, createAwsReader } from '../aws/collector.js';
import { createCostReader } from '../aws/cost.js';
import { loadConfig } from '../config/load.js';
import { parseDuration } from '../core/duration.js';
import { EXIT } from '../errors/errors.js';
import { createGitLabReader, createGitlabApi, type GitLabClientOptions } from '../gitlab/reader.js';
import { createLogger } from '../log/logger.js';
import { targetsOf } from '../run/audit.js';
import { type DoctorCheck, doctor } from '../run/doctor.js';
import { createStateStore } from '../state/index.js';
import { ApiStats } from '../util/api-stats.js';
import { termSafe } from '../util/safe-text.js';
import type { CliIo } from './io.js';
import { flagOverrides, type GlobalOptions } from './program.js';

/** `env-reaper doctor`: wires the real clients into the checks and prints the checklist. */
export async function doctorCommand(
  opts: GlobalOptions & { apply?: boolean; writeTest?: boolean },
  io: CliIo,
): Promise<number> {
  // An invalid config is a config error (exit 2), listed like `config validate` lists it.
  const config = await loadConfig({ file: opts.config, env: io.env, flags: flagOverrides(opts) });
  const logger = createLogger({
    level: opts.quiet ? 'error' : config.log.level,
    pretty: io.isTTY?.stderr === true,
  });
  const stats = new ApiStats();
  const token = io.env.GITLAB_TOKEN ? 'personal' : io.env.CI_JOB_TOKEN ? 'job' : 'none';
  const gitlabOptions: GitLabClientOptions = {
    url: config.gitlab.url ?? '',
    ...(io.env.GITLAB_TOKEN ? { token: io.env.GITLAB_TOKEN } : { jobToken: io.env.CI_JOB_TOKEN ?? '' }),
    requestsPerMinute: config.gitlab.requestsPerMinute,
    concurrency: config.gitlab.concurrency,
    timeoutMs: parseDuration(config.gitlab.timeout) ?? 30_000,
    // One try: doctor reports what it sees now, it does not wait out an outage.
    maxRetries: 0,
    logger,
    stats,
  };
  const clients = new AwsClients({
    stats,
    logger,
    cloudFormationRps: config.aws.cloudFormationRequestsPerSecond,
    maxAttempts: 1,
  });
  const aws = createAwsReader({ stats, logger }, clients);
  const cost = createCostReader(clients);
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const checks = await doctor(
    {
      config,
      targets: targetsOf(config, io.env),
      token,
      tokenInfo: async () => {
        const t = (await createGitlabApi(gitlabOptions).PersonalAccessTokens.show()) as unknown as {
          scopes?: string[];
          active?: boolean;
          expires_at?: string | null;
        };
        return { scopes: t.scopes ?? [], active: t.active !== false, expiresAt: t.expires_at ?? null };
      },
      project: async (key) => {
        const p = await createGitLabReader(gitlabOptions).project(key);
        return p ? { path: p.path } : null;
      },
      callerAccount: (target) => aws.callerAccount(target),
      listOnePage: async (target, region) =>
        (await clients.cloudFormation(target, region).send(new DescribeStacksCommand({}))).Stacks?.length ??
        0,
      costProbe: async (target) => {
        await cost.costByTag(target, config.cost.tagKey, day(-1), day(0));
      },
      store: createStateStore(config),
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
