import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runEventSchemaFile } from '../notify/event.js';
import { reportSchemaFile } from '../report/json-report.js';
import { configFiles } from './artifacts.js';
import { configKeys } from './keys.js';
import { parseConfig } from './load.js';

describe('generated config artifacts', () => {
  it.each([...configFiles(), reportSchemaFile(), runEventSchemaFile()].map((f) => [f.path, f.content]))(
    '%s is up to date (run `npm run gen`)',
    async (path, content) => {
      expect(await readFile(path, 'utf8')).toBe(content);
    },
  );

  it('the example config is valid and documents every key', async () => {
    const text = await readFile('config/env-reaper.example.yaml', 'utf8');
    expect(() => parseConfig(parse(text))).not.toThrow();
    for (const key of configKeys()) {
      expect(text).toContain(key.env);
    }
  });

  it('every key has a description', () => {
    for (const key of configKeys()) expect(key.description, key.path).not.toBe('');
  });
});
