import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Action, DeletableVerdict, Verdict } from '../core/model.js';
import type { Limits, Policy } from '../core/policy.js';
import { ConfigError, type ConfigIssue } from '../errors/errors.js';
import { envOverrides, envSources, nearest, unknownEnvVariables } from './env.js';
import { configKeys } from './keys.js';
import { applyRenames, type Deprecation } from './renamed.js';
import { type Config, configSchema } from './schema.js';

/** Where configuration comes from, lowest precedence first after the defaults. */
export interface ConfigSources {
  /** YAML file path (`--config`). */
  file?: string | undefined;
  /** Process environment, for `ENV_REAPER_*` and `GITLAB_URL`/`CI_SERVER_URL`. */
  env: NodeJS.ProcessEnv;
  /** Overrides from command-line flags, as a partial config. */
  flags?: Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where `over` wins; arrays are replaced, not concatenated. */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** The key names the schema has right under `path` (`policy` → `grace`, `actions`, …). */
function keysUnder(path: string[]): string[] {
  const prefix = path.length ? `${path.join('.')}.` : '';
  const names = configKeys()
    .filter((k) => k.path.startsWith(prefix))
    .map((k) => k.path.slice(prefix.length).split('.')[0] as string);
  return [...new Set(names)];
}

function issuesOf(error: z.ZodError, fromEnv: Map<string, string> = new Map()): ConfigIssue[] {
  return error.issues.flatMap((i) => {
    const path = i.path.map(String);
    // A typo is reported at the key itself, so the message points where the fix goes, with the key
    // it most likely meant.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => {
        const near = nearest(k, keysUnder(path));
        const full = [...path, k].join('.');
        return {
          path: full,
          message: `unknown key${near ? ` (did you mean ${[...path, near].join('.')}?)` : ''}`,
        };
      });
    }
    // A bad value that came from a variable names the variable: that is where it is fixed.
    const joined = path.join('.');
    const variable = [...fromEnv].find(([p]) => joined === p || joined.startsWith(`${p}.`))?.[1];
    return [{ path: joined, message: variable ? `${i.message} (set by ${variable})` : i.message }];
  });
}

/** Reads and parses a YAML config file; YAML syntax errors become config issues with line numbers. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      [{ path: '', message: `cannot read config file ${file}: ${(cause as Error).message}` }],
      {
        cause,
      },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ path: '', message: `${file}: ${e.message}` })));
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value))
    throw new ConfigError([{ path: '', message: `${file}: expected a mapping at the top level` }]);
  return value;
}

/** A loaded configuration and the deprecated keys it was written with. */
export interface LoadedConfig {
  config: Config;
  deprecations: Deprecation[];
}

/**
 * Builds the effective configuration: defaults < file < env < flags (docs/design.md §6). Every problem is
 * reported at once, with its path, in a single ConfigError. Renamed keys are read under their old name
 * too (src/config/renamed.ts), each source on its own, and listed in `deprecations`.
 */
export async function loadConfigWithDeprecations(sources: ConfigSources): Promise<LoadedConfig> {
  const file = applyRenames(sources.file ? await readConfigFile(sources.file) : {}, 'file');
  const env = applyRenames(envOverrides(sources.env), 'env');
  let merged = deepMerge(file.config, env.config);
  const gitlabUrl = sources.env.GITLAB_URL ?? sources.env.CI_SERVER_URL;
  const gitlab = isPlainObject(merged.gitlab) ? merged.gitlab : {};
  if (gitlab.url === undefined && gitlabUrl) merged = deepMerge(merged, { gitlab: { url: gitlabUrl } });
  if (sources.flags) merged = deepMerge(merged, sources.flags);
  const unknown = unknownEnvVariables(sources.env);
  const parsed = configSchema.safeParse(merged);
  const issues = [...unknown, ...(parsed.success ? [] : issuesOf(parsed.error, envSources(sources.env)))];
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return { config: parsed.data, deprecations: [...file.deprecations, ...env.deprecations] };
}

/** {@link loadConfigWithDeprecations} for callers that report no deprecations. */
export async function loadConfig(sources: ConfigSources): Promise<Config> {
  return (await loadConfigWithDeprecations(sources)).config;
}

/** Validates a config object; throws ConfigError listing every issue. */
export function parseConfig(input: unknown): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error));
  return parsed.data;
}

/** The pure decision policy for src/core, derived from a validated config. */
export function policyFromConfig(config: Config): Policy {
  const g = config.policy.grace;
  // Every deletable verdict has its own key: the type makes a missing one a compile error, not a 0.
  const graceMs: Record<DeletableVerdict, number> = {
    merged: g.merged,
    'branch-deleted': g.branchDeleted,
    abandoned: g.abandoned,
    idle: g.idle,
    'project-gone': g.projectGone,
    unowned: g.unowned,
    'delete-failed': g.deleteFailed,
  };
  return {
    ownership: {
      tags: config.ownership.tags,
      stackNamePatterns: config.ownership.stackNamePatterns,
      projects: config.ownership.projects,
    },
    protect: config.policy.protect,
    actions: { ...config.policy.actions, unused: config.policy.unused } as Record<Verdict, Action>,
    graceMs,
    idleAfterDays: config.policy.idleAfterDays,
    minAgeHours: config.policy.minAgeHours,
    noticeMs: config.notify.warnBeforeDelete ? config.notify.beforeDeleteHours * 3_600_000 : 0,
    usageWindowDays: Math.round(config.usage.window / 86_400_000),
  };
}

/** The brakes, from a validated config. */
export function limitsFromConfig(config: Config): Limits {
  return {
    maxDeletionsPerRun: config.limits.maxDeletionsPerRun,
    maxDeletionPercent: config.limits.maxDeletionPercent,
  };
}

/** The default configuration. */
export function defaultConfig(): Config {
  return parseConfig({});
}
