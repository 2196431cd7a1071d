import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { loadConfigWithDeprecations } from './load.js';
import { applyRenames, describeDeprecation, RENAMED_KEYS } from './renamed.js';

const table = [{ from: 'a.old', to: 'b.fresh', since: '1.1.0', removedIn: '1.2.0' }];

describe('renamed configuration keys', () => {
  it('moves an old key to its new name, leaves the input untouched and records the deprecation', () => {
    const raw = { a: { old: 5, other: 1 } };
    const { config, deprecations } = applyRenames(raw, 'file', table);
    expect(config).toEqual({ a: { other: 1 }, b: { fresh: 5 } });
    expect(raw).toEqual({ a: { old: 5, other: 1 } });
    expect(deprecations).toEqual([
      { key: 'a.old', replacement: 'b.fresh', removedIn: '1.2.0', source: 'file' },
    ]);
    expect(describeDeprecation(deprecations[0] as never)).toBe(
      'a.old is deprecated (config file): use b.fresh; a.old stops working in 1.2.0',
    );
  });

  it('keeps a value of false or null (present is present)', () => {
    expect(applyRenames({ a: { old: false } }, 'env', table).config).toEqual({ a: {}, b: { fresh: false } });
    expect(applyRenames({ a: { old: null } }, 'env', table).config).toEqual({ a: {}, b: { fresh: null } });
  });

  it('changes nothing without the old key, and ignores an old name under a non-object', () => {
    expect(applyRenames({ b: { fresh: 1 } }, 'file', table)).toEqual({
      config: { b: { fresh: 1 } },
      deprecations: [],
    });
    expect(applyRenames({ a: 'text' }, 'file', table)).toEqual({ config: { a: 'text' }, deprecations: [] });
  });

  it('refuses both names in one source', () => {
    const both = () => applyRenames({ a: { old: 1 }, b: { fresh: 2 } }, 'file', table);
    expect(both).toThrow(ConfigError);
    expect(both).toThrow('a.old: renamed to b.fresh, which is also set: remove a.old');
  });

  it('no entry outlives its minor version: at removedIn the old name must go (an unknown key, exit 2)', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const num = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
    const precedes = (a: number[], b: number[]) =>
      (a[0] ?? 0) * 1e6 + (a[1] ?? 0) * 1e3 + (a[2] ?? 0) <
      (b[0] ?? 0) * 1e6 + (b[1] ?? 0) * 1e3 + (b[2] ?? 0);
    for (const r of RENAMED_KEYS) {
      expect(
        precedes(num(version), num(r.removedIn)),
        `${r.from}: remove it from RENAMED_KEYS in ${r.removedIn}`,
      ).toBe(true);
      expect(precedes(num(r.since), num(r.removedIn))).toBe(true);
    }
  });

  it('every entry names a key the schema has, and an old name it no longer has', async () => {
    for (const r of RENAMED_KEYS) {
      const { config, deprecations } = await loadConfigWithDeprecations({ env: {} });
      expect(deprecations).toEqual([]);
      const path = r.to.split('.');
      expect(path.reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], config)).toBeDefined();
      await expect(
        loadConfigWithDeprecations({
          env: {},
          flags: r.from.split('.').reduceRight<unknown>((v, k) => ({ [k]: v }), true) as never,
        }),
      ).rejects.toThrow(/unknown key/);
    }
  });

  it('a variable with the new name overrides the file’s old name, as any variable overrides the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-renamed-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'notify:\n  mergeRequestNotices: false\n');
    const loaded = await loadConfigWithDeprecations({
      file,
      env: { ENV_REAPER_NOTIFY_WARN_BEFORE_DELETE: 'true' },
    });
    expect(loaded.config.notify.warnBeforeDelete).toBe(true);
    expect(loaded.deprecations.map((d) => d.source)).toEqual(['file']);
    expect((await loadConfigWithDeprecations({ file, env: {} })).config.notify.warnBeforeDelete).toBe(false);
  });

  it('notify.mergeRequestNotices still works, from the file’s old name and from its old variable', async () => {
    const env = await loadConfigWithDeprecations({
      env: { ENV_REAPER_NOTIFY_MERGE_REQUEST_NOTICES: 'false' },
    });
    expect(env.config.notify.warnBeforeDelete).toBe(false);
    expect(env.deprecations).toEqual([
      {
        key: 'notify.mergeRequestNotices',
        replacement: 'notify.warnBeforeDelete',
        removedIn: '0.2.0',
        source: 'env',
      },
    ]);
    // The new variable overrides the file's old name, as any variable overrides the file.
    await expect(
      loadConfigWithDeprecations({
        env: {
          ENV_REAPER_NOTIFY_MERGE_REQUEST_NOTICES: 'false',
          ENV_REAPER_NOTIFY_WARN_BEFORE_DELETE: 'true',
        },
      }),
    ).rejects.toThrow(/remove notify.mergeRequestNotices/);
  });
});
