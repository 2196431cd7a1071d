import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Report } from '../../src/report/json-report.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';
import { configFile, runCli } from './cli.js';

/** What the audit e2e tests share: sandboxes closed after each test, the CLI's JSON report, its schema. */

const running: Sandbox[] = [];

/** Closes every sandbox a test started (register with `afterEach`). */
export async function closeSandboxes(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.close()));
}

/** A sandbox for one test, from a scenario object or file. */
export async function sandbox(scenario: Record<string, unknown> | string): Promise<Sandbox> {
  const sb = await startSandbox({ scenario });
  running.push(sb);
  return sb;
}

/** Runs the built CLI's `audit --format json` against a sandbox; the report and each stack's verdict. */
export async function auditJson(sb: Sandbox, config: Record<string, unknown> | string, extra: string[] = []) {
  const file = typeof config === 'string' ? config : await configFile(config);
  const r = await runCli(['audit', '--config', file, '--format', 'json', ...extra], sb.env());
  const report = JSON.parse(r.stdout) as Report;
  const verdicts = Object.fromEntries(report.environments.map((e) => [e.stack.name, e.verdict]));
  return { ...r, report, verdicts };
}

const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);

/** The committed report schema, compiled: a report the CLI prints must validate against it. */
export const validateReport = ajv.compile(
  JSON.parse(await readFile('config/report.schema.json', 'utf8')) as object,
);
