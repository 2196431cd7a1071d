import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox } from '../test/sandbox/index.js';
import { runBuiltCli } from './cli-process.js';
import {
  generate,
  lowerBound,
  MESSY,
  SIZES,
  type Size,
  SLUG_HEAVY,
  SLUG_SIZES,
  type World,
} from './world.js';

// npm run bench -- --size S|M|L [--world clean|messy|slug-heavy] [--strategy auto|per-stack|both] [--api auto|rest|graphql|both]
//   [--latency ms] [--repeat n]
// Runs the built CLI's audit against a generated world in the sandbox (GitLab 2,000 requests/min per
// token, CloudFormation 5 requests/s per region) and prints calls against the lower bound, wall time
// against the floor that latency and the available rate budget set, peak RSS and verdict differences.
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'S' },
    world: { type: 'string', default: 'clean' },
    strategy: { type: 'string', default: 'auto' },
    // gitlab.api of the runs: `both` runs auto and rest (the GraphQL issue's comparison).
    api: { type: 'string', default: 'auto' },
    latency: { type: 'string' },
    reserve: { type: 'string', default: '0.5' },
    // Small worlds run in seconds and the machine's speed drifts: --repeat n runs the empty world and the
    // `auto` strategy n times each, alternating, and reports the medians (per-stack runs once).
    repeat: { type: 'string', default: '1' },
    // For profiling memory and CPU only: no GitLab rate limit, so a large world runs in a minute or two.
    unlimited: { type: 'boolean', default: false },
    // Issue #35: traffic scripted on every stack, and each run audited twice: without and with usage.enabled.
    usage: { type: 'boolean', default: false },
  },
});
const sizeName = String(values.size).toUpperCase() as keyof typeof SIZES;
const worldName = String(values.world);
if (!['clean', 'messy', 'slug-heavy'].includes(worldName))
  throw new Error('--world must be clean, messy or slug-heavy');
const slugHeavy = worldName === 'slug-heavy';
const size: Size | undefined = (slugHeavy ? SLUG_SIZES : SIZES)[sizeName];
if (!size) throw new Error('--size must be S, M or L');
// The slug-heavy world is messy too (paths, renames, huge projects), with more slugs and long MR histories.
const messy = worldName !== 'clean';
const mess = slugHeavy ? SLUG_HEAVY : messy ? MESSY : undefined;
const strategies = values.strategy === 'both' ? ['auto', 'per-stack'] : [String(values.strategy)];
const apis = values.api === 'both' ? ['auto', 'rest'] : [String(values.api)];
const latencyMs = values.latency !== undefined ? Number(values.latency) : messy ? 10 : 30;
const latency = { gitlab: latencyMs, aws: messy ? latencyMs : 50 };
const reserve = Number(values.reserve);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

interface Outcome {
  code: number;
  wall: number;
  /** CPU time of the env-reaper process (user + system, all its threads), from its last log line. */
  cpuS: number;
  rssMb: number;
  counts: Record<string, Record<string, number>>;
  throttled: number;
  /** GraphQL POSTs, and the highest complexity GitLab (the sandbox) computed for one. */
  graphql: { requests: number; maxComplexity: number };
  report: {
    environments: { stack: { name: string }; verdict: string; reasons: { code: string; detail: string }[] }[];
  };
}

