import { optionName } from '../config/flags.js';
import { configFlags } from '../config/keys.js';
import { UsageError } from '../errors/errors.js';

/** Global options shared by every command (docs/design.md §6), as the CLI parsed them. */
export interface GlobalOptions {
  config?: string;
  format?: string[];
  output?: string[];
  region?: string[];
  quiet?: boolean;
  verbose?: boolean;
  logLevel?: string;
  shard?: string;
}

/** Parses `--shard i/n` (1-based). */
export function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard expects i/n with 1 ≤ i ≤ n, got "${text}"`);
  return { index, count };
}

/**
 * Turns the flags given into a partial config (flags have the highest precedence), from the flags the
 * config schema's keys carry (`config/flags.ts`): a later flag of the same key wins (`--log-level` over
 * `--verbose`).
 */
export function flagOverrides(opts: GlobalOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const options = new Map<string, unknown>(Object.entries(opts));
  for (const { path, flag } of configFlags()) {
    const given = options.get(optionName(flag));
    const value =
      flag.sets !== undefined
        ? given === true
          ? flag.sets
          : undefined
        : Array.isArray(given)
          ? given.length > 0
            ? given
            : undefined
          : given;
    if (value !== undefined) setPath(out, path, value);
  }
  return out;
}

/** Sets `value` at `path` in a nested plain object, making the objects on the way. */
function setPath(into: Record<string, unknown>, path: string[], value: unknown): void {
  let node = into;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    const child: Record<string, unknown> =
      next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...next } : {};
    node[key] = child;
    node = child;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}
