import { describe, expect, it } from 'vitest';
import { didYouMean, jaroWinkler, rubySuggestions } from './did-you-mean.js';

/** The suggestions Ruby's DidYouMean gives (the cases its own test suite pins), so the sandbox's match. */
describe("Ruby's DidYouMean, as graphql-ruby uses it", () => {
  it('Jaro-Winkler as Ruby computes it', () => {
    const cases: [number, string, string][] = [
      [0.9667, 'henka', 'henkan'],
      [0.9611, 'martha', 'marhta'],
      [0.8324, 'jones', 'johnson'],
      [0.9167, 'abcvwxyz', 'zabcvwxy'],
      [0.84, 'dwayne', 'duane'],
      [0.8133, 'dixon', 'dicksonx'],
      [0, 'fvie', 'ten'],
      [0.9067, 'does_exist', 'doesnt_exist'],
    ];
    for (const [score, a, b] of cases) expect(Number(jaroWinkler(a, b).toFixed(4)), `${a} ${b}`).toBe(score);
  });

  it('mistypes, misspells, order, and nothing where nothing is close', () => {
    expect(rubySuggestions('meail', ['email', 'fail', 'eval'])).toEqual(['email']);
    expect(rubySuggestions('veal', ['email', 'fail', 'eval'])).toEqual(['eval']);
    expect(rubySuggestions('gsuv!', ['sub', 'gsub', 'gsub!'])).toEqual(['gsub!', 'gsub']);
    expect(rubySuggestions('dependents', ['descendants'])).toEqual(['descendants']);
    expect(
      rubySuggestions('name123456', ['name12', 'name123', 'name1234', 'name12345', 'name123456']),
    ).toEqual(['name12345', 'name1234', 'name123']);
    expect(rubySuggestions('product_path', ['proc'])).toEqual([]);
    expect(rubySuggestions('input', ['input'])).toEqual([]);
    // A GitLab whose merge requests lack sourceBranches offers nothing for it (graphql-js says targetBranches).
    expect(rubySuggestions('sourceBranches', ['targetBranches', 'state', 'iids', 'first', 'after'])).toEqual(
      [],
    );
  });

  it("graphql-ruby's suffix", () => {
    expect(didYouMean('branchRule', ['branchRules', 'name'])).toBe(' (Did you mean `branchRules`?)');
    expect(didYouMean('gsuv!', ['sub', 'gsub', 'gsub!'])).toBe(' (Did you mean `gsub!` or `gsub`?)');
    expect(didYouMean('zzz', ['name'])).toBe('');
  });
});