/** One audit of `world` by the built CLI, as a process, against a fresh sandbox. */
async function audit(world: World, strategy: string, api = 'auto', usage = false): Promise<Outcome> {
  const sandbox = await startSandbox({ scenario: world.scenario });
  const dir = mkdtempSync(join(tmpdir(), 'env-reaper-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'aws:',
      '  regions: [eu-west-1, us-east-1]',
      'gitlab:',
      `  concurrency: ${CONCURRENCY}`,
      `  rateLimitReserve: ${reserve}`,
      `  fetchStrategy: ${strategy}`,
      `  api: ${api}`,
      ...(usage ? ['usage:', '  enabled: true'] : []),
      '',
    ].join('\n'),
  );
  const { code, wall, stderr, cpuS, rssMb } = await runBuiltCli(
    ['audit', '--config', config, '--format', 'json', '--output', `json=${join(dir, 'r.json')}`],
    sandbox.env(),
  );
  // BENCH_LOG=file keeps the run's log lines (timestamps per phase) for a closer look.
  if (process.env.BENCH_LOG)
    writeFileSync(`${process.env.BENCH_LOG}.${strategy}.${world.truth.size}`, stderr);
  const out: Outcome = {
    code,
    wall,
    cpuS,
    rssMb,
    counts: sandbox.world.counts(),
    throttled: sandbox.world.requests.filter((r) => r.status === 429 || r.status === 400).length,
    graphql: {
      requests: sandbox.world.requests.filter((r) => r.operation === 'POST /api/graphql').length,
      maxComplexity: Math.max(0, ...sandbox.world.graphqlComplexities),
    },
    report: JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')),
  };
  await sandbox.close();
  return out;
}

/**
 * The floor of the wall time: the process's fixed cost (an audit of an empty world), plus the larger of
 * what latency alone costs and what the rate budgets cost. Latency: each region's pages one after
 * another, then (the GitLab phase needs the stacks) the GitLab calls `CONCURRENCY` at a time, two round
 * trips at least. Rate budgets: whole GitLab windows to wait when the calls exceed what the reserve
 * leaves after what others already spent; CloudFormation's 5 calls per second per region.
 */
function floorOf(world: World, bound: { aws: number; gitlab: number }, fixed: number) {
  const pages = Math.max(...Object.values(world.stacksPerRegion).map((n) => Math.max(1, Math.ceil(n / 100))));
  const latencyFloor =
    (pages * world.latency.aws) / 1000 +
    (Math.max(2, Math.ceil(bound.gitlab / CONCURRENCY)) * world.latency.gitlab) / 1000;
  const perWindow = Math.floor(world.budget.limit * (1 - reserve));
  const first = Math.max(0, perWindow - world.budget.usedByOthers);
  const windows = bound.gitlab <= first ? 0 : Math.ceil((bound.gitlab - first) / perWindow);
  const rateFloor = Math.max(windows * 60, Math.ceil(pages / 5) - 1);
  return { floor: fixed + Math.max(latencyFloor, rateFloor), latencyFloor, rateFloor, fixed };
}

const sum = (o: Record<string, number> | undefined) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

const t0 = Date.now();
const world = generate(size, { ...(mess ? { mess } : {}), latency, usage: values.usage === true });
if (values.unlimited) (world.scenario.gitlab as { requestsPerMinute: number }).requestsPerMinute = 0;
const bound = lowerBound(world);
console.log(
  `world ${sizeName} ${worldName}: ${size.stacks} stacks, ${size.projects} projects, ${world.projects.reduce((a, p) => a + p.branches, 0)} branches, ${world.projects.reduce((a, p) => a + p.mergeRequests, 0)} merge requests (${world.projects.filter((p) => p.mustList).length} projects with a slug-only stack), latency ${latency.gitlab}/${latency.aws} ms, reserve ${reserve} (generated in ${Date.now() - t0} ms)`,
);
const empty = generate({ stacks: 0, projects: 0, branches: 0 }, { latency });
const repeat = Math.max(1, Number(values.repeat));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
// Alternating empty and full runs, so a drift in the machine's speed weighs on both alike.
const fixedRuns: number[] = [];
const autoRuns: Outcome[] = [];
for (let i = 0; i < repeat; i++) {
  fixedRuns.push((await audit(empty, 'auto')).wall);
  if (strategies.includes('auto') && i < repeat - 1) autoRuns.push(await audit(world, 'auto'));
}
const fixed = median(fixedRuns);
const { floor, latencyFloor, rateFloor } = floorOf(world, bound, fixed);
console.log(
  `floor        ${floor.toFixed(2)} s = fixed ${fixed.toFixed(2)} s (empty world${repeat > 1 ? `, median of ${repeat}` : ''}) + max(latency ${latencyFloor.toFixed(2)} s, rate budget ${rateFloor.toFixed(2)} s)`,
);

