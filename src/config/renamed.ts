import { ConfigError } from '../errors/errors.js';

/**
 * Configuration keys that were renamed. The old name keeps working for one minor version: its value is
 * moved to the new key, and the run logs a deprecation warning (`config validate` lists them). In
 * `removedIn` the entry goes, and the old name becomes an unknown key (exit 2).
 */
export interface RenamedKey {
  /** The old dotted path, as users wrote it. */
  from: string;
  /** The new dotted path. */
  to: string;
  /** The first version with the new name. */
  since: string;
  /** The version that no longer reads the old name. */
  removedIn: string;
}

/** Every rename still honoured. */
export const RENAMED_KEYS: readonly RenamedKey[] = [
  // `mergeRequestNotices` was one typo away from `mergeRequestNotes`, a different feature.
  { from: 'notify.mergeRequestNotices', to: 'notify.warnBeforeDelete', since: '0.1.0', removedIn: '0.2.0' },
];

/** One old key found in a configuration source. */
export interface Deprecation {
  key: string;
  replacement: string;
  removedIn: string;
  /** Where it was written: the config file or the environment (ENV_REAPER_* of the old name). */
  source: 'file' | 'env';
}

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lookup(tree: Tree, path: string[]): { parent: Tree; leaf: string } | undefined {
  let node: unknown = tree;
  for (const p of path.slice(0, -1)) {
    if (!isTree(node)) return undefined;
    node = node[p];
  }
  const leaf = path[path.length - 1] as string;
  return isTree(node) && leaf in node ? { parent: node, leaf } : undefined;
}

function put(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const p of path.slice(0, -1)) {
    if (!isTree(node[p])) node[p] = {};
    node = node[p] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

/**
 * Moves each old key of one source to its new name (a copy; the input is not changed). The same source
 * setting both names is an error: which one was meant cannot be known.
 */
export function applyRenames(
  raw: Tree,
  source: Deprecation['source'],
  table: readonly RenamedKey[] = RENAMED_KEYS,
): { config: Tree; deprecations: Deprecation[] } {
  const config = structuredClone(raw);
  const deprecations: Deprecation[] = [];
  const conflicts: { path: string; message: string }[] = [];
  for (const r of table) {
    const old = lookup(config, r.from.split('.'));
    if (!old) continue;
    if (lookup(config, r.to.split('.'))) {
      conflicts.push({ path: r.from, message: `renamed to ${r.to}, which is also set: remove ${r.from}` });
      continue;
    }
    const value = old.parent[old.leaf];
    delete old.parent[old.leaf];
    put(config, r.to.split('.'), value);
    deprecations.push({ key: r.from, replacement: r.to, removedIn: r.removedIn, source });
  }
  if (conflicts.length > 0) throw new ConfigError(conflicts);
  return { config, deprecations };
}

/** The line `config validate` and the run's warning use. */
export function describeDeprecation(d: Deprecation): string {
  return `${d.key} is deprecated (${d.source === 'env' ? 'environment' : 'config file'}): use ${d.replacement}; ${d.key} stops working in ${d.removedIn}`;
}
