import { parseDuration } from '../core/duration.js';
import { UsageError } from '../errors/errors.js';
import { DEFAULT_PLAN_TTL } from './flags.js';
import type { Config } from './schema.js';

/**
 * Whether a run is allowed to write, resolved once from the flags and the configuration: `--apply`, an
 * approved plan (`--apply-plan`) or `mode: apply` allow it; `--plan-out` (a plan is a dry-run) never
 * does. The executor's gate is the only place that acts on it (docs/design.md §2).
 */
export function writesAllowed(
  config: Pick<Config, 'mode'>,
  flags: { apply?: boolean | undefined; applyPlan?: boolean | undefined; planOut?: boolean | undefined },
): boolean {
  if (flags.planOut) return false;
  return flags.apply === true || flags.applyPlan === true || config.mode === 'apply';
}

/**
 * Usage errors of the reap flags, raised before any config is read or call made: a plan (`--plan-out`)
 * is a dry-run, so it refuses `--apply` and `--apply-plan`; `--plan-ttl` must be a duration (`DEFAULT_PLAN_TTL` by default).
 */
export function checkReapFlags(flags: {
  apply?: boolean | undefined;
  applyPlan?: string | undefined;
  planOut?: string | undefined;
  planTtl?: string | undefined;
}): { ttlMs: number } {
  if (flags.planOut && (flags.apply || flags.applyPlan))
    throw new UsageError('--plan-out makes a plan (a dry-run): it does not go with --apply or --apply-plan');
  const ttlMs = parseDuration(flags.planTtl ?? DEFAULT_PLAN_TTL);
  if (ttlMs === undefined)
    throw new UsageError(`--plan-ttl: "${flags.planTtl}" is not a duration (e.g. 24h)`);
  return { ttlMs };
}