const rows: string[] = [];
/** Each stack's verdict and reasons, to compare the APIs' reports (the first run is the reference). */
const decisionsOf = (o: Outcome) =>
  new Map(
    o.report.environments.map((e) => [
      e.stack.name,
      `${e.verdict} ${e.reasons.map((r) => (r.code === 'GITLAB_ERROR' ? r.code : `${r.code}: ${r.detail}`)).join('; ')}`,
    ]),
  );
let reference: Map<string, string> | undefined;
const runs = strategies.flatMap((strategy) => apis.map((api) => ({ strategy, api })));
for (const { strategy, api } of runs) {
  let o = await audit(world, strategy, api);
  let walls = [o.wall];
  if (strategy === 'auto' && api === 'auto' && repeat > 1) {
    autoRuns.push(o);
    walls = autoRuns.map((r) => r.wall);
    // The run whose wall time is the median stands for all (its calls are the same in every run).
    const mid = median(walls);
    o = autoRuns.reduce((best, r) => (Math.abs(r.wall - mid) < Math.abs(best.wall - mid) ? r : best));
    o = { ...o, wall: mid };
  }
  const aws = sum(o.counts.aws);
  const gitlab = sum(o.counts.gitlab);
  let wrong = 0;
  for (const e of o.report.environments) if (world.truth.get(e.stack.name) !== e.verdict) wrong++;
  const missing = world.truth.size - o.report.environments.length;
  const ratio = (aws + gitlab) / (bound.aws + bound.gitlab);
  const decisions = decisionsOf(o);
  reference ??= decisions;
  let differ = 0;
  for (const [name, d] of decisions) if (reference.get(name) !== d) differ++;
  console.log(`\n== strategy ${strategy}, gitlab.api ${api} (exit ${o.code})`);
  console.log(`calls        aws ${aws} (bound ${bound.aws}), gitlab ${gitlab} (bound ${bound.gitlab})`);
  console.log(
    `gitlab       ${gitlab} requests = ${(gitlab / bound.gitlab).toFixed(3)} × the REST lower bound; ${o.graphql.requests} GraphQL, highest complexity ${o.graphql.maxComplexity}`,
  );
  console.log(`vs first run ${differ} stacks with another verdict or reasons than the ${runs[0]?.api} run`);
  console.log(`calls/bound  ${ratio.toFixed(3)}`);
  for (const [service, ops] of Object.entries(o.counts))
    for (const [op, n] of Object.entries(ops)) console.log(`  ${service.padEnd(7)} ${op.padEnd(48)} ${n}`);
  console.log(
    `wall         ${o.wall.toFixed(2)} s${walls.length > 1 ? ` (median of ${walls.map((w) => w.toFixed(2)).join(', ')})` : ''}; floor ${floor.toFixed(2)} s; wall/floor ${(o.wall / floor).toFixed(3)}`,
  );
  console.log(`cpu          ${o.cpuS.toFixed(2)} s (env-reaper process, all threads)`);
  console.log(`peak RSS     ${o.rssMb.toFixed(0)} MB (env-reaper process)`);
  console.log(`throttled    ${o.throttled} responses`);
  console.log(`verdicts     ${wrong} differ from the truth, ${missing} stacks missing`);
  rows.push(
    `| ${sizeName} | ${worldName} | ${strategy} | ${api} | ${aws} + ${gitlab} = ${aws + gitlab} | ${bound.aws + bound.gitlab} | ${ratio.toFixed(3)} | ${gitlab} ÷ ${bound.gitlab} = ${(gitlab / bound.gitlab).toFixed(3)} | ${o.graphql.maxComplexity} | ${o.wall.toFixed(1)} s | ${floor.toFixed(1)} s | ${(o.wall / floor).toFixed(2)} | ${o.rssMb.toFixed(0)} MB | ${wrong + missing} | ${differ} |`,
  );
}
console.log(
  '\n| size | world | strategy | gitlab.api | calls (aws + gitlab) | bound | calls ÷ bound | gitlab ÷ REST bound | max complexity | wall | floor | wall ÷ floor | peak RSS | verdict diffs (truth) | differ from first run |',
);
for (const r of rows) console.log(r);
if (values.usage) await usageFigures();

