import type { Evidence, EvidenceError } from '../core/model.js';
import type { RunError } from '../core/run-result.js';
import type { Page } from './ports.js';
import { toEvidenceError } from './reader.js';

/**
 * How one kind of GitLab fact (branches, MRs, environments) is read for a project: listed whole or
 * looked up key by key, whichever costs fewer requests, and how a stack then picks its items out.
 */

export const ok = <T>(value: T): Evidence<T> => ({ ok: true, value });
export const fail = (error: EvidenceError): Evidence<never> => ({ ok: false, error });

/** How one kind of fact was read for a project. */
export type Facts<T> =
  | { kind: 'all'; items: T[]; sawAll: boolean }
  | { kind: 'lookup'; byKey: Map<string, Evidence<T[]>> }
  | { kind: 'error'; error: EvidenceError };

/** One kind of fact of one project, and the two ways to read it. */
export interface FactStep<T> {
  /** For error scopes: `branches`, `merge requests`, `environments`. */
  what: string;
  /** The refs (or environment names) the stacks need. */
  keys: string[];
  /** A listing is the only way (ref slugs can only be matched against a listing). */
  mustList: boolean;
  listPage: (page: number) => Promise<Page<T>>;
  /** Items worth keeping from a listing, so memory follows the stacks, not the size of the project. */
  keep: (item: T) => boolean;
  /**
   * The key a listed item answers completely (a branch by name, an environment by name), so a first
   * page read to size the listing is not thrown away. Absent for MRs: a ref may have more elsewhere.
   */
  answers?: (item: T) => string | undefined;
  /** Reads one key directly. */
  lookup: (key: string) => Promise<T[]>;
  /** The error scope of one lookup. */
  lookupScope: (key: string) => string;
  /** Seen on every listed item (the default-branch check). */
  seen?: (item: T) => void;
}

/**
 * Names where a lookup failed, on the evidence error itself (every stack's evidence that holds it
 * shares the object), and returns it as a run error: the report can then say exactly which stacks one
 * failed lookup made unknown.
 */
/** Where a GitLab failure happened: the project as its stacks name it, and the scope in words. */
export interface Place {
  project: string;
  scope: string;
}

/** The place of a project's reads (`gitlab:project acme/shop`). */
export function projectPlace(project: string | number): Place {
  return { project: String(project), scope: `gitlab:project ${project}` };
}

/**
 * A failed read as a run error, named where it happened: its project and what was read. The evidence
 * error keeps the scope, so a report can find the stacks it left unknown.
 */
export function scoped(e: EvidenceError, place: Place, what?: string): RunError {
  const scope = what ? `${place.scope} ${what}` : place.scope;
  e.scope = scope;
  return { ...e, scope, service: 'gitlab', project: place.project };
}

/**
 * Reads one kind of fact: looks the keys up when there are few, else lists a first page; when the rest
 * of the listing would cost more pages than the keys it left unanswered, looks those up instead.
 */
export async function readFacts<T>(
  step: FactStep<T>,
  lookupFirst: number,
  place: Place,
  errors: RunError[],
): Promise<Facts<T>> {
  const lookups = async (keys: string[], byKey = new Map<string, Evidence<T[]>>()) => {
    await Promise.all(
      keys.map(async (key) => {
        try {
          byKey.set(key, ok(await step.lookup(key)));
        } catch (error) {
          const e = toEvidenceError(error);
          errors.push(scoped(e, place, step.lookupScope(key)));
          byKey.set(key, fail(e));
        }
      }),
    );
    return { kind: 'lookup' as const, byKey };
  };
  if (!step.mustList && step.keys.length <= lookupFirst) return lookups(step.keys);
  try {
    const first = await step.listPage(1);
    if (!step.mustList && first.nextPage !== null) {
      const answered = new Map<string, T[]>();
      for (const item of first.items) {
        const key = step.answers?.(item);
        if (key !== undefined) answered.set(key, [...(answered.get(key) ?? []), item]);
      }
      const open = step.keys.filter((k) => !answered.has(k));
      const remaining = first.totalPages === null ? Number.POSITIVE_INFINITY : first.totalPages - 1;
      if (remaining >= open.length) {
        const byKey = new Map<string, Evidence<T[]>>(
          [...answered].filter(([k]) => step.keys.includes(k)).map(([k, v]) => [k, ok(v)]),
        );
        return lookups(open, byKey);
      }
    }
    const items: T[] = [];
    const take = (page: Page<T>) => {
      for (const item of page.items) {
        step.seen?.(item);
        if (step.keep(item)) items.push(item);
      }
    };
    take(first);
    let next = first.nextPage;
    if (next !== null && first.totalPages !== null && first.totalPages >= next) {
      // The first page told how many there are: ask for the rest at once (the HTTP layer bounds how many
      // go together), instead of one round trip after another; kept in page order.
      const numbers = Array.from({ length: first.totalPages - next + 1 }, (_, i) => (next as number) + i);
      const pages = await Promise.all(numbers.map((n) => step.listPage(n)));
      for (const page of pages) take(page);
      // A collection that grew while it was read has pages beyond the total: follow them one by one.
      next = pages.at(-1)?.nextPage ?? null;
    }
    while (next !== null) {
      const page = await step.listPage(next);
      take(page);
      next = page.nextPage;
    }
    return { kind: 'all', items, sawAll: true };
  } catch (error) {
    const e = toEvidenceError(error);
    errors.push(scoped(e, place, step.what));
    return { kind: 'error', error: e };
  }
}

/** The one item a key names, from whichever way its kind of fact was read. */
export function pick<T>(facts: Facts<T>, key: string, match: (item: T) => boolean): Evidence<T | null> {
  if (facts.kind === 'error') return fail(facts.error);
  if (facts.kind === 'all') return ok(facts.items.find(match) ?? null);
  const one = facts.byKey.get(key);
  if (one === undefined) return ok(null);
  return one.ok ? ok(one.value.find(match) ?? null) : one;
}

/** The items of a stack (by its ref or slug), from whichever way its kind of fact was read. */
export function mine<T>(
  facts: Facts<T>,
  ref: string | undefined,
  matches: (item: T) => boolean,
): Evidence<T[]> {
  if (facts.kind === 'error') return fail(facts.error);
  if (facts.kind === 'all') return ok(facts.items.filter(matches));
  if (ref === undefined) return ok([]);
  return facts.byKey.get(ref) ?? ok([]);
}
