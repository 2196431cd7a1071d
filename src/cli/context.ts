import { AwsClients, createAwsReader } from '../aws/collector.js';
import { createCostReader } from '../aws/cost.js';
import { type AwsWriter, createAwsWriter } from '../aws/writer.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../errors/errors.js';
import { createGitLabReader, type GitLabClientOptions } from '../gitlab/reader.js';
import { createGitLabWriter, type GitLabWriter } from '../gitlab/writer.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { RunDeps } from '../run/audit.js';
import { ApiStats } from '../util/api-stats.js';
import type { CliIo } from './io.js';
import { flagOverrides, type GlobalOptions } from './program.js';
import { Terminal } from './terminal.js';

/** Everything a run command needs, built from flags, env and config. */
export interface CommandContext {
  config: Config;
  logger: Logger;
  stats: ApiStats;
  deps: RunDeps;
  /** Write sides: only the executor (src/reap) uses them. */
  awsWriter: AwsWriter;
  gitlabWriter: GitLabWriter;
  /** The progress bar and retry summary, on a terminal. */
  terminal?: Terminal | undefined;
}

/** After a run: end the progress bar, and summarise retries (one line per host, or one log line). */
export function finishRun(ctx: CommandContext): void {
  if (ctx.terminal) ctx.terminal.finish(ctx.stats);
  else if (Object.keys(ctx.stats.retries()).length > 0)
    ctx.logger.warn({ retries: ctx.stats.retries() }, 'requests were retried');
}

/** GitLab credentials from the environment (docs/design.md §6): never from the config file. */
export function gitlabAuth(env: NodeJS.ProcessEnv): { token?: string; jobToken?: string } {
  if (env.GITLAB_TOKEN) return { token: env.GITLAB_TOKEN };
  if (env.CI_JOB_TOKEN) return { jobToken: env.CI_JOB_TOKEN };
  throw new UsageError('no GitLab token: set GITLAB_TOKEN (or run in a GitLab job with CI_JOB_TOKEN)');
}

/** Progress: one bar per phase on a terminal (logs written above it), a log line every 10 s otherwise. */
function progressReporter(
  terminal: Terminal | undefined,
  logger: Logger,
  quiet: boolean,
): RunDeps['progress'] {
  if (quiet) return undefined;
  if (terminal) return ({ phase, done, total }) => terminal.progress(phase, done, total);
  let last = 0;
  return ({ phase, done, total }) => {
    const now = Date.now();
    if (done === total || now - last > 10_000) {
      last = now;
      logger.info({ phase, done, total }, 'progress');
    }
  };
}

/** Loads config (exit 2 before any network call when invalid) and wires the real clients. */
export async function buildContext(opts: GlobalOptions, io: CliIo): Promise<CommandContext> {
  const config = await loadConfig({ file: opts.config, env: io.env, flags: flagOverrides(opts) });
  const level = opts.quiet ? 'error' : config.log.level;
  const tty = io.isTTY?.stderr === true;
  const terminal = tty && !opts.quiet ? new Terminal(io) : undefined;
  const logger = createLogger({ level, pretty: tty, ...(terminal ? { write: terminal.write } : {}) });
  const stats = new ApiStats();
  if (!config.gitlab.url) throw new UsageError('no GitLab URL: set gitlab.url, GITLAB_URL or CI_SERVER_URL');
  const auth = gitlabAuth(io.env);
  const gitlabOptions: GitLabClientOptions = {
    url: config.gitlab.url,
    ...auth,
    requestsPerMinute: config.gitlab.requestsPerMinute,
    concurrency: config.gitlab.concurrency,
    timeoutMs: parseDuration(config.gitlab.timeout) ?? 30_000,
    maxRetries: config.gitlab.maxRetries,
    logger,
    stats,
    // On a terminal the retries are summarised per host at the end, not logged one by one.
    retryLogLevel: tty ? 'debug' : 'warn',
  };
  const gitlab = createGitLabReader(gitlabOptions);
  const clients = new AwsClients({
    stats,
    logger,
    cloudFormationRps: config.aws.cloudFormationRequestsPerSecond,
  });
  const aws = createAwsReader({ stats, logger }, clients);
  const progress = progressReporter(terminal, logger, opts.quiet === true);
  const deps: RunDeps = {
    aws,
    gitlab,
    logger,
    stats,
    now: () => Date.now(),
    env: io.env,
    cost: createCostReader(clients),
    ...(progress ? { progress } : {}),
  };
  return {
    config,
    logger,
    stats,
    deps,
    awsWriter: createAwsWriter(clients),
    gitlabWriter: createGitLabWriter(gitlabOptions),
    terminal,
  };
}
