import { describe, expect, it } from 'vitest';
import { FormatTooNewError } from './errors.js';
import { upgrade, type Versioning } from './versioned.js';

const v: Versioning = {
  what: 'the state x.json',
  field: 'version',
  current: 3,
  migrations: {
    1: (d) => ({ ...d, renamed: d.old, old: undefined }),
    2: (d) => ({ ...d, added: 'default' }),
  },
};

describe('versioned files', () => {
  it('migrates an older document one version at a time to the current one', () => {
    expect(upgrade({ version: 1, old: 'x' }, v)).toEqual({
      version: 3,
      renamed: 'x',
      old: undefined,
      added: 'default',
    });
    expect(upgrade({ version: 2, renamed: 'y' }, v)).toEqual({ version: 3, renamed: 'y', added: 'default' });
  });

  it('leaves the current version as it is', () => {
    const doc = { version: 3, a: 1 };
    expect(upgrade(doc, v)).toBe(doc);
  });

  it('refuses a newer version, saying what, which version and what it reads', () => {
    const read = () => upgrade({ version: 4 }, v);
    expect(read).toThrow(FormatTooNewError);
    expect(read).toThrow(
      'the state x.json has format version 4, and this env-reaper reads up to 3: a newer env-reaper wrote it',
    );
  });

  it('leaves to the schema what carries no version, or no way up', () => {
    for (const raw of [null, [], 'x', { version: '2' }, { version: 1.5 }, {}])
      expect(upgrade(raw, v)).toBe(raw);
    const gap: Versioning = { ...v, migrations: {} };
    expect(upgrade({ version: 1 }, gap)).toEqual({ version: 1 });
  });
});
