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

/** Turns global flags into a partial config (flags have the highest precedence). */
export function flagOverrides(opts: GlobalOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.region && opts.region.length > 0) out.aws = { regions: opts.region };
  if (opts.verbose) out.log = { level: 'debug' };
  if (opts.logLevel) out.log = { level: opts.logLevel };
  if (opts.format && opts.format.length > 0) out.report = { formats: opts.format };
  return out;
}
