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
