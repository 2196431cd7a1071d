import { describe, expect, it } from 'vitest';
import { expectCommitted } from '../../test/helpers/doc-region.js';
import { COMMAND_FLAGS } from '../config/flags.js';
import { flagOverrides } from '../run/options.js';
import { commandsTaking, optionsDocRegion, optionsOf } from './option-table.js';

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
    expect(commandsTaking('-o')).toEqual(COMMAND_FLAGS.output.commands);
    expect(commandsTaking('--plan-ttl')).toEqual(['reap']);
    expect(commandsTaking('--write-test')).toEqual(['doctor']);
    expect(flags('reap')).toEqual(
      expect.arrayContaining(['--apply', '--plan-out', '--apply-plan', '--plan-ttl', '--wait-lock']),
    );
    expect(commandsTaking('--nope')).toBeUndefined();
  });

  it('maps each config-backed flag to its key, a later flag of the same key winning', () => {
    expect(flagOverrides({ region: ['eu-west-1', 'us-east-1'], format: ['json'] })).toEqual({
      aws: { regions: ['eu-west-1', 'us-east-1'] },
      report: { formats: ['json'] },
    });
    expect(flagOverrides({ verbose: true })).toEqual({ log: { level: 'debug' } });
    expect(flagOverrides({ verbose: true, logLevel: 'warn' })).toEqual({ log: { level: 'warn' } });
    expect(flagOverrides({ region: [], quiet: true, shard: '1/2' })).toEqual({});
  });
});
