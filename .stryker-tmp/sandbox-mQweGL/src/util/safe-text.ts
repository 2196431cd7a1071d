/**
 * The text-safety layer: every string that came from outside (branch names, MR titles and authors, tag
 * values, stack names, AWS and GitLab error texts) passes through one of these functions before it reaches
 * GitLab Markdown, HTML, XML or a terminal. Which renderer uses which rule is in `docs/feedback.md`
 * ("Text safety").
 *
 * Why code spans for Markdown: GitLab turns mentions (`@all`), references (`#12`, `!3`, `~label`,
 * `%milestone`, `$snippet`) and bare URLs into live syntax *after* rendering, on text nodes outside code,
 * so backslash escapes do not stop them. Inside a code span nothing is live. The span below cannot be
 * closed from inside (its fence is longer than any backtick run in the text), carries no line break (a
 * quick action needs a line that starts with `/`), and in a table cell holds no `|` (GFM splits cells
 * before it parses code spans, and the `\|` escape is read differently by different parsers).
 * Hand-written: no maintained library escapes for GitLab's post-render reference filters.
 */
// @ts-nocheck


/** Longest outside string rendered in full; longer ones end in `…` so one hostile value cannot flood a note. */
export const MAX_OUTSIDE_TEXT = 512;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/**
 * An outside string as an unbreakable GitLab Markdown code span. Line breaks and other control characters
 * become spaces; in a table cell (`table: true`) `|` becomes `｜` (U+FF5C) so the cell cannot be split.
 * The empty string renders as `—`.
 */
export function mdCode(text: string, options: { table?: boolean; max?: number } = {}): string {
  let t = clip(text, options.max ?? MAX_OUTSIDE_TEXT).replace(CONTROL, ' ');
  if (options.table) t = t.replace(/\|/g, '\uFF5C');
  if (t.length === 0) return '—';
  const longestRun = Math.max(0, ...(t.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space on each side when both are there: pad so that a leading or trailing
  // backtick cannot join the fence, and so that the text's own edge spaces survive.
  const pad = /^[` ]|[` ]$/.test(t) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/**
 * A hidden HTML comment marker (`<!-- env-reaper:… -->`). Every character outside a conservative set is
 * percent-encoded, so no part can end the comment (`-->`, `--!>`) or open markup. Ordinary ARNs and codes
 * pass unchanged, which keeps markers written by earlier versions recognisable.
 */
export function mdMarker(...parts: string[]): string {
  const enc = parts.map((p) =>
    p.replace(/[^A-Za-z0-9:/._+=@-]/gu, (c) =>
      Array.from(new TextEncoder().encode(c))
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join(''),
    ),
  );
  return `<!-- env-reaper:${enc.join(' ')} -->`;
}

/** Inverse of the part encoding in {@link mdMarker}. */
export function decodeMarkerPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** HTML element text or a double- or single-quoted attribute value. Control characters are dropped. */
export function htmlEscape(text: unknown): string {
  return String(text)
    .replace(CONTROL, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. Lone surrogates
// and the two noncharacters cannot be carried even escaped.
const XML_INVALID =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** XML element text or attribute value (JUnit): escaped, with characters XML 1.0 cannot carry replaced. */
export function xmlEscape(text: unknown): string {
  return String(text)
    .replace(XML_INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

/** A terminal cell: control characters (escape sequences included) are shown as `�`, never sent. */
export function termSafe(text: string): string {
  return text.replace(CONTROL, '\uFFFD');
}
