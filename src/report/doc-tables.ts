import { configKeys } from '../config/keys.js';
import { REASONS, VERDICT_WHEN } from '../core/codes.js';
import { ERROR_CODE_LIST, ERROR_CODES } from '../core/error-codes.js';
import { DELETABLE_VERDICTS, REASON_CODES, VERDICTS } from '../core/model.js';
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
  const action = `\`${String(defaults.get(`policy.actions.${verdict}`))}\``;
  if (!(DELETABLE_VERDICTS as readonly string[]).includes(verdict)) return [action, 'never deleted'];
  const key = `policy.grace.${camel(verdict)}`;
  return [action, `\`${key}\` (${String(defaults.get(key))})`];
}

/** Every generated table. */
export function docRegions(): DocRegion[] {
  return [
    {
      path: 'docs/verdicts.md',
      name: 'verdicts',
      content: table(
        ['verdict', 'when', 'default action', 'grace, if `delete`', 'reason codes'],
        VERDICTS.map((v) => [
          `\`${v}\``,
          VERDICT_WHEN[v],
          ...actionAndGrace(v),
          REASON_CODES.filter((c) => REASONS[c].verdicts.includes(v))
            .map((c) => `\`${c}\``)
            .join(', '),
        ]),
      ),
    },
    {
      path: 'docs/verdicts.md',
      name: 'reason-codes',
      content: table(
        ['code', 'verdicts', 'meaning'],
        REASON_CODES.map((c) => [
          `\`${c}\``,
          REASONS[c].verdicts.map((v) => `\`${v}\``).join(', ') || 'any (informational)',
          REASONS[c].meaning,
        ]),
      ),
    },
    {
      path: 'docs/reaping.md',
      name: 'execution-codes',
      content: table(
        ['code', 'result', 'meaning'],
        Object.entries(EXECUTION_CODES).map(([code, { result, meaning }]) => [
          `\`${code}\``,
          result,
          meaning,
        ]),
      ),
    },
    {
      path: 'docs/reaping.md',
      name: 'deletion-phases',
      content: table(
        ['phase', 'meaning', 'may go to'],
        Object.entries(DELETION_PHASES).map(([phase, { meaning, next }]) => [
          `\`${phase}\``,
          meaning,
          next.map((n) => `\`${n}\``).join(', ') || '(end)',
        ]),
      ),
    },
    {
      path: 'docs/reaping.md',
      name: 'audit-events',
      content: table(
        ['event', 'fields', 'meaning'],
        AUDIT_EVENT_NAMES.map((e) => [
          `\`${e}\``,
          Object.entries(AUDIT_EVENTS[e].payload.shape)
            .map(([k, v]) => `\`${k}\`${v.safeParse(undefined).success ? ' (optional)' : ''}`)
            .join(', '),
          AUDIT_EVENTS[e].meaning,
        ]),
      ),
    },
    {
      path: 'docs/errors.md',
      name: 'error-codes',
      content: table(
        ['code', 'raised by', 'meaning'],
        ERROR_CODE_LIST.map((c) => [`\`${c}\``, ERROR_CODES[c].services.join(', '), ERROR_CODES[c].meaning]),
      ),
    },
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
