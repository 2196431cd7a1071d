import { AwsClients } from '../aws/clients.js';
import { createCostReader } from '../aws/cost.js';
import { createAwsLeftoverReader } from '../aws/leftovers.js';
import type { AwsLeftoverReader, AwsProbes } from '../aws/ports.js';
import { createAwsProbes } from '../aws/probes.js';
import { createAwsDeletionReader, createAwsReader } from '../aws/stacks.js';
import { createAwsUsageReader } from '../aws/usage.js';
import { createAwsWriter } from '../aws/writer.js';
import { loadConfigWithDeprecations } from '../config/load.js';
import { describeDeprecation } from '../config/renamed.js';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors/errors.js';
import type { ExecutorDeps } from '../executor/executor.js';
import { createGitLabApi, createGitLabGraphql, type GitLabClientOptions } from '../gitlab/api.js';
import { createGitLabRequestHandler } from '../gitlab/http.js';
import type { GitLabProbes } from '../gitlab/ports.js';
import { createGitLabProbes } from '../gitlab/probes.js';
import { createGitLabReader } from '../gitlab/reader.js';
import { createGitLabExecutorReader, createGitLabWriter } from '../gitlab/writer.js';
import { createLogger, type Logger } from '../log/logger.js';
import { webhookSecrets } from '../notify/send.js';
import { ApiStats } from '../util/api-stats.js';
import { secretValues } from '../util/redact.js';
import type { ProgressEvent, RunDeps } from './audit.js';
import type { CliIo } from './io.js';
import { flagOverrides, type GlobalOptions } from './options.js';
import { checkRegions } from './regions-check.js';

/** Where a run shows progress on a terminal (the CLI's progress bar); logs are written through it. */
export interface RunDisplay {
  write: (text: string) => void;
  progress(event: ProgressEvent): void;
  /** Ends the display after a run; summarises retries. */
  finish(stats: ApiStats): void;
}

/**
 * Everything a run needs, built once from flags, env and config: the daemon builds it at start and
 * reuses it on every tick (config and clients, so one AssumeRole cache and one GitLab pacer), the CLI
 * once per command.
 */
export interface RunContext {
  config: Config;
  logger: Logger;
  /** API call counts of the current run (reset at the start of each run). */
  stats: ApiStats;
  deps: RunDeps;
  /** Write sides with the reads they need: only the executor (src/executor) uses them. */
  executorIo: Pick<ExecutorDeps, 'aws' | 'gitlab'>;
  /** The leftovers reads of `reap`. */
  leftovers: AwsLeftoverReader;
  /** The reads `doctor` makes beyond a run's, on the run's clients. */
  probes: { aws: AwsProbes; gitlab: GitLabProbes };
  display?: RunDisplay | undefined;
  /** stderr is a terminal: a person reads the logs (pretty), not a log pipeline. */
  terminal: boolean;
}

/** After a run: end the progress display, and summarise retries (per host, or one log line). */
export function finishRun(ctx: RunContext): void {
  if (ctx.display) ctx.display.finish(ctx.stats);
  else if (Object.keys(ctx.stats.retries()).length > 0)
    ctx.logger.warn({ retries: ctx.stats.retries() }, 'requests were retried');
}

/** GitLab credentials from the environment (docs/design.md §6): never from the config file. */
export function gitlabAuth(env: NodeJS.ProcessEnv): { token?: string; jobToken?: string } {
  if (env.GITLAB_TOKEN) return { token: env.GITLAB_TOKEN };
  if (env.CI_JOB_TOKEN) return { jobToken: env.CI_JOB_TOKEN };
  throw new UsageError('no GitLab token: set GITLAB_TOKEN (or run in a GitLab job with CI_JOB_TOKEN)');
}

/** Progress: the display's bar on a terminal, a log line every 10 s otherwise. */
function progressReporter(
  display: RunDisplay | undefined,
  logger: Logger,
  quiet: boolean,
): RunDeps['progress'] {
  if (quiet) return undefined;
  if (display) return (event) => display.progress(event);
  let last = 0;
  return ({ phase, done, total, deleted, failed }) => {
    const now = Date.now();
    if (done === total || now - last > 10_000) {
      last = now;
      const m = process.memoryUsage();
      // Memory with the progress: where a large run spends it (heap, and buffers outside the heap).
      const mb = (n: number) => Math.round(n / 2 ** 20);
      logger.info(
        {
          phase,
          done,
          total,
          ...(deleted !== undefined ? { deleted, failed } : {}),
          rssMb: mb(m.rss),
          heapMb: mb(m.heapUsed),
          heapTotalMb: mb(m.heapTotal),
          externalMb: mb(m.external),
        },
        'progress',
      );
    }
  };
}

