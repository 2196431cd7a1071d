import { z } from 'zod';

/**
 * The command line, said once. Every command with its description; every flag with the commands that
 * take it. A flag that sets a config key is metadata on that key in the schema (`flagRegistry`, so the
 * flag-to-config mapping, `docs/configuration.md`'s flag column and the CLI all come from the key); the
 * flags that are no config key are listed here (`COMMAND_FLAGS`). `src/cli/option-table.ts` builds the
 * commander options from both.
 */

/** Every command, as it is named on the command line, and what it does. */
export const COMMANDS = {
  audit: 'read-only: classify every stack and print the report',
  reap: 'plan deletions; with --apply, execute them',
  explain: 'the full evidence chain and verdict for one stack',
  daemon: 'run on schedule.cron in-process, serve /healthz and /metrics, stop cleanly on SIGTERM',
  doctor: 'check config, GitLab token and scopes, AWS accounts and regions, and state, writing nothing',
  'config validate': 'validate a config file: every problem at once',
  'report merge':
    'merge shard JSON reports into one whose totals equal an unsharded run (default format json)',
} as const;

/** A command's name. */
export type CommandName = keyof typeof COMMANDS;

/** Every command name, in the order of `COMMANDS`. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** The commands that run against AWS and GitLab. */
export const RUN_COMMANDS: readonly CommandName[] = ['audit', 'reap', 'explain', 'daemon', 'doctor'];

/** The report formats this build renders (the config's `report.formats` and `--format`/`--output`). */
export const REPORT_FORMATS = ['table', 'json', 'markdown', 'junit', 'html'] as const;

/** How long a plan written by `--plan-out` stays valid unless `--plan-ttl` says otherwise. */
export const DEFAULT_PLAN_TTL = '24h';

/** One flag. */
export interface FlagSpec {
  /** As commander reads it: `-r, --region <region>`, `--apply`. */
  flags: string;
  /** What it does; per command when the commands differ (`--apply`). */
  description: string | Partial<Record<CommandName, string>>;
  commands: readonly CommandName[];
  /** Given more than once, every value counts (`--region a --region b`). */
  repeatable?: boolean;
  /** A switch that sets its config key to this value (`--verbose`: `log.level` debug). */
  sets?: string;
}

/** The flags of a config key, in order: a later one given on the command line wins. */
export interface KeyFlags {
  flags: readonly FlagSpec[];
}

/** Flags as metadata on the config schema's keys (a registry of its own: not in the JSON Schema). */
export const flagRegistry = z.registry<KeyFlags>();

/** The flags that set no config key, each with the commands that take it. */
export const COMMAND_FLAGS = {
  config: {
    flags: '-c, --config <file>',
    description: 'YAML config file',
    commands: [...RUN_COMMANDS, 'config validate'],
  },
  output: {
    flags: '-o, --output <format=path>',
    description: 'write a format to a file, e.g. json=report.json (repeatable)',
    commands: ['audit', 'reap', 'daemon', 'report merge'],
    repeatable: true,
  },
  quiet: {
    flags: '-q, --quiet',
    description: 'log errors only (no progress bar); the report is still printed',
    commands: RUN_COMMANDS,
  },
  shard: {
    flags: '--shard <i/n>',
    description: 'handle only shard i of n (stable hash by project; merge with `report merge`)',
    commands: ['audit', 'reap'],
  },
  failOn: {
    flags: '--fail-on <verdicts>',
    description: 'exit 4 when any stack has one of these verdicts (comma-separated)',
    commands: ['audit'],
  },
  apply: {
    flags: '--apply',
    description: {
      reap: 'delete (default: dry-run)',
      daemon: 'delete (default: config mode, dry-run unless mode: apply)',
      doctor: 'check for reap --apply (the token needs the api scope)',
    },
    commands: ['reap', 'daemon', 'doctor'],
  },
  waitLock: {
    flags: '--wait-lock',
    description: 'wait for a concurrent run to finish instead of exiting',
    commands: ['reap'],
  },
  planOut: {
    flags: '--plan-out <file>',
    description: 'dry-run, and write the deletion plan for review to this file',
    commands: ['reap'],
  },
  applyPlan: {
    flags: '--apply-plan <file>',
    description: 'delete only the stacks of this reviewed plan (each re-checked)',
    commands: ['reap'],
  },
  planTtl: {
    flags: '--plan-ttl <duration>',
    description: `how long a plan written by --plan-out stays valid (default ${DEFAULT_PLAN_TTL})`,
    commands: ['reap'],
  },
  runNow: { flags: '--run-now', description: 'run once immediately, then on schedule', commands: ['daemon'] },
  writeTest: {
    flags: '--write-test',
    description: 'also take and release the state lock (a conditional write)',
    commands: ['doctor'],
  },
} as const satisfies Record<string, FlagSpec>;

/** A flag's description for one command. */
export function describeFlag(flag: FlagSpec, command: CommandName): string {
  if (typeof flag.description === 'string') return flag.description;
  return flag.description[command] ?? Object.values(flag.description)[0] ?? '';
}

/** The camelCase option name commander gives a flag (`--log-level` → `logLevel`). */
export function optionName(flag: FlagSpec): string {
  const long = /--([a-z][\w-]*)/.exec(flag.flags)?.[1] ?? '';
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
