import { spawn } from 'node:child_process';

/** One run of the built CLI as a process, as the benches measure it. */
export interface CliRun {
  code: number;
  /** Seconds from spawn to exit. */
  wall: number;
  stderr: string;
  /** CPU time of the env-reaper process (user + system, all its threads), from its last log line. */
  cpuS: number;
  rssMb: number;
}

/**
 * Runs `dist/cli/main.js` with `args` (log level info, so its last line has `cpuMs` and `maxRssKb`).
 * BENCH_PROF=dir writes a V8 CPU profile of it there; BENCH_NODE_ARGS="--flag …" passes V8/Node flags.
 */
export async function runBuiltCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
      ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []),
      'dist/cli/main.js',
      ...args,
    ],
    { env: { ...process.env, ...env, ENV_REAPER_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  return {
    code,
    wall: (Date.now() - started) / 1000,
    stderr,
    cpuS: Number(/"cpuMs":(\d+)/.exec(stderr)?.[1] ?? 0) / 1000,
    rssMb: Number(/"maxRssKb":(\d+)/.exec(stderr)?.[1] ?? 0) / 1024,
  };
}
