import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { type DocRegion, regionOf, tableCells } from '../../src/report/doc-tables.js';

/** Fails unless the committed page has the generated table between its markers (`npm run gen` writes it). */
export async function expectCommitted(region: DocRegion): Promise<void> {
  const committed = regionOf(await readFile(region.path, 'utf8'), region.name);
  expect(committed, `${region.path}: markers for ${region.name} missing`).toBeDefined();
  expect(tableCells(committed ?? ''), `${region.path} (${region.name}): run npm run gen`).toEqual(
    tableCells(region.content),
  );
}
