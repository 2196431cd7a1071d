import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layer check (`npm run lint`): a folder of src/ may import only from its own layer's folder or a
 * lower layer. Written here rather than with a lint plugin: biome has no layer rule, and the table
 * below is also the map CONTRIBUTING.md explains. Test files are exempt (a test may reach anything).
 */

/** Layers, lowest first. A folder may import its own folder and any folder of a lower layer. */
export const LAYERS: readonly (readonly string[])[] = [
  ['core', 'util'],
  ['errors'],
  ['log'],
  ['config'],
  ['state'],
  ['aws', 'gitlab'],
  ['executor'],
  ['report'],
  // Webhook messages: rendered from the report, sent by the run (fetch, a global: no socket import).
  ['notify'],
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

/**
 * Where each outside package may be imported: the map of the outside world (CONTRIBUTING.md). A
 * package that matches no rule may be imported anywhere outside src/core (biome guards the core).
 * Type-only imports count too: a type from the SDK in another layer is the SDK leaking out of it.
 */
export const PACKAGE_HOMES: readonly { packages: RegExp; homes: readonly string[]; why: string }[] = [
  {
    packages: /^@(aws-sdk|smithy)\//,
    homes: ['src/aws/'],
    why: 'the AWS SDK lives in src/aws (src/aws/ports.ts)',
  },
  {
    packages: /^@gitbeaker\//,
    homes: ['src/gitlab/'],
    why: 'gitbeaker lives in src/gitlab (src/gitlab/ports.ts)',
  },
  {
    packages: /^(node:)?(http|https|net|tls|http2|dgram)$/,
    homes: ['src/gitlab/transport.ts', 'src/schedule/daemon.ts'],
    why: "sockets only in the GitLab transport and the daemon's server",
  },
  { packages: /^pino(-.*)?$/, homes: ['src/log/'], why: 'logging goes through src/log/logger.ts' },
  { packages: /^(commander|cli-progress)$/, homes: ['src/cli/'], why: 'the terminal belongs to src/cli' },
  { packages: /^prom-client$/, homes: ['src/schedule/'], why: 'metrics belong to the daemon (src/schedule)' },
];

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

/** Every import specifier of a source text (static, dynamic, type-only and side-effect imports). */
export function allImportsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1] as string);
}

/** The relative imports of a source text. */
export function importsOf(text: string): string[] {
  return allImportsOf(text).filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** The package imports of one file that sit outside their home. */
export function packageViolationsOf(file: string, text: string): Violation[] {
  const out: Violation[] = [];
  for (const specifier of allImportsOf(text)) {
    if (specifier.startsWith('.')) continue;
    const rule = PACKAGE_HOMES.find((r) => r.packages.test(specifier));
    if (rule && !rule.homes.some((home) => file.startsWith(home)))
      out.push({ file, specifier, why: rule.why });
  }
  return out;
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
  return files.flatMap((f) => {
    const text = readFileSync(join(root, f), 'utf8');
    return [...violationsOf(f, text), ...packageViolationsOf(f, text)];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const found = checkTree(process.cwd());
  for (const v of found) console.error(`${v.file}: ${v.specifier} — ${v.why}`);
  if (found.length > 0) {
    console.error(`${found.length} layer violation${found.length === 1 ? '' : 's'} (see CONTRIBUTING.md)`);
    process.exit(1);
  }
  console.log(
    `layers: ${LAYERS.map((l) => l.join('+')).join(' ← ')}; packages in their homes (${PACKAGE_HOMES.length} rules): no violation`,
  );
}