/**
 * Issue #35's figures: the same world audited without and with usage.enabled — the calls the check adds
 * against its bound (one GetResources page per 100 tagged resources, one GetMetricData per 500 metrics,
 * per account × region, one GetRestApis per region with a REST API), its wall time, the verdicts against
 * the scripted truth, and what the metrics cost.
 */
async function usageFigures(): Promise<void> {
  const facts = world.usage;
  if (!facts) return;
  const off = await audit(world, 'auto');
  const on = await audit(world, 'auto', 'auto', true);
  const op = (o: Outcome, service: string) => o.counts.aws?.[service] ?? 0;
  const pages = Object.values(facts.tagged).reduce((n, t) => n + Math.ceil(t / 100), 0);
  const batches = Object.values(facts.metrics).reduce((n, m) => n + Math.ceil(m / 500), 0);
  const names = Object.values(facts.restApis).reduce((n, r) => n + Math.ceil(r / 500), 0);
  const bound = pages + batches + names;
  const calls = {
    getResources: op(on, 'tagging:GetResources') - op(off, 'tagging:GetResources'),
    getMetricData: op(on, 'cloudwatch:GetMetricData'),
    getRestApis: op(on, 'apigateway:GetRestApis'),
  };
  const report = on.report as Outcome['report'] & { summary?: { usage?: { metricsRequested: number } } };
  const metrics = report.summary?.usage?.metricsRequested ?? 0;
  let wrong = 0;
  let falseUnused = 0;
  for (const e of on.report.environments) {
    if (world.truth.get(e.stack.name) !== e.verdict) wrong++;
    if (e.verdict === 'unused' && facts.trafficInWindow.has(e.stack.name)) falseUnused++;
  }
  const unused = [...world.truth.values()].filter((v) => v === 'unused').length;
  console.log(`\n== usage (issue #35): ${unused} stacks unused by the scripted truth`);
  console.log(
    `calls added  GetResources ${calls.getResources} + GetMetricData ${calls.getMetricData} + GetRestApis ${calls.getRestApis} = ${calls.getResources + calls.getMetricData + calls.getRestApis}; bound ${pages} + ${batches} + ${names} = ${bound}`,
  );
  console.log(
    `metrics      ${metrics} requested = ${(metrics / 1000) * 0.01} USD at $0.01 per 1,000 (us-east-1)`,
  );
  console.log(
    `wall         ${off.wall.toFixed(1)} s without, ${on.wall.toFixed(1)} s with usage: +${(on.wall - off.wall).toFixed(1)} s`,
  );
  console.log(`peak RSS     ${off.rssMb.toFixed(0)} MB without, ${on.rssMb.toFixed(0)} MB with`);
  console.log(
    `cpu          ${off.cpuS.toFixed(1)} s without, ${on.cpuS.toFixed(1)} s with (env-reaper process)`,
  );
  console.log(
    `verdicts     ${wrong} differ from the truth; ${falseUnused} stacks with traffic in the window called unused`,
  );
}
console.log(
  `\ncommand: npm run bench -- --size ${sizeName} --world ${worldName} --strategy ${values.strategy} --api ${values.api}${values.latency !== undefined ? ` --latency ${values.latency}` : ''}${values.reserve !== '0.5' ? ` --reserve ${values.reserve}` : ''}${repeat > 1 ? ` --repeat ${repeat}` : ''}${values.usage ? ' --usage' : ''}`,
);
