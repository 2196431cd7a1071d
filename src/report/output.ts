import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPORT_FORMATS } from '../config/flags.js';
import { UsageError } from '../errors/errors.js';
import { renderHtml } from './html.js';
import type { Report } from './json-report.js';
import { renderJunit } from './junit.js';
import { renderMarkdown, renderTable } from './text.js';

/** Report formats this build renders. */
export const FORMATS = REPORT_FORMATS;
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
      return [...jsonChunks(report)].join('');
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
  // Validate every name before writing anything.
  const unknown = formats.find((f) => !(FORMATS as readonly string[]).includes(f));
  if (unknown !== undefined) render(report, unknown, options);
  for (const format of formats) {
    const path =
      options.outputs.get(format) ??
      (options.dir ? join(options.dir, `report.${EXTENSION[format as Format]}`) : undefined);
    if (path) await mkdir(dirname(path), { recursive: true });
    if (format === 'json') {
      // Streamed, one environment at a time: at 50,000 stacks one JSON string would dominate memory.
      if (path) {
        const out = createWriteStream(path);
        for (const chunk of jsonChunks(report)) if (!out.write(chunk)) await once(out, 'drain');
        await new Promise<void>((resolve, reject) =>
          out.end((e?: Error | null) => (e ? reject(e) : resolve())),
        );
      } else for (const chunk of jsonChunks(report)) options.stdout(chunk);
      continue;
    }
    const text = render(report, format, {
      ...options,
      colour: options.colour && !options.outputs.has(format) && !options.dir,
    });
    if (path) await writeFile(path, text);
    else options.stdout(text);
  }
}

/**
 * The JSON report in chunks: the envelope pretty-printed, each environment on one line. The result is
 * one valid JSON document, the same as `JSON.stringify(report)` once parsed.
 */
export function* jsonChunks(report: Report): Generator<string> {
  const { environments, ...rest } = report;
  const head = JSON.stringify({ ...rest, environments: [] }, null, 2);
  const [before, after] = head.split('"environments": []') as [string, string];
  yield `${before}"environments": [`;
  for (let i = 0; i < environments.length; i++)
    yield `${i === 0 ? '\n' : ',\n'}    ${JSON.stringify(environments[i])}`;
  yield `${environments.length > 0 ? '\n  ' : ''}]${after}\n`;
}
