import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { configFiles } from '../src/config/artifacts.js';
import { reportSchemaFile } from '../src/report/json-report.js';

// Regenerates config/*.schema.json, the example config and docs/configuration.md from the zod schemas.
for (const file of [...configFiles(), reportSchemaFile()]) {
  await mkdir(dirname(file.path), { recursive: true });
  await writeFile(file.path, file.content);
  console.log(`wrote ${file.path}`);
}
