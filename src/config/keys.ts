import { z } from 'zod';
import { type FlagSpec, flagRegistry } from './flags.js';
import { configSchema } from './schema.js';

/**
 * The option table: every config key with its env name, type, default and description, generated from
 * the one zod schema. The env overrides, the JSON Schema, the example config and docs/configuration.md
 * all come from here, so they cannot disagree.
 */

/** One configuration key with everything generated from the schema. */
export interface ConfigKey {
  /** Dotted path, e.g. `policy.grace.merged`. */
  path: string;
  /** `ENV_REAPER_POLICY_GRACE_MERGED`. */
  env: string;
  /** JSON Schema type of the leaf. */
  type: string;
  description: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  /** The command-line flags that set it (`-r, --region <region>`), when any. */
  flags?: string[];
}

/** The JSON Schema of the config file, as committed in `config/env-reaper.schema.json`. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The `ENV_REAPER_*` name of a dotted path's segments. */
export function envName(path: string[]): string {
  return `ENV_REAPER_${path
    .map((p) =>
      p
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .toUpperCase(),
    )
    .join('_')}`;
}

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  anyOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  additionalProperties?: unknown;
}

/** A config key a flag sets, and the flag. */
export interface ConfigFlag {
  path: string[];
  flag: FlagSpec;
}

/**
 * Every flag registered on a key of the config schema (`flagRegistry`), in schema order. The schema's
 * wrappers (defaults, optionals, pipes) are looked through; the registry is read on every node.
 */
export function configFlags(): ConfigFlag[] {
  const out: ConfigFlag[] = [];
  const walk = (node: z.core.$ZodType, path: string[]): void => {
    for (const flag of flagRegistry.get(node)?.flags ?? []) out.push({ path, flag });
    if (node instanceof z.ZodObject) {
      for (const [k, child] of Object.entries(node.shape)) walk(child, [...path, k]);
    } else if (
      node instanceof z.ZodDefault ||
      node instanceof z.ZodPrefault ||
      node instanceof z.ZodOptional ||
      node instanceof z.ZodNullable
    ) {
      walk(node.unwrap(), path);
    } else if (node instanceof z.ZodPipe) walk(node.in, path);
  };
  walk(configSchema, []);
  return out;
}

/** Every leaf key of the config, in schema order. Objects with fixed properties are walked into. */
export function configKeys(): ConfigKey[] {
  const out: ConfigKey[] = [];
  const byPath = new Map<string, string[]>();
  for (const { path, flag } of configFlags())
    byPath.set(path.join('.'), [...(byPath.get(path.join('.')) ?? []), flag.flags]);
  const walk = (node: JsonSchemaNode, path: string[]) => {
    if (node.type === 'object' && node.properties && path.length < 2) {
      for (const [k, child] of Object.entries(node.properties)) walk(child, [...path, k]);
      return;
    }
    if (node.type === 'object' && node.properties && node.additionalProperties === false) {
      for (const [k, child] of Object.entries(node.properties)) walk(child, [...path, k]);
      return;
    }
    const type = Array.isArray(node.type)
      ? node.type.join('|')
      : (node.type ?? (node.anyOf ? node.anyOf.map((a) => a.type).join('|') : 'string'));
    const key: ConfigKey = {
      path: path.join('.'),
      env: envName(path),
      type,
      description: node.description ?? '',
    };
    if (node.default !== undefined) key.default = node.default;
    if (node.examples !== undefined) key.examples = node.examples;
    if (node.enum !== undefined) key.enum = node.enum;
    const flags = byPath.get(key.path);
    if (flags) key.flags = flags;
    out.push(key);
  };
  walk(configJsonSchema() as JsonSchemaNode, []);
  return out;
}
