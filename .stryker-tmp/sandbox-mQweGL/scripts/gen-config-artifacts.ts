// @ts-nocheck
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generatedFiles } from '../src/config/artifacts.js';

// Regenerates config/*.schema.json, the example config and docs/configuration.md from the zod schemas.
for (const file of generatedFiles()) {
  await mkdir(dirname(file.path), { recursive: true });
  await writeFile(file.path, file.content);
  console.log(`wrote ${file.path}`);
}
