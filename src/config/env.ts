import { closest, distance } from 'fastest-levenshtein';
import type { ConfigIssue } from '../errors/errors.js';
import { configKeys, envName } from './keys.js';
import { RENAMED_KEYS } from './renamed.js';

/** `ENV_REAPER_*` variables: each config key's override from the environment, coerced to its type. */

function coerce(raw: string, type: string): unknown {
  const t = raw.trim();
  if (type === 'integer' || type === 'number') return t === '' ? raw : Number(t);
  if (type === 'boolean') return t === 'true' ? true : t === 'false' ? false : raw;
  if (type === 'array' || type === 'object' || type.includes('|')) {
    if (t.startsWith('[') || t.startsWith('{')) {
      try {
        return JSON.parse(t);
      } catch {
        return raw;
      }
    }
    // Convenience for lists of strings: `eu-west-1,us-east-1`.
    return type === 'array'
      ? t
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : raw;
  }
  return raw;
}

/** Sets `value` at a dotted path, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** The overrides that `ENV_REAPER_*` variables make, as a partial config object. */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = configKeys();
  for (const key of keys) {
    const raw = env[key.env];
    if (raw !== undefined) setPath(out, key.path, coerce(raw, key.type));
  }
  // A renamed key's old variable is read at its old path, typed as the new key; the loader renames it.
  for (const r of RENAMED_KEYS) {
    const raw = env[envName(r.from.split('.'))];
    const type = keys.find((k) => k.path === r.to)?.type ?? 'string';
    if (raw !== undefined) setPath(out, r.from, coerce(raw, type));
  }
  return out;
}

/**
 * `ENV_REAPER_*` names that are not config keys: the CI/CD component's own variables and the image
 * build's. Any other unknown `ENV_REAPER_*` variable is an error: a mistyped one would do nothing.
 */
export const RESERVED_ENV = [
  'ENV_REAPER_JOB',
  'ENV_REAPER_CMD',
  'ENV_REAPER_CONFIG',
  'ENV_REAPER_REPORTS',
  'ENV_REAPER_COMPONENT_MODE',
  'ENV_REAPER_COMPONENT_REGIONS',
  'ENV_REAPER_COMMIT',
] as const;

/** The nearest of `names` to `name`, when it is near enough to be a typo of it. */
export function nearest(name: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const best = closest(name, [...names]);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 5)) ? best : undefined;
}

/** Every `ENV_REAPER_*` variable that names no config key, with the nearest key's variable. */
export function unknownEnvVariables(env: NodeJS.ProcessEnv): ConfigIssue[] {
  const keys = configKeys().map((k) => k.env);
  const known = new Set<string>([
    ...keys,
    ...RENAMED_KEYS.map((r) => envName(r.from.split('.'))),
    ...RESERVED_ENV,
  ]);
  return Object.keys(env)
    .filter((n) => n.startsWith('ENV_REAPER_') && !known.has(n))
    .sort()
    .map((n) => {
      const near = nearest(n, keys);
      return { path: n, message: `unknown variable${near ? ` (did you mean ${near}?)` : ''}` };
    });
}

/** Which variable set each config path, for the variables present. */
export function envSources(env: NodeJS.ProcessEnv): Map<string, string> {
  return new Map(
    configKeys()
      .filter((k) => env[k.env] !== undefined)
      .map((k) => [k.path, k.env]),
  );
}
