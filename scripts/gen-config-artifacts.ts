import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { optionsDocRegion } from '../src/cli/option-table.js';
import { configFiles } from '../src/config/artifacts.js';
import { runEventSchemaFile } from '../src/notify/event.js';
import { docRegions, withRegion } from '../src/report/doc-tables.js';
import { reportSchemaFile } from '../src/report/json-report.js';
import { metricsDocRegion } from '../src/schedule/metrics.js';

// Regenerates config/*.schema.json, the example config and docs/configuration.md from the zod schemas,
// the code tables inside docs/verdicts.md and docs/reaping.md from src/core and src/executor, and the
// metrics table of docs/deploy.md from src/schedule/metrics.ts.
for (const file of [...configFiles(), reportSchemaFile(), runEventSchemaFile()]) {
  await mkdir(dirname(file.path), { recursive: true });
  await writeFile(file.path, file.content);
  console.log(`wrote ${file.path}`);
}
const pages = new Set<string>();
for (const region of [...docRegions(), metricsDocRegion(), optionsDocRegion()]) {
  await writeFile(region.path, withRegion(await readFile(region.path, 'utf8'), region));
  pages.add(region.path);
  console.log(`wrote ${region.path} (${region.name})`);
}
// The pages are formatted like every other Markdown file (biome aligns the tables).
const biome = spawnSync('node_modules/.bin/biome', ['format', '--write', ...pages], { stdio: 'inherit' });
if (biome.status !== 0) process.exit(biome.status ?? 1);
