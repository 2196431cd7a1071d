import { configKeys } from '../config/keys.js';
import { REASONS, VERDICT_WHEN } from '../core/codes.js';
import { ERROR_CODE_LIST, ERROR_CODES } from '../core/error-codes.js';
import { DELETABLE_VERDICTS, REASON_CODES, VERDICTS } from '../core/model.js';
import { USAGE_SPECS } from '../core/usage.js';
import { AUDIT_EVENT_NAMES, AUDIT_EVENTS } from '../executor/audit-events.js';
import { DELETION_PHASES } from '../executor/lifecycle.js';
import { EXECUTION_CODES } from '../executor/outcome.js';

/**
 * The tables of the docs that restate closed lists of the code: verdicts and reason codes
 * (`docs/verdicts.md`), execution codes (`docs/reaping.md`) and failure codes (`docs/errors.md`). `npm run gen` writes them between
 * markers in the hand-written pages; a test fails when a committed table differs from the code.
 */

/** One generated table inside a hand-written page. */
export interface DocRegion {
  path: string;
  name: string;
  content: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const camel = (verdict: string) => verdict.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The default action of each verdict, and its grace where `delete` may be configured, from the schema. */
function actionAndGrace(verdict: (typeof VERDICTS)[number]): [string, string] {
  const defaults = new Map(configKeys().map((k) => [k.path, k.default]));
  // `unused` has a key of its own (`policy.unused`: keep, flag or stop).
  const actionKey = verdict === 'unused' ? 'policy.unused' : `policy.actions.${verdict}`;
  const action = `\`${String(defaults.get(actionKey))}\``;
  if (verdict === 'unused')
    return [`${action} (\`policy.unused\`)`, 'never deleted (`stop` runs its on_stop job)'];
  if (!(DELETABLE_VERDICTS as readonly string[]).includes(verdict)) return [action, 'never deleted'];
  const key = `policy.grace.${camel(verdict)}`;
  return [action, `\`${key}\` (${String(defaults.get(key))})`];
}

/** One region: the page, the marker name, the table's head and rows. */
const region = (path: string, name: string, head: string[], rows: string[][]): DocRegion => ({
  path,
  name,
  content: table(head, rows),
});

/** Names as code spans, comma-separated (`a`, `b`); `none` when there are none. */
const spans = (names: readonly string[], none = '') => names.map((n) => `\`${n}\``).join(', ') || none;

/** Every generated table. */
export function docRegions(): DocRegion[] {
  return [
    region(
      'docs/verdicts.md',
      'verdicts',
      ['verdict', 'when', 'default action', 'grace, if `delete`', 'reason codes'],
      VERDICTS.map((v) => [
        spans([v]),
        VERDICT_WHEN[v],
        ...actionAndGrace(v),
        spans(REASON_CODES.filter((c) => REASONS[c].verdicts.includes(v))),
      ]),
    ),
    region(
      'docs/verdicts.md',
      'reason-codes',
      ['code', 'verdicts', 'meaning'],
      REASON_CODES.map((c) => [
        spans([c]),
        spans(REASONS[c].verdicts, 'any (informational)'),
        REASONS[c].meaning,
      ]),
    ),
    region(
      'docs/reaping.md',
      'execution-codes',
      ['code', 'result', 'meaning'],
      Object.entries(EXECUTION_CODES).map(([code, { result, meaning }]) => [spans([code]), result, meaning]),
    ),
    region(
      'docs/reaping.md',
      'deletion-phases',
      ['phase', 'meaning', 'may go to'],
      Object.entries(DELETION_PHASES).map(([phase, { meaning, next }]) => [
        spans([phase]),
        meaning,
        spans(next, '(end)'),
      ]),
    ),
    region(
      'docs/reaping.md',
      'audit-events',
      ['event', 'fields', 'meaning'],
      AUDIT_EVENT_NAMES.map((e) => [
        spans([e]),
        Object.entries(AUDIT_EVENTS[e].payload.shape)
          .map(([k, v]) => `\`${k}\`${v.safeParse(undefined).success ? ' (optional)' : ''}`)
          .join(', '),
        AUDIT_EVENTS[e].meaning,
      ]),
    ),
    region(
      'docs/usage.md',
      'usage-metrics',
      ['resource', 'tagging type', 'counts as', 'CloudWatch metric', 'dimensions', 'no traffic looks like'],
      USAGE_SPECS.map((u) => [
        u.label,
        spans([u.taggingType]),
        u.role,
        u.namespace
          ? `${spans([u.namespace])} ${spans(u.metrics ?? [])}${u.metricRegion ? ` in ${u.metricRegion}` : ''}`
          : '—',
        u.dimensions
          ? spans(Object.keys(u.dimensions(['', '1', '2'] as unknown as RegExpMatchArray, 'name')))
          : '—',
        u.noTraffic,
      ]),
    ),
    region(
      'docs/errors.md',
      'error-codes',
      ['code', 'raised by', 'meaning'],
      ERROR_CODE_LIST.map((c) => [spans([c]), ERROR_CODES[c].services.join(', '), ERROR_CODES[c].meaning]),
    ),
  ];
}

const begin = (name: string) => `<!-- generated: ${name} (npm run gen; do not edit by hand) -->`;
const end = (name: string) => `<!-- end of generated: ${name} -->`;

/** The page with the region's table put between its markers (which must be there). */
export function withRegion(page: string, region: DocRegion): string {
  const a = page.indexOf(begin(region.name));
  const b = page.indexOf(end(region.name));
  if (a < 0 || b < a) throw new Error(`${region.path}: no markers for the generated table ${region.name}`);
  return `${page.slice(0, a)}${begin(region.name)}\n\n${region.content}\n\n${page.slice(b)}`;
}

/** The table between a region's markers, or `undefined`. */
export function regionOf(page: string, name: string): string | undefined {
  const a = page.indexOf(begin(name));
  const b = page.indexOf(end(name));
  return a < 0 || b < a ? undefined : page.slice(a + begin(name).length, b).trim();
}

/** A table as a formatter may have aligned it, reduced to its cells (padding and dash runs ignored). */
export function tableCells(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/^:?-{3,}:?$/, '---')),
    );
}
