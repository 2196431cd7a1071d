import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layer check (`npm run lint`): a folder of src/ may import only from its own layer's folder or a
 * lower layer. Written here rather than with a lint plugin: biome has no layer rule, and the table
 * below is also the map CONTRIBUTING.md explains. Test files are exempt (a test may reach anything).
 */

/** Layers, lowest first. A folder may import its own folder and any folder of a lower layer. */
export const LAYERS: readonly (readonly string[])[] = [
  ['core', 'errors', 'util'],
  ['log'],
  ['config'],
  ['aws', 'gitlab', 'state'],
  ['reap'],
  ['report'],
  ['run'],
  ['schedule'],
  ['cli'],
];

/** The layer index of a folder, or `undefined` for a folder the table does not know. */
export function layerOf(folder: string): number | undefined {
  const i = LAYERS.findIndex((l) => l.includes(folder));
  return i < 0 ? undefined : i;
}

/** One import that breaks the layers. */
export interface Violation {
  file: string;
  specifier: string;
  why: string;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.\.?\/[^'"]+)['"]/g;

/** The relative imports of a source text (static, dynamic and side-effect imports). */
export function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1] as string);
}

/** The violations of one file (`src/<folder>/<file>.ts`) given its text. */
export function violationsOf(file: string, text: string): Violation[] {
  const [, folder] = file.split('/');
  const own = layerOf(folder ?? '');
  if (own === undefined) return [{ file, specifier: '', why: `folder ${folder} is not in the layer table` }];
  const out: Violation[] = [];
  for (const specifier of importsOf(text)) {
    const parts = specifier.split('/');
    if (parts[0] === '.') continue;
    if (parts[0] !== '..' || parts.length < 3) {
      out.push({ file, specifier, why: 'imports must stay inside src/ (../<folder>/<file>.js)' });
      continue;
    }
    const target = parts[1] as string;
    const theirs = layerOf(target);
    if (theirs === undefined)
      out.push({ file, specifier, why: `folder ${target} is not in the layer table` });
    else if (theirs > own)
      out.push({
        file,
        specifier,
        why: `${folder} (layer ${own}) may not import ${target} (layer ${theirs})`,
      });
    else if (theirs === own && target !== folder && own === 0)
      out.push({ file, specifier, why: `${folder} is a foundation: it imports no other folder of src/` });
    else if (theirs === own && target !== folder)
      out.push({ file, specifier, why: `${folder} and ${target} are siblings: neither imports the other` });
  }
  return out;
}

/** Every non-test source file under `root`/src with its violations. */
export function checkTree(root: string): Violation[] {
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => relative(root, join(src, f)));
  return files.flatMap((f) => violationsOf(f, readFileSync(join(root, f), 'utf8')));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const found = checkTree(process.cwd());
  for (const v of found) console.error(`${v.file}: ${v.specifier} — ${v.why}`);
  if (found.length > 0) {
    console.error(`${found.length} layer violation${found.length === 1 ? '' : 's'} (see CONTRIBUTING.md)`);
    process.exit(1);
  }
  console.log(`layers: ${LAYERS.map((l) => l.join('+')).join(' ← ')}: no violation`);
}
