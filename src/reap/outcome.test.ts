import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EXECUTION_CODES } from './outcome.js';

describe('execution codes', () => {
  it('docs/reaping.md lists exactly the codes of src/reap/outcome.ts', async () => {
    const doc = await readFile('docs/reaping.md', 'utf8');
    const section = doc.slice(doc.indexOf('## Execution codes'), doc.indexOf('## Exit codes of `reap`'));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(EXECUTION_CODES).sort());
  });
});
