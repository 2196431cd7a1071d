import { InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS } from '../config/schema.js';
import { FORMATS } from '../report/output.js';

/**
 * The shared options of the commands, said once: each with the commands that take it. A command gets
 * only the options it acts on, so an option that would do nothing there (`explain --output`,
 * `config validate --shard`) is refused, and the refusal names the commands that take it. Values are
 * checked as they are parsed, before any configuration is read or any call is made.
 */

/** Commands, as they are named on the command line. */
export type CommandName =
  | 'audit'
  | 'reap'
  | 'explain'
  | 'daemon'
  | 'doctor'
  | 'config validate'
  | 'report merge';

const RUNS: CommandName[] = ['audit', 'reap', 'explain', 'daemon', 'doctor'];

/** The formats `doctor` prints: its checklist, or JSON. */
const DOCTOR_FORMATS = ['table', 'json'] as const;

/** A repeatable value checked against a list: `--format json --format table`. */
const oneOf =
  (flag: string, allowed: readonly string[]) =>
  (value: string, previous: string[] = []): string[] => {
    if (!allowed.includes(value))
      throw new InvalidArgumentError(`${flag} takes one of ${allowed.join(', ')}, not "${value}"`);
    return [...previous, value];
  };

/** `--output format=path`, the format checked now, not after a whole run. */
const outputPair = (value: string, previous: string[] = []): string[] => {
  const m = /^([a-z]+)=(.+)$/.exec(value);
  if (!m)
    throw new InvalidArgumentError(`--output takes format=path (e.g. json=report.json), not "${value}"`);
  if (!(FORMATS as readonly string[]).includes(m[1] as string))
    throw new InvalidArgumentError(`--output: the format is one of ${FORMATS.join(', ')}, not "${m[1]}"`);
  return [...previous, value];
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SharedOption {
  /** Builds the option for one command (doctor's formats differ from the runs'). */
  make: (command: CommandName) => Option;
  commands: CommandName[];
}

/** Every shared option, and the commands that take it. */
export const SHARED_OPTIONS: Record<string, SharedOption> = {
  config: {
    make: () => new Option('-c, --config <file>', 'YAML config file'),
    commands: [...RUNS, 'config validate'],
  },
  format: {
    make: (command) => {
      const formats = command === 'doctor' ? DOCTOR_FORMATS : FORMATS;
      return new Option(
        '-f, --format <format>',
        `output format: ${formats.join('|')} (repeatable)`,
      ).argParser(oneOf('--format', formats));
    },
    commands: ['audit', 'reap', 'explain', 'daemon', 'doctor', 'report merge'],
  },
  output: {
    make: () =>
      new Option(
        '-o, --output <format=path>',
        'write a format to a file, e.g. json=report.json (repeatable)',
      ).argParser(outputPair),
    commands: ['audit', 'reap', 'daemon', 'report merge'],
  },
  region: {
    make: () => new Option('-r, --region <region>', 'AWS region to scan (repeatable)').argParser(collect),
    commands: RUNS,
  },
  quiet: {
    make: () => new Option('-q, --quiet', 'log errors only (no progress bar); the report is still printed'),
    commands: RUNS,
  },
  verbose: {
    make: () => new Option('-v, --verbose', 'log every step, retries included (log level debug)'),
    commands: RUNS,
  },
  shard: {
    make: () =>
      new Option(
        '--shard <i/n>',
        'handle only shard i of n (stable hash by project; merge with `report merge`)',
      ),
    commands: ['audit', 'reap'],
  },
  logLevel: {
    make: () => new Option('--log-level <level>', 'log level').choices(LOG_LEVELS),
    commands: RUNS,
  },
};

/** The shared options `command` takes. */
export function optionsOf(command: CommandName): Option[] {
  return Object.values(SHARED_OPTIONS)
    .filter((o) => o.commands.includes(command))
    .map((o) => o.make(command));
}

/** For an option a command refused: the commands that take it, or `undefined` when none does. */
export function commandsTaking(flag: string): CommandName[] | undefined {
  const found = Object.values(SHARED_OPTIONS).find((o) => {
    const option = o.make('audit');
    return option.long === flag || option.short === flag;
  });
  return found?.commands;
}

/** The shared options table of docs/design.md §6 (between its markers, written by `npm run gen`). */
export function optionsDocRegion(): { path: string; name: string; content: string } {
  const all: CommandName[] = [
    'audit',
    'reap',
    'explain',
    'daemon',
    'doctor',
    'config validate',
    'report merge',
  ];
  const rows = Object.values(SHARED_OPTIONS).map((o) => {
    const any = o.make(o.commands[0] as CommandName);
    return `| \`${any.flags}\` | ${any.description.replace(/\|/g, '\\|')} | ${all
      .filter((c) => o.commands.includes(c))
      .map((c) => `\`${c}\``)
      .join(', ')} |`;
  });
  return {
    path: 'docs/design.md',
    name: 'flags',
    content: ['| flag | meaning | commands |', '| --- | --- | --- |', ...rows].join('\n'),
  };
}
