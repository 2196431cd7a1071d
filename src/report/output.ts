import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors/errors.js';
import { renderHtml } from './html.js';
import type { Report } from './json-report.js';
import { renderJunit } from './junit.js';
import { renderMarkdown, renderTable } from './text.js';

/** Report formats this build renders. */
export const FORMATS = ['table', 'json', 'markdown', 'junit', 'html'] as const;
export type Format = (typeof FORMATS)[number];

const EXTENSION: Record<Format, string> = {
  table: 'txt',
  json: 'json',
  markdown: 'md',
  junit: 'junit.xml',
  html: 'html',
};

/** Parses `--output json=report.json` pairs. */
export function parseOutputs(pairs: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of pairs) {
    const m = /^([a-z]+)=(.+)$/.exec(pair);
    if (!m) throw new UsageError(`--output expects format=path, got "${pair}"`);
    out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/** Renders one format. */
export function render(report: Report, format: string, options: { colour: boolean; now: number }): string {
  switch (format) {
    case 'table':
      return renderTable(report, options);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(report, options);
    case 'junit':
      return renderJunit(report);
    case 'html':
      return renderHtml(report);
    default:
      throw new UsageError(
        `report format "${format}" is not available in this version (use ${FORMATS.join(', ')})`,
      );
  }
}

/**
 * Writes every requested format: to its `--output` path, else into `report.dir`, else to stdout.
 * Formats named only in `--output` are written too.
 */
export async function writeReports(
  report: Report,
  options: {
    formats: string[];
    outputs: Map<string, string>;
    dir?: string | undefined;
    stdout: (text: string) => void;
    colour: boolean;
    now: number;
  },
): Promise<void> {
  const formats = [...new Set([...options.formats, ...options.outputs.keys()])];
  for (const format of formats) render(report, format, options); // validate all before writing any
  for (const format of formats) {
    const text = render(report, format, {
      ...options,
      colour: options.colour && !options.outputs.has(format) && !options.dir,
    });
    const path =
      options.outputs.get(format) ??
      (options.dir ? join(options.dir, `report.${EXTENSION[format as Format]}`) : undefined);
    if (path) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    } else options.stdout(text);
  }
}
