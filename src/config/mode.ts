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
