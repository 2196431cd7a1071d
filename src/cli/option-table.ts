import { InvalidArgumentError, Option } from 'commander';
import {
  COMMAND_FLAGS,
  COMMAND_NAMES,
  type CommandName,
  describeFlag,
  type FlagSpec,
  optionName,
  REPORT_FORMATS,
} from '../config/flags.js';
import { configFlags } from '../config/keys.js';
import { LOG_LEVELS } from '../config/schema.js';

export type { CommandName };

/**
 * The commander options of every command, built from the one flag table: the flags the config schema's
 * keys carry (`config/flags.ts`, `flagRegistry`) and the flags that are no config key (`COMMAND_FLAGS`).
 * A command gets only the options it acts on, so an option that would do nothing there (`explain
 * --output`, `config validate --shard`) is refused, and the refusal names the commands that take it.
 * Values are checked as they are parsed, before any configuration is read or any call is made.
 */

/** The formats `doctor` prints: its checklist, or JSON (not report formats: doctor writes no report). */
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
  if (!(REPORT_FORMATS as readonly string[]).includes(m[1] ?? ''))
    throw new InvalidArgumentError(
      `--output: the format is one of ${REPORT_FORMATS.join(', ')}, not "${m[1]}"`,
    );
  return [...previous, value];
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Every flag, config-backed first (in schema order), then the others. */
export function allFlags(): FlagSpec[] {
  return [...configFlags().map((c) => c.flag), ...Object.values(COMMAND_FLAGS)];
}

/** How a flag's values are checked, by its name (the lists come from the schema and the formats). */
function parserOf(flag: FlagSpec, command: CommandName): ((v: string, p?: string[]) => string[]) | undefined {
  const name = optionName(flag);
  if (name === 'format') return oneOf('--format', command === 'doctor' ? DOCTOR_FORMATS : REPORT_FORMATS);
  if (name === 'output') return outputPair;
  return flag.repeatable ? collect : undefined;
}

/** The commander option of one flag for one command. */
function optionOf(flag: FlagSpec, command: CommandName): Option {
  const format = optionName(flag) === 'format' && command === 'doctor';
  const description = format
    ? `output format: ${DOCTOR_FORMATS.join('|')} (repeatable)`
    : describeFlag(flag, command);
  const option = new Option(flag.flags, description);
  const parse = parserOf(flag, command);
  if (parse) option.argParser(parse);
  if (optionName(flag) === 'logLevel') option.choices(LOG_LEVELS);
  return option;
}

/** The options `command` takes. */
export function optionsOf(command: CommandName): Option[] {
  return allFlags()
    .filter((f) => f.commands.includes(command))
    .map((f) => optionOf(f, command));
}

/** For an option a command refused: the commands that take it, or `undefined` when none does. */
export function commandsTaking(flag: string): CommandName[] | undefined {
  const found = allFlags().find((f) => {
    const option = new Option(f.flags);
    return option.long === flag || option.short === flag;
  });
  return found ? COMMAND_NAMES.filter((c) => found.commands.includes(c)) : undefined;
}

/** The flags table of docs/design.md §6 (between its markers, written by `npm run gen`). */
export function optionsDocRegion(): { path: string; name: string; content: string } {
  const keyed = configFlags().map((c) => ({ flag: c.flag, key: `\`${c.path.join('.')}\`` }));
  const others = Object.values(COMMAND_FLAGS).map((flag): { flag: FlagSpec; key: string } => ({
    flag,
    key: '—',
  }));
  const rows = [...keyed, ...others].map(({ flag, key }) => {
    const meaning =
      typeof flag.description === 'string'
        ? flag.description
        : Object.entries(flag.description)
            .map(([c, d]) => `${c}: ${d}`)
            .join('; ');
    const commands = COMMAND_NAMES.filter((c) => flag.commands.includes(c))
      .map((c) => `\`${c}\``)
      .join(', ');
    return `| \`${flag.flags}\` | ${meaning.replace(/\|/g, '\\|')} | ${key} | ${commands} |`;
  });
  return {
    path: 'docs/design.md',
    name: 'flags',
    content: ['| flag | meaning | config key | commands |', '| --- | --- | --- | --- |', ...rows].join('\n'),
  };
}
