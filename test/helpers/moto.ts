import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { until } from './cli.js';

/**
 * moto (`python3 -m moto.server`, installed with the machines' Python) and the AWS CLI, for the
 * end-to-end tests against a third-party AWS implementation. CI must have both (`.ci/run`); elsewhere
 * the tests skip with a line saying why.
 */

const run = promisify(execFile);
export const AWS = '/usr/bin/aws';
const PYTHON = 'python3';

/** Whether moto and the AWS CLI are there; on CI their absence is an error, not a skip. */
export async function mustHaveMoto(what: string): Promise<boolean> {
  let available = false;
  try {
    await run(PYTHON, ['-c', 'import moto.server']);
    available = existsSync(AWS);
  } catch {
    available = false;
  }
  if (!available && process.env.CI)
    throw new Error('CI must have moto (python3 -m moto.server) and the AWS CLI (/usr/bin/aws, see .ci/run)');
  if (!available) process.stderr.write(`${what} skipped: python3 -m moto.server or /usr/bin/aws missing\n`);
  return available;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** A running moto server and the AWS CLI pointed at it. */
export interface Moto {
  endpoint: string;
  /** `aws <args> --endpoint-url … --output json`: its stdout. */
  aws: (...args: string[]) => Promise<string>;
  /** What env-reaper needs to reach it (endpoint and moto's fixed credentials). */
  env: Record<string, string>;
  stop: () => void;
}

/**
 * Starts moto on a free loopback port. `script` runs a launcher instead of `-m moto.server` (the
 * backdated one, test/e2e/moto_backdated.py), with `env`.
 */
export async function startMoto(
  options: { script?: string; env?: Record<string, string> } = {},
): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const args = [
    ...(options.script ? [options.script] : ['-m', 'moto.server']),
    '-H',
    '127.0.0.1',
    '-p',
    String(port),
  ];
  const child: ChildProcess = spawn(PYTHON, args, {
    stdio: 'ignore',
    env: { ...process.env, ...options.env },
  });
  await until(
    () =>
      fetch(`${endpoint}/moto-api/`).then(
        (r) => r.ok,
        () => false,
      ),
    'moto to listen',
    30_000,
  );
  const cliEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'moto',
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_REGION: 'eu-west-1',
    AWS_PAGER: '',
  };
  return {
    endpoint,
    aws: async (...a: string[]) =>
      (await run(AWS, [...a, '--endpoint-url', endpoint, '--output', 'json'], { env: cliEnv })).stdout,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'moto',
      AWS_SECRET_ACCESS_KEY: 'moto',
      AWS_REGION: 'eu-west-1',
    },
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}