/** How the context is built beyond flags and config. */
export interface ContextOptions {
  /** The terminal display, made only when stderr is a terminal and not `--quiet`. */
  display?: (io: CliIo) => RunDisplay;
  /** One try per call, no retries: `doctor` reports what it sees now. */
  oneTry?: boolean;
  /** Whether a GitLab token is required (`doctor` reports a missing one instead). */
  requireToken?: boolean;
}

/** Loads config (exit 2 before any network call when invalid) and wires the real clients. */
export async function buildContext(
  opts: GlobalOptions,
  io: CliIo,
  options: ContextOptions = {},
): Promise<RunContext> {
  const { config, deprecations } = await loadConfigWithDeprecations({
    file: opts.config,
    env: io.env,
    flags: flagOverrides(opts),
  });
  checkRegions(config, io.env);
  const level = opts.quiet ? 'error' : config.log.level;
  const tty = io.isTTY?.stderr === true;
  const display = tty && !opts.quiet ? options.display?.(io) : undefined;
  const logger = createLogger({
    level,
    pretty: tty,
    // Webhook URLs are secrets too: scrubbed from every line, like the tokens.
    secrets: [...secretValues(io.env), ...webhookSecrets(config, io.env)],
    ...(display ? { write: display.write } : {}),
  });
  for (const d of deprecations)
    logger.warn({ ...d, detail: describeDeprecation(d) }, 'deprecated config key');
  const stats = new ApiStats();
  const requireToken = options.requireToken !== false;
  if (!config.gitlab.url && requireToken)
    throw new UsageError('no GitLab URL: set gitlab.url, GITLAB_URL or CI_SERVER_URL');
  const auth = requireToken ? gitlabAuth(io.env) : gitlabAuthOrNone(io.env);
  const gitlabOptions: GitLabClientOptions = {
    url: config.gitlab.url ?? '',
    ...auth,
    rateLimitReserve: config.gitlab.rateLimitReserve,
    requestsPerMinute: config.gitlab.requestsPerMinute,
    concurrency: config.gitlab.concurrency,
    timeoutMs: config.gitlab.timeout,
    maxRetries: options.oneTry ? 0 : config.gitlab.maxRetries,
    logger,
    stats,
    // On a terminal the retries are summarised per host at the end, not logged one by one.
    retryLogLevel: tty ? 'debug' : 'warn',
  };
  // One GitLab request handler for REST reads, writes and GraphQL: one pacer, one view of the rate budget.
  const handler = createGitLabRequestHandler(gitlabOptions);
  const gitlabApi = createGitLabApi(gitlabOptions, handler);
  const graphql = createGitLabGraphql(gitlabOptions, handler);
  if (config.gitlab.api === 'graphql' && graphql === null && requireToken)
    throw new UsageError(
      'gitlab.api is graphql, but a CI job token cannot use GitLab GraphQL: set GITLAB_TOKEN, or use gitlab.api auto',
    );
  const clients = new AwsClients({
    stats,
    logger,
    cloudFormationRps: config.aws.cloudFormationRequestsPerSecond,
    s3ForcePathStyle: config.aws.s3ForcePathStyle,
    timeoutMs: config.aws.timeout,
    maxAttempts: options.oneTry ? 1 : config.aws.maxAttempts,
  });
  const progress = progressReporter(display, logger, opts.quiet === true);
  const deps: RunDeps = {
    aws: createAwsReader(clients),
    gitlab: createGitLabReader(gitlabApi),
    ...(graphql ? { graphql } : {}),
    logger,
    stats,
    now: () => Date.now(),
    env: io.env,
    cost: createCostReader(clients),
    usage: createAwsUsageReader(clients),
    ...(progress ? { progress } : {}),
  };
  const executorIo = {
    aws: { ...createAwsDeletionReader(clients), ...createAwsWriter(clients) },
    gitlab: { ...createGitLabExecutorReader(gitlabApi), ...createGitLabWriter(gitlabApi) },
  };
  const leftovers = createAwsLeftoverReader(clients);
  const probes = { aws: createAwsProbes(clients), gitlab: createGitLabProbes(gitlabApi) };
  return { config, logger, stats, deps, executorIo, leftovers, probes, display, terminal: tty };
}

function gitlabAuthOrNone(env: NodeJS.ProcessEnv): { token?: string; jobToken?: string } {
  return env.GITLAB_TOKEN || env.CI_JOB_TOKEN ? gitlabAuth(env) : { jobToken: '' };
}
