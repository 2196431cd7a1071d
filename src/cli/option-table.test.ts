import { describe, expect, it } from 'vitest';
import { expectCommitted } from '../../test/helpers/doc-region.js';
import { commandsTaking, optionsDocRegion, optionsOf, SHARED_OPTIONS } from './option-table.js';

describe('the option table', () => {
  it('docs/design.md has the generated flags table (run `npm run gen`)', async () => {
    await expectCommitted(optionsDocRegion());
  });

  it('gives each command only its options, and knows who takes a refused one', () => {
    const flags = (c: Parameters<typeof optionsOf>[0]) => optionsOf(c).map((o) => o.long);
    expect(flags('config validate')).toEqual(['--config']);
    expect(flags('explain')).not.toContain('--output');
    expect(flags('audit')).toContain('--shard');
    expect(commandsTaking('--shard')).toEqual(['audit', 'reap']);
    expect(commandsTaking('-o')).toEqual(SHARED_OPTIONS.output?.commands);
    expect(commandsTaking('--nope')).toBeUndefined();
  });
});
