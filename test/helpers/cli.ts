import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { recordCalls, requestsAt, sandboxOf } from './privilege.js';

/** The built CLI (`npm test` builds first). */
export const CLI = join(process.cwd(), 'dist/cli/main.js');

/**
 * Where a CLI process runs unless a test says otherwise: a fresh scratch directory, so nothing the CLI
 * writes by default (`.env-reaper/state.json`, relative `--output` files) lands in the repository.
 * Arguments naming repository files (`test/scenarios/demo.env-reaper.yaml`) are made absolute.
 */
function scratch(args: string[]): { cwd: string; args: string[] } {
  const cwd = mkdtempSync(join(tmpdir(), 'env-reaper-cwd-'));
  const repo = process.cwd();
  return {
    cwd,
    args: args.map((a) => (/^[\w.-]+\//.test(a) && existsSync(join(repo, a)) ? join(repo, a) : a)),
  };
}

/** Result of one CLI process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A CLI process still running. */
export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Starts the built CLI without waiting for it. */
export function startCli(
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number } = {},
): RunningCli {
  const run = scratch(args);
  const child = spawn(process.execPath, [CLI, ...run.args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ENV_REAPER_LOG_LEVEL: 'warn', ...env },
    cwd: run.cwd,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const since = requestsAt(sandboxOf(env)).then((r) => r.length);
  const done = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr };
      void since.then((n) => recordCalls(env, args[0], n)).finally(() => resolve(result));
    });
  });
  return { child, done };
}

/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps). */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  deadlineMs = 30_000,
): Promise<NonNullable<T>> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the built CLI as a child process with exactly the given environment (plus PATH). */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  const since = (await requestsAt(sandboxOf(env))).length;
  const result = await runCliProcess(args, env, options);
  await recordCalls(env, args[0], since);
  return result;
}

function runCliProcess(
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; cwd?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const run = options.cwd ? { cwd: options.cwd, args } : scratch(args);
    const child = spawn(process.execPath, [CLI, ...run.args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ENV_REAPER_LOG_LEVEL: 'warn', ...env },
      cwd: run.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Writes a config object as YAML into a temp dir and returns its path. */
export async function configFile(config: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-e2e-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify(config));
  return file;
}

/** Tags a deploy job would set for a ref. */
export function tagsFor(
  projectId: number,
  ref: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const slug = ref
    .toLowerCase()
    .replace(/[^a-z0-9]/gu, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return { 'gitlab:project-id': String(projectId), 'gitlab:ref': ref, 'gitlab:ref-slug': slug, ...extra };
}

/** The entries of a JSON-lines file (the audit log), one object per line. */
export async function readJsonLines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Time passes for env-reaper's state file: every recorded deletion moves `days` into the past (the
 * sandbox and moto have no clock a test can move for what env-reaper remembers).
 */
export async function ageDeletions(statePath: string, days: number): Promise<void> {
  const state = JSON.parse(await readFile(statePath, 'utf8')) as {
    stacks: Record<string, { deletion?: { finishedAt?: string } }>;
  };
  for (const s of Object.values(state.stacks))
    if (s.deletion?.finishedAt)
      s.deletion.finishedAt = new Date(Date.parse(s.deletion.finishedAt) - days * 86_400_000).toISOString();
  await writeFile(statePath, JSON.stringify(state));
}
