/**
 * Durations as written in config (`90s`, `30m`, `2h`, `7d`, `1w`, or a combination like `1h30m`).
 * Hand-written: the grammar is five units, and `ms`-style libraries accept forms (`2 hours`, bare
 * numbers) that would make configs ambiguous.
 */
const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Matches a whole duration string. */
export const DURATION_PATTERN = /^(?:\d+[smhdw])+$/;

/** Parses a duration to milliseconds; `undefined` when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return total;
}

/** Formats milliseconds compactly (`2h`, `1d3h`), for reports. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.length > 0 ? parts.join('') : '0s';
}
