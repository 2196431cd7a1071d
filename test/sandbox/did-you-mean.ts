/**
 * The "did you mean" suffix graphql-ruby adds to an unknown field or argument, through Ruby's
 * DidYouMean::SpellChecker (graphql-ruby `validation_context.rb` `did_you_mean_suggestion`). Written here
 * from the behaviour of Ruby's `did_you_mean` (`spell_checker.rb`, `jaro_winkler.rb`, `levenshtein.rb`):
 * no npm package computes Ruby's variant (its Jaro window, its thresholds 0.834 / 0.77, its mistype and
 * misspell passes), and graphql-js's own suggestions pick other names.
 */

/** Ruby's Jaro similarity: the window is half the longer string less one (none up to 3 characters). */
function jaro(a: string, b: string): number {
  const [s1, s2] = a.length > b.length ? [b, a] : [a, b];
  const range = s2.length > 3 ? Math.floor(s2.length / 2) - 1 : 0;
  const taken1 = new Array<boolean>(s1.length).fill(false);
  const taken2 = new Array<boolean>(s2.length + range + 1).fill(false);
  let m = 0;
  for (let i = 0; i < s1.length; i++) {
    for (let j = i >= range ? i - range : 0; j <= i + range; j++) {
      if (!taken2[j] && j < s2.length && s1[i] === s2[j]) {
        taken2[j] = true;
        taken1[i] = true;
        m++;
        break;
      }
    }
  }
  let t = 0;
  let k = 0;
  for (let i = 0; i < s1.length; i++) {
    if (!taken1[i]) continue;
    let index = k;
    for (let j = k; j < s2.length; j++) {
      index = j;
      if (taken2[j]) {
        k = j + 1;
        break;
      }
    }
    if (s1[i] !== s2[index]) t++;
  }
  t = Math.floor(t / 2);
  return m === 0 ? 0 : (m / s1.length + m / s2.length + (m - t) / m) / 3;
}

/** Jaro-Winkler as Ruby computes it: a prefix bonus (up to 4) above a similarity of 0.7. */
export function jaroWinkler(a: string, b: string): number {
  const d = jaro(a, b);
  if (d <= 0.7) return d;
  let prefix = 0;
  for (const c of a) {
    if (prefix < 4 && c === b[prefix]) prefix++;
    else break;
  }
  return d + prefix * 0.1 * (1 - d);
}

function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length] as number;
}

/** The names Ruby's SpellChecker would offer for `input` out of `dictionary`, best first. */
export function rubySuggestions(input: string, dictionary: readonly string[]): string[] {
  const norm = (s: string) => s.toLowerCase().replaceAll('@', '');
  const wanted = norm(input);
  const threshold = wanted.length > 3 ? 0.834 : 0.77;
  const words = dictionary
    .filter((w) => jaroWinkler(norm(w), wanted) >= threshold && w !== input)
    .map((w, i) => ({ w, i, d: jaroWinkler(w, wanted) }))
    // Ruby sorts ascending, then reverses: ties come out in reverse dictionary order.
    .sort((x, y) => y.d - x.d || y.i - x.i)
    .map((x) => x.w);
  const mistypes = words.filter((w) => levenshtein(norm(w), wanted) <= Math.ceil(wanted.length * 0.25));
  if (mistypes.length > 0) return mistypes;
  return words
    .filter((w) => levenshtein(norm(w), wanted) < Math.min(wanted.length, norm(w).length))
    .slice(0, 1);
}

/** graphql-ruby's suffix: ` (Did you mean `a`?)`, ` (Did you mean `a`, `b` or `c`?)`, or nothing. */
export function didYouMean(input: string, dictionary: readonly string[]): string {
  const s = rubySuggestions(input, dictionary).map((x) => `\`${x}\``);
  if (s.length === 0) return '';
  const last = s.pop() as string;
  return ` (Did you mean ${s.length ? `${s.join(', ')} or ${last}` : last}?)`;
}
