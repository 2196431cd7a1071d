// @ts-nocheck
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../test/sandbox/index.js';
import { generate, lowerBound, SIZES } from './world.js';

// npm run bench -- --size S|M|L [--strategy auto|per-stack|both]
// Runs the built CLI's audit against a generated world in the sandbox (GitLab 30 ms latency and 2,000
// requests/min per token; CloudFormation 50 ms and 5 requests/s per region) and prints calls, the lower
// bound, wall time against the rate-limit floor, peak RSS and verdict differences from the truth.
const { values } = parseArgs({
  options: { size: { type: 'string', default: 'S' }, strategy: { type: 'string', default: 'auto' } },
});
const sizeName = String(values.size).toUpperCase() as keyof typeof SIZES;
const size = SIZES[sizeName];
if (!size) throw new Error(`--size must be S, M or L`);
const strategies = values.strategy === 'both' ? ['auto', 'per-stack'] : [String(values.strategy)];

const t0 = Date.now();
const world = generate(size);
const bound = lowerBound(world);
console.log(
  `world ${sizeName}: ${size.stacks} stacks, ${size.projects} projects, ${size.branches} branches (generated in ${Date.now() - t0} ms)`,
);

for (const strategy of strategies) {
  const sandbox = await startSandbox({ scenario: world.scenario });
  const dir = mkdtempSync(join(tmpdir(), 'env-reaper-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'aws:',
      '  regions: [eu-west-1, us-east-1]',
      '  cloudFormationRequestsPerSecond: 4.5',
      'gitlab:',
      // Just under the server's 2,000/min, so a fixed window never trips.
      '  requestsPerMinute: 1960',
      '  concurrency: 16',
      `  fetchStrategy: ${strategy}`,
      '',
    ].join('\n'),
  );
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'audit',
      '--config',
      config,
      '--format',
      'json',
      '--output',
      `json=${join(dir, 'report.json')}`,
    ],
    {
      env: { ...process.env, ...sandbox.env(), ENV_REAPER_LOG_LEVEL: 'info' },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  const wall = (Date.now() - started) / 1000;
  const { readFileSync } = await import('node:fs');
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
    environments: { stack: { name: string }; verdict: string }[];
  };
  const rss = Number(/"maxRssKb":(\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
  const counts = sandbox.world.counts();
  const awsCalls = Object.values(counts.aws ?? {}).reduce((a, b) => a + b, 0);
  const gitlabCalls = Object.values(counts.gitlab ?? {}).reduce((a, b) => a + b, 0);
  const throttled = sandbox.world.requests.filter((r) => r.status === 429 || r.status === 400).length;
  let wrong = 0;
  for (const e of report.environments) if (world.truth.get(e.stack.name) !== e.verdict) wrong++;
  const missing = world.truth.size - report.environments.length;
  const floorGitlab = bound.gitlab / (2000 / 60);
  const floorAws = Math.max(...Object.values(world.stacksPerRegion).map((n) => Math.ceil(n / 100) / 5));
  const floor = Math.max(floorGitlab, floorAws);
  const total = awsCalls + gitlabCalls;
  const totalBound = bound.aws + bound.gitlab;
  console.log(`\n== strategy ${strategy} (exit ${code})`);
  console.log(
    `calls        aws ${awsCalls} (bound ${bound.aws}), gitlab ${gitlabCalls} (bound ${bound.gitlab}), total ${total}`,
  );
  console.log(
    `calls/bound  ${(total / totalBound).toFixed(3)} (aws ${(awsCalls / bound.aws).toFixed(3)}, gitlab ${(gitlabCalls / bound.gitlab).toFixed(3)})`,
  );
  for (const [service, ops] of Object.entries(counts)) {
    for (const [op, n] of Object.entries(ops)) console.log(`  ${service.padEnd(7)} ${op.padEnd(48)} ${n}`);
  }
  console.log(
    `wall         ${wall.toFixed(1)} s; rate-limit floor ${floor.toFixed(1)} s; wall/floor ${(wall / floor).toFixed(3)}`,
  );
  console.log(`peak RSS     ${rss.toFixed(0)} MB (env-reaper process)`);
  console.log(`throttled    ${throttled} responses`);
  console.log(`verdicts     ${wrong} differ from the truth, ${missing} stacks missing`);
  await sandbox.close();
}
console.log(`\ncommand: npm run bench -- --size ${sizeName} --strategy ${values.strategy}`);
