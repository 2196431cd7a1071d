import { Command, CommanderError } from 'commander';
import { COMMANDS } from '../config/flags.js';
import { configJsonSchema } from '../config/keys.js';
import { loadConfigWithDeprecations } from '../config/load.js';
import { describeDeprecation } from '../config/renamed.js';
import { ConfigError, EXIT, FormatTooNewError, ReaperError, UsageError } from '../errors/errors.js';
import type { CliIo } from '../run/io.js';
import { flagOverrides, type GlobalOptions } from '../run/options.js';
import { VERSION_TEXT } from '../util/version.js';
import { type CommandName, commandsTaking, optionsOf } from './option-table.js';

/** Adds the options `name` takes (src/cli/option-table.ts), and only those. */
function addOptions(cmd: Command, name: CommandName): Command {
  for (const option of optionsOf(name)) cmd.addOption(option);
  return cmd;
}

/** Command handlers resolve to an exit code. */
export type Handler = (opts: GlobalOptions & Record<string, unknown>, args: string[]) => Promise<number>;

/** Lazily loaded command modules, so `config schema` does not load the AWS SDK. */
export interface Commands {
  audit: Handler;
  reap: Handler;
  explain: Handler;
}

async function defaultCommands(io: CliIo): Promise<Commands> {
  const { auditCommand, reapCommand, explainCommand } = await import('./run-commands.js');
  return {
    audit: (o) => auditCommand(o, io),
    reap: (o) => reapCommand(o, io),
    explain: (o, a) => explainCommand(o, a, io),
  };
}

function printError(io: CliIo, error: unknown): number {
  if (error instanceof ConfigError) {
    io.stderr(
      `env-reaper: invalid configuration (${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}):\n`,
    );
    for (const i of error.issues) io.stderr(`  ${i.path ? `${i.path}: ` : ''}${i.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    io.stderr(`env-reaper: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof FormatTooNewError) {
    io.stderr(`env-reaper: ${error.code}: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ReaperError) {
    io.stderr(`env-reaper: ${error.code}: ${error.message}\n`);
    return EXIT.partial;
  }
  io.stderr(`env-reaper: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.partial;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('env-reaper')
    .description('Find and tear down forgotten per-branch review environments (CloudFormation × GitLab).')
    .version(VERSION_TEXT)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  const withHandler =
    (name: keyof Commands) =>
    async (...raw: unknown[]) => {
      const cmd = raw[raw.length - 1] as Command;
      const args = raw.slice(0, -2).filter((a): a is string => typeof a === 'string');
      const commands = await defaultCommands(io);
      exitCode = await commands[name](cmd.optsWithGlobals(), args);
    };

  addOptions(program.command('audit').description(COMMANDS.audit), 'audit').action(withHandler('audit'));

  addOptions(program.command('reap').description(COMMANDS.reap), 'reap').action(withHandler('reap'));

  addOptions(
    program.command('explain').description(COMMANDS.explain).argument('<stack>', 'stack name or ARN'),
    'explain',
  ).action(withHandler('explain'));

  addOptions(program.command('daemon').description(COMMANDS.daemon), 'daemon').action(
    async (_o: unknown, cmd: Command) => {
      const { runDaemon } = await import('../schedule/daemon.js');
      const o = cmd.optsWithGlobals() as GlobalOptions & { runNow?: boolean; apply?: boolean };
      exitCode = await runDaemon(o, io, { runNow: o.runNow === true, apply: o.apply === true });
    },
  );

  addOptions(program.command('doctor').description(COMMANDS.doctor), 'doctor').action(
    async (_o: unknown, cmd: Command) => {
      const { doctorCommand } = await import('./doctor-command.js');
      exitCode = await doctorCommand(cmd.optsWithGlobals(), io);
    },
  );

  const report = program.command('report').description('report tools');
  addOptions(
    report
      .command('merge')
      .description(COMMANDS['report merge'])
      .argument('<files...>', 'JSON reports (--format json) of the shards'),
    'report merge',
  ).action(async (files: string[], o: { format?: string[]; output?: string[] }) => {
    const { mergeCommand } = await import('./run-commands.js');
    exitCode = await mergeCommand(files, o, io);
  });

  const config = program.command('config').description('configuration tools');
  addOptions(config.command('validate').description(COMMANDS['config validate']), 'config validate').action(
    async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const { config, deprecations } = await loadConfigWithDeprecations({
        file: opts.config,
        env: io.env,
        flags: flagOverrides(opts),
      });
      const { checkRegions } = await import('../run/regions-check.js');
      checkRegions(config, io.env);
      io.stdout(`${opts.config ?? 'configuration'}: valid\n`);
      // Valid, and still valid for now: each renamed key is listed with what replaces it and when it stops working.
      for (const d of deprecations) io.stdout(`warning: ${describeDeprecation(d)}\n`);
    },
  );
  config
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(() => {
      io.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // An option this command does not take: say which commands take it.
      const flag =
        error.code === 'commander.unknownOption' ? /'(-[\w-]+)'/.exec(error.message)?.[1] : undefined;
      const takers = flag ? commandsTaking(flag) : undefined;
      if (flag && takers) io.stderr(`env-reaper: ${flag} is an option of ${takers.join(', ')}\n`);
      // --help and --version exit 0; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return printError(io, error);
  }
}
