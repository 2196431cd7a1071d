import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentedRoutes, type Mode, policyActions } from './helpers/privilege.js';

/**
 * No test writes into the repository tree: the untracked and ignored files outside the build's own
 * outputs are listed before the suite and compared after it. A test that leaves a file in the
 * repository (state, reports, screenshots) fails the run here.
 */
const OWN_OUTPUTS =
  /^(node_modules\/|dist\/|reports\/vitest\.json$|reports\/coverage\/|reports\/mutation\/|\.stryker-tmp\/)/;

function strayFiles(): string[] {
  try {
    // Every file git does not track (ignored ones too), outside the build's own output folders.
    const exclude = [
      'node_modules',
      'dist',
      '.stryker-tmp',
      'reports/mutation',
      'reports/coverage',
      'test/mutation',
    ].map((d) => `:(exclude)${d}`);
    return execFileSync('git', ['ls-files', '--others', '--', '.', ...exclude], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\n')
      .filter((f) => f !== '' && !OWN_OUTPUTS.test(f));
  } catch {
    return []; // not a git checkout (a packed copy): nothing to compare
  }
}

/**
 * Least privilege over the whole suite: every CLI process a test starts against a sandbox records the
 * AWS operations and GitLab routes it made, by mode (test/helpers/privilege.ts); at the end each one must
 * be granted to that mode by deploy/iam/*.json and the route table of docs/deploy.md. The other
 * direction (nothing granted that is never called) is test/e2e/least-privilege.e2e.test.ts.
 */
async function undocumentedCalls(file: string): Promise<string[]> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const policies = { audit: await policyActions('audit'), reap: await policyActions('reap') };
  const routes = await documentedRoutes();
  const bad = new Set<string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const c = JSON.parse(line) as { mode: Mode; kind: 'aws' | 'gitlab'; name: string };
    const granted =
      c.kind === 'aws' ? policies[c.mode].has(c.name) : routes.get(c.name)?.has(c.mode) === true;
    if (!granted) bad.add(`${c.mode}: ${c.name}`);
  }
  return [...bad];
}

export default function setup(): () => Promise<void> {
  const before = new Set(strayFiles());
  const calls = join(mkdtempSync(join(tmpdir(), 'env-reaper-calls-')), 'calls.jsonl');
  process.env.SANDBOX_CALLS_LOG = calls;
  return async () => {
    // vitest reports a teardown exception without failing the run: fail it explicitly.
    const added = strayFiles().filter((f) => !before.has(f));
    if (added.length > 0) {
      process.stderr.write(`\nFAIL: tests wrote into the repository tree: ${added.join(', ')}\n`);
      process.exitCode = 1;
    }
    const undocumented = await undocumentedCalls(calls);
    if (undocumented.length > 0) {
      process.stderr.write(
        `\nFAIL: calls the documented least-privilege policy does not grant (deploy/iam, docs/deploy.md): ${undocumented.join(', ')}\n`,
      );
      process.exitCode = 1;
    }
  };
}
