// @ts-nocheck
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import { parse } from 'parse5';
import { SaxesParser } from 'saxes';

/**
 * Hostile strings as the world produces them, and checks that parse what env-reaper rendered from them.
 * The generators follow the rules the real systems enforce (so every case is a name someone could
 * really push), and lean on the characters that turn text into live syntax.
 */

/** `git check-ref-format` for a branch name (refs/heads/<name>). */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name === '@') return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.') || name.startsWith('-')) return false;
  if (name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: git forbids control characters in refs.
  if (/[\u0000-\u0020\u007F~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** Fragments that become live syntax somewhere if they are not neutralised. */
export const HOSTILE_FRAGMENTS = [
  '@all',
  '@here',
  '@group/sub',
  '@alice',
  '#12',
  '!3',
  '~label',
  '~"a label"',
  '%milestone',
  '$12',
  '/close',
  '/merge',
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '<b>',
  '-->',
  '--!>',
  '<!--',
  ']]>',
  '`',
  '``',
  '|',
  '||',
  '[x](http://evil.example/)',
  '![i](http://evil.example/i.png)',
  'http://evil.example/a',
  'https://evil.example',
  'www.evil.example',
  '<http://evil.example>',
  'mailto:a@evil.example',
  '**bold**',
  '_em_',
  '&amp;',
  '&#64;all',
  '"',
  "'",
  '(',
  ')',
  '\\',
  'é',
  '🦄',
  '\u202E',
  '\u200B',
  'a',
  'fix',
  'feature',
  '-',
  '_',
];

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }) },
);

/** Branch names that git accepts, built mostly from hostile fragments. */
export const branchName: fc.Arbitrary<string> = fc
  .array(fc.oneof(fragment, fc.constant('/')), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(''))
  .filter(isValidBranchName);

/** Anything a person can type (MR titles, display names, error texts), with control characters too. */
export const freeText: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(fc.oneof(fragment, fc.constantFrom('\n', '\r\n', '\t', '\u0000', '\u001b[31m', ' ')), {
      maxLength: 10,
    })
    .map((p) => p.join('')),
  fc.string({ unit: 'grapheme', maxLength: 256 }),
);

/** AWS tag values: up to 256 Unicode characters (the service restricts less than its docs say). */
export const tagValue: fc.Arbitrary<string> = fc.oneof(
  fc.array(fragment, { maxLength: 12 }).map((p) => Array.from(p.join('')).slice(0, 256).join('')),
  fc.string({ unit: 'grapheme', maxLength: 256 }),
);

/** What a Markdown check found wrong; empty when the text is inert. */
export interface MarkdownFindings {
  problems: string[];
  /** Contents of every code span, for "this outside string was rendered whole" checks. */
  codeSpans: string[];
  /** Body rows of each table, as cell counts. */
  tables: { header: number; rows: number[] }[];
}

const md = new MarkdownIt({ html: true, linkify: true });
const MARKER = /^<!-- env-reaper:[A-Za-z0-9:/._+=@%-]+( [A-Za-z0-9:/._+=@%-]+)* -->\s*$/;
// Live GitLab syntax in rendered text (outside code): mentions, references, quick actions, raw markup.
const LIVE_IN_TEXT = /[@#~%$<>]|\[|\]|!(?!\d+(?:\D|$))|https?:|www\./i;

/**
 * Parses GitLab-flavoured Markdown (CommonMark + GFM tables, HTML on, bare-URL linking on) and lists
 * every place where text from outside could be live: links, images, raw HTML other than our own markers,
 * mentions and references in plain text, quick-action lines. `allowedRefs` are our own `!iid` links.
 */
export function inspectMarkdown(body: string, allowedText: RegExp[] = []): MarkdownFindings {
  const problems: string[] = [];
  const codeSpans: string[] = [];
  const tables: MarkdownFindings['tables'] = [];
  for (const line of body.split('\n')) if (/^\s*\//.test(line)) problems.push(`quick-action line: ${line}`);
  const tokens = md.parse(body, {});
  let table: { header: number; rows: number[] } | undefined;
  let inBody = false;
  let cells = 0;
  const walk = (list: Token[]) => {
    for (const t of list) {
      if (t.type === 'html_block' || t.type === 'html_inline') {
        if (!MARKER.test(t.content)) problems.push(`raw HTML: ${JSON.stringify(t.content)}`);
      }
      if (t.type === 'link_open' || t.type === 'image')
        problems.push(`link or image: ${t.attrGet('href') ?? t.attrGet('src')}`);
      if (t.type === 'code_inline') codeSpans.push(t.content);
      if (t.type === 'text') {
        let text = t.content;
        for (const allowed of allowedText) text = text.replace(allowed, '');
        if (LIVE_IN_TEXT.test(text)) problems.push(`live text: ${JSON.stringify(t.content)}`);
      }
      if (t.type === 'table_open') table = { header: 0, rows: [] };
      if (t.type === 'tbody_open') inBody = true;
      if (t.type === 'th_open' && table) table.header++;
      if (t.type === 'tr_open') cells = 0;
      if (t.type === 'td_open') cells++;
      if (t.type === 'tr_close' && inBody && table) table.rows.push(cells);
      if (t.type === 'table_close' && table) {
        tables.push(table);
        table = undefined;
        inBody = false;
      }
      if (t.children) walk(t.children);
    }
  };
  walk(tokens);
  for (const tb of tables)
    if (tb.rows.some((n) => n !== tb.header)) problems.push(`table row broken: ${tb.header} vs ${tb.rows}`);
  return { problems, codeSpans, tables };
}

/** An outside string as `mdCode` shows it (control characters → spaces, `|` in tables → `｜`). */
export function asCodeSpan(text: string, table = false, max = 512): string {
  const chars = Array.from(text);
  let t = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the renderer replaces these.
  t = t.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, ' ');
  if (table) t = t.replace(/\|/g, '\uFF5C');
  return t;
}

/** Element names and text of an HTML document, parsed as a browser would (parse5). */
export function inspectHtml(html: string): { problems: string[]; texts: string[]; elements: string[] } {
  const problems: string[] = [];
  const texts: string[] = [];
  const elements: string[] = [];
  interface Node {
    nodeName: string;
    tagName?: string;
    value?: string;
    attrs?: { name: string; value: string }[];
    childNodes?: Node[];
  }
  const walk = (n: Node) => {
    if (n.tagName) {
      elements.push(n.tagName);
      for (const a of n.attrs ?? [])
        if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value))
          problems.push(`live attribute ${a.name}=${a.value}`);
    }
    if (n.nodeName === '#text' && n.value !== undefined) texts.push(n.value);
    for (const c of n.childNodes ?? []) walk(c);
    const content = (n as { content?: Node }).content;
    if (content) walk(content);
  };
  walk(parse(html) as unknown as Node);
  return { problems, texts, elements };
}

/** Parses XML strictly (saxes: XML 1.0 well-formedness, characters included); returns the first error. */
export function xmlError(xml: string): string | undefined {
  const parser = new SaxesParser({ xmlns: false });
  let error: string | undefined;
  parser.on('error', (e) => {
    error ??= e.message;
  });
  parser.write(xml).close();
  return error;
}
