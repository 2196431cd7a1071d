import { stringify } from 'yaml';
import { RESERVED_ENV } from './env.js';
import { type ConfigKey, configJsonSchema, configKeys } from './keys.js';
import { RENAMED_KEYS } from './renamed.js';

/**
 * Generated files derived from the config schema. `npm run gen` writes them; a test compares the
 * committed copies so a schema change without regeneration fails CI.
 */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** One-line YAML: plain scalars for strings, JSON (valid YAML flow style) for the rest. */
function yamlValue(v: unknown): string {
  return typeof v === 'string' ? stringify(v).trimEnd() : JSON.stringify(v);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line.length > 0) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** `config/env-reaper.example.yaml`: every key with its reason and default. */
export function exampleYaml(keys: ConfigKey[] = configKeys()): string {
  const lines = [
    '# env-reaper configuration: every key, its reason and its default.',
    '# Generated from src/config/schema.ts by `npm run gen`; do not edit by hand.',
    '# Precedence: defaults < this file < ENV_REAPER_* variables < command-line flags.',
    '# Secrets (GITLAB_TOKEN, AWS credentials) come from the environment, never from this file.',
  ];
  const opened: string[] = [];
  for (const key of keys) {
    const parts = key.path.split('.');
    // Open every parent mapping not open yet.
    for (let depth = 0; depth < parts.length - 1; depth++) {
      const prefix = parts.slice(0, depth + 1).join('.');
      if (opened[depth] !== prefix) {
        opened.length = depth;
        opened[depth] = prefix;
        lines.push('', `${'  '.repeat(depth)}${parts[depth]}:`);
      }
    }
    opened.length = parts.length - 1;
    const indent = '  '.repeat(parts.length - 1);
    const name = parts[parts.length - 1] as string;
    const quoted = /^[a-zA-Z][a-zA-Z0-9]*$/.test(name) ? name : `'${name}'`;
    lines.push('');
    for (const l of wrap(key.description, 100)) lines.push(`${indent}# ${l}`);
    if (key.enum) lines.push(`${indent}# One of: ${key.enum.join(', ')}.`);
    lines.push(`${indent}# Env: ${key.env}`);
    if (key.default === undefined) {
      const example = key.examples?.[0];
      lines.push(`${indent}# ${quoted}: ${example !== undefined ? yamlValue(example) : '<unset>'}`);
    } else {
      if (key.examples?.[0] !== undefined) lines.push(`${indent}# Example: ${yamlValue(key.examples[0])}`);
      lines.push(`${indent}${quoted}: ${yamlValue(key.default)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `docs/configuration.md`: the reference table. */
export function configurationMarkdown(keys: ConfigKey[] = configKeys()): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = keys.map(
    (k) =>
      `| \`${k.path}\` | \`${k.env}\` | ${k.flags ? k.flags.map((f) => `\`${f}\``).join(', ') : '—'} | ${k.type} | ${k.default === undefined ? '—' : `\`${esc(JSON.stringify(k.default))}\``} | ${esc(k.description)} |`,
  );
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run gen`; do not edit by hand.',
    '',
    'Configuration comes from, lowest precedence first: the defaults below, the YAML file given with',
    '`--config`, `ENV_REAPER_*` environment variables, then command-line flags. `GITLAB_URL` (else',
    '`CI_SERVER_URL`) fills `gitlab.url` when nothing else does. Lists and maps can be given to an',
    'environment variable as JSON (`ENV_REAPER_AWS_REGIONS=\'["eu-west-1"]\'`); a list of strings also as',
    'comma-separated text (`ENV_REAPER_AWS_REGIONS=eu-west-1,us-east-1`).',
    '',
    'Nothing is accepted without effect: an `ENV_REAPER_*` variable that names no key below is an error',
    "(exit 2) that names the nearest key's variable, as an unknown key in the file names the nearest key;",
    'a bad value set by a variable names the variable. Not config keys, and allowed: the CI/CD',
    `component's and the image build's own ${RESERVED_ENV.map((n) => `\`${n}\``).join(', ')}.`,
    '',
    'Check a file with `env-reaper config validate --config FILE` (every problem at once, exit 2);',
    'print the JSON Schema with `env-reaper config schema`. The flags that set no key (`--config`,',
    '`--apply`, `--shard`, …) are listed with their commands in `docs/design.md` §6.',
    '',
    '| key | environment | flag | type | default | why |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Renamed keys',
    '',
    'A renamed key keeps working under its old name (in the file and as its old `ENV_REAPER_*` variable)',
    'until the version below. Each run logs a `deprecated config key` warning and `config validate` lists',
    'it; setting both names in the same place is an error (exit 2).',
    '',
    '| old key | new key | renamed in | old name stops working in |',
    '|---|---|---|---|',
    ...RENAMED_KEYS.map((r) => `| \`${r.from}\` | \`${r.to}\` | ${r.since} | ${r.removedIn} |`),
    '',
  ].join('\n');
}

/**
 * Every generated file of the config, with its path relative to the repository root. The report's
 * schema file comes from src/report (`reportSchemaFile`): config sits below report in the layers.
 */
export function configFiles(): GeneratedFile[] {
  return [
    { path: 'config/env-reaper.schema.json', content: `${JSON.stringify(configJsonSchema(), null, 2)}\n` },
    { path: 'config/env-reaper.example.yaml', content: exampleYaml() },
    { path: 'docs/configuration.md', content: configurationMarkdown() },
  ];
}
