import { FormatTooNewError } from './errors.js';

/**
 * Files env-reaper writes and reads back (state, plan, JSON report) carry a format version. A reader
 * migrates what an older version wrote, one version at a time, and refuses what a newer one wrote:
 * reading a newer format in part, then writing it back, would lose what the newer version keeps there.
 */

/** How one kind of file is versioned. */
export interface Versioning {
  /** In messages: `state file .env-reaper/state.json`. */
  what: string;
  /** The key that holds the version (`version`, `schemaVersion`). */
  field: string;
  /** The version this env-reaper writes. */
  current: number;
  /**
   * Migrations by the version they start from: `migrations[1]` turns a version-1 document into a
   * version-2 one. Pure functions of the parsed JSON.
   */
  migrations: Record<number, (old: Record<string, unknown>) => Record<string, unknown>>;
}

/**
 * The document in the current format: migrated when older, refused (`FormatTooNewError`) when newer, as
 * it was otherwise (its schema then judges it). A document without a numeric version is left to the schema.
 */
export function upgrade(raw: unknown, v: Versioning): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  let doc = raw as Record<string, unknown>;
  let version = doc[v.field];
  if (typeof version !== 'number' || !Number.isInteger(version)) return raw;
  if (version > v.current) throw new FormatTooNewError(v.what, version, v.current);
  while (version < v.current) {
    const step = v.migrations[version];
    // No way up from a version this env-reaper never knew: its schema will say what is wrong.
    if (!step) return doc;
    doc = { ...step(doc), [v.field]: version + 1 };
    version += 1;
  }
  return doc;
}
