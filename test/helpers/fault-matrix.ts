import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLineSchema } from '../../src/executor/audit-events.js';
import type { Report } from '../../src/report/json-report.js';
import { stateSchema } from '../../src/state/state.js';
import { s3ObjectText } from '../sandbox/aws.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';
import { configFile, readJsonLines, runCli } from './cli.js';
import { fullFeaturedWorld } from './worlds.js';

/**
 * The fault matrix (docs/reaping.md, "Degraded runs"; run by test/e2e/fault-matrix-*.e2e.test.ts): every
 * AWS operation and GitLab route a full-featured `reap --apply` calls, each failed persistently in turn
 * through the sandbox: denied (AWS `AccessDenied`, GitLab 403), a server error (5xx), a timeout, and for
 * GitLab reads a malformed 200. Every run must be
 * - safe: nothing deleted or emptied that the clean run did not delete, at most one note per stack and
 *   MR, at most one dashboard issue, state and audit log valid;
 * - loud: exit 1, an `errors[]` entry naming the operation and its code (or, when the state cannot be
 *   locked or read, a typed error naming it and no run at all), `degraded: true` on the last log line,
 *   and the dashboard saying so when it could be written;
 * - quick: done within BOUND_MS, which the configured timeouts and retries bound.
 */

export type Kind = 'denied' | 'server' | 'timeout' | 'malformed';

/** One operation the clean run called: as the sandbox logs it, and as env-reaper names it. */
export interface Operation {
  service: 'aws' | 'gitlab';
  /** Sandbox log name: `cloudformation:ListImports`, `s3:PUT`, `GET /projects/:id/environments`. */
  logged: string;
  /** What errors[] and error messages call it: `ListImports`, `PutObject`, the route. */
  name: string;
  /** The fault rule's `match` (and `method`). */
  match: string;
  method?: string;
}

/** The state backend's requests are logged by HTTP method (an object of the state bucket). */
const STATE_OPS: Record<string, string> = {
  's3:GET': 'GetObject',
  's3:PUT': 'PutObject',
  's3:DELETE': 'DeleteObject',
  's3:HEAD': 'HeadObject',
};

export function operationOf(service: string, logged: string): Operation | undefined {
  if (service === 'aws') {
    const state = STATE_OPS[logged];
    if (state) return { service, logged, name: state, match: logged };
    const name = logged.split(':')[1] ?? logged;
    return { service, logged, name, match: name };
  }
  if (service !== 'gitlab') return undefined;
  const [method, route] = logged.split(' ') as [string, string];
  // The sandbox matches a regex over the path (no /api/v4, no query): `:id` is one segment.
  const match = `^${route.replace(/:id/g, '[^/]+')}$`;
  return { service, logged, name: logged, match, method };
}

/** The sandbox fault rule of one case. Persistent: every matching request fails. */
export function faultOf(op: Operation, kind: Kind): Record<string, unknown> {
  const base = { service: op.service, match: op.match, ...(op.method ? { method: op.method } : {}) };
  if (kind === 'timeout') return { ...base, kind: 'hang' };
  if (kind === 'malformed') return { ...base, kind: 'malformed', variant: 'html' };
  if (op.service === 'aws')
    return kind === 'denied'
      ? { ...base, kind: 'error', status: 403, code: 'AccessDenied', message: 'not authorized (injected)' }
      : { ...base, kind: 'error', status: 500, code: 'InternalFailure' };
  return { ...base, kind: 'error', status: kind === 'denied' ? 403 : 502 };
}

/** The code errors[] must carry for a case. */
export function expectedCode(op: Operation, kind: Kind): RegExp {
  // One code per kind of failure, whichever service and path: the closed vocabulary (docs/errors.md).
  void op;
  if (kind === 'timeout') return /^TIMEOUT$/;
  if (kind === 'malformed') return /^MALFORMED_RESPONSE$/;
  return kind === 'denied' ? /^ACCESS_DENIED$/ : /^SERVER_ERROR$/;
}

/**
 * Timeouts and retries of the matrix runs, and the bound a persistent failure may cost. A GitLab request
 * costs at most timeout × (retries + 1) plus its backoff (< 1 s at these settings); an AWS call timeout ×
 * attempts plus the SDK's backoff. The run's calls that fail go 4 to 8 at a time; deletions poll. The
 * bound is generous for a loaded 2-core machine, and far below the minutes a rate-window wait cost.
 */
export const TIMEOUTS = { gitlab: { timeout: '1s', maxRetries: 1 }, aws: { timeout: '1s', maxAttempts: 2 } };
export const BOUND_MS = 45_000;

export interface CaseResult {
  code: number;
  stderr: string;
  ms: number;
  report?: Report;
  deleted: string[];
  emptied: string[];
  /** Buckets, repositories and log groups deleted as leftovers. */
  leftoversDeleted: string[];
  notesPerStack: Map<string, number>;
  dashboards: { description: string }[];
  stateValid: boolean;
  auditValid: boolean;
  /** Every operation env-reaper called (its User-Agent), as the sandbox logged it. */
  called: string[];
}

export async function runCase(
  fault?: Record<string, unknown>,
  options: {
    dashboardExists?: boolean;
    /** `gitlab.api` of the run: the REST matrix pins `rest`, so each route is the one that reads. */
    api?: 'rest' | 'auto';
    /** Changes to the GitLab world (GraphQL's own faults: resolver errors, a higher price). */
    gitlab?: (gitlab: Record<string, unknown>) => void;
  } = {},
): Promise<CaseResult> {
  const { scenario, config, dir } = await fullFeaturedWorld({ faults: false });
  (scenario as { faults?: unknown[] }).faults = fault ? [fault] : [];
  options.gitlab?.((scenario as { gitlab: Record<string, unknown> }).gitlab);
  // acme/shop tears its environments down with their on_stop jobs, which delete the stack quickly.
  const world = scenario as unknown as {
    aws: { deleteSeconds?: number };
    gitlab: { projects: { path: string; environments: Record<string, unknown>[] }[] };
  };
  world.aws.deleteSeconds = 0.1;
  for (const env of world.gitlab.projects.find((p) => p.path === 'acme/shop')?.environments ?? [])
    env.onStop = { outcome: 'delete-stack', afterSeconds: 0.1 };
  const sb: Sandbox = await startSandbox({ scenario });
  if (options.dashboardExists) {
    // An earlier run's dashboard issue: this run edits it (PUT) instead of creating one (POST).
    const shop = [...sb.world.projects.values()].find((p) => p.path === 'acme/shop');
    const at = new Date().toISOString();
    shop?.issues.push({
      id: 9001,
      iid: 1,
      projectId: shop.id,
      title: 'env-reaper dashboard',
      description: '<!-- env-reaper:dashboard -->',
      state: 'opened',
      labels: ['env-reaper-dashboard'],
      createdAt: at,
      updatedAt: at,
    });
  }
  try {
    const file = await configFile({
      ...config,
      // Short deadlines where a fault is injected; the clean runs keep the defaults, so a loaded machine
      // cannot make the baseline itself degraded.
      gitlab: {
        ...(config.gitlab as object),
        ...(fault || options.gitlab ? TIMEOUTS.gitlab : {}),
        api: options.api ?? 'rest',
      },
      aws: { ...(config.aws as object), ...(fault ? TIMEOUTS.aws : {}) },
      policy: { ...(config.policy as object), teardownProjects: { 'acme/shop': 'stop-job-then-delete' } },
      limits: { ...(config.limits as object), stopJobTimeout: '3s' },
    });
    const out = join(dir, 'report.json');
    const t0 = Date.now();
    const r = await runCli(
      ['reap', '--apply', '--config', file, '--format', 'json', '--output', `json=${out}`],
      {
        ...sb.env(),
        ENV_REAPER_LOG_LEVEL: 'info',
      },
    );
    const ms = Date.now() - t0;
    const report = await readFile(out, 'utf8')
      .then((t) => JSON.parse(t) as Report)
      .catch(() => undefined);
    const writes = sb.world.writes;
    const deleted = [
      ...new Set(writes.filter((w) => w.operation === 'DeleteStack').map((w) => String(w.params?.name))),
    ];
    const emptied = [
      ...new Set(
        writes
          .filter((w) => w.operation === 'DeleteObjects' || w.operation === 'BatchDeleteImage')
          .map((w) => w.target),
      ),
    ];
    // Leftovers deleted (leftovers.delete): never more than the clean run deletes.
    const leftoversDeleted = [
      ...new Set(
        writes
          .filter((w) => ['DeleteBucket', 'DeleteRepository', 'DeleteLogGroup'].includes(w.operation))
          .map((w) => w.target),
      ),
    ];
    const notesPerStack = new Map<string, number>();
    for (const p of sb.world.projects.values())
      for (const mr of p.mergeRequests)
        for (const n of mr.notes) {
          const marker = /<!-- env-reaper:(deleted|notice) ([^>]*?) -->/.exec(n.body)?.[0];
          if (marker)
            notesPerStack.set(
              `${p.id}!${mr.iid} ${marker}`,
              (notesPerStack.get(`${p.id}!${mr.iid} ${marker}`) ?? 0) + 1,
            );
        }
    const dashboards = [...sb.world.projects.values()].flatMap((p) =>
      p.issues.filter((i) => i.state === 'opened' && i.labels.includes('env-reaper-dashboard')),
    );
    const stateText = s3ObjectText(sb.world, 'env-reaper-state/env-reaper/state.json');
    const stateValid = stateText === undefined || stateSchema.safeParse(JSON.parse(stateText)).success;
    // Every line one of the audit log's events, with that event's fields (docs/reaping.md).
    const auditValid = await readJsonLines(join(dir, 'audit.jsonl')).then(
      (lines) => lines.every((l) => auditLineSchema.safeParse(l).success),
      (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
    );
    const called = [
      ...new Set(
        sb.world.requests
          // Its own requests (its User-Agent), and AssumeRole, which the SDK's credential provider sends.
          .filter(
            (q) =>
              (String(q.agent ?? '').includes('env-reaper/') || q.operation === 'sts:AssumeRole') &&
              q.status !== 401,
          )
          .map((q) => `${q.service} ${q.operation}`),
      ),
    ].sort();
    return {
      code: r.code,
      stderr: r.stderr,
      ms,
      report,
      deleted,
      emptied,
      leftoversDeleted,
      notesPerStack,
      dashboards,
      stateValid,
      auditValid,
      called,
    };
  } finally {
    await sb.close();
  }
}

/** The operations of the world, as `service logged-name`: what the clean runs must call, no more. */
export const OPERATIONS = {
  aws: [
    'apigateway:GetRestApis',
    'ce:GetCostAndUsage',
    'ce:GetCostAndUsageWithResources',
    'cloudformation:DeleteStack',
    'cloudformation:DescribeStackEvents',
    'cloudformation:DescribeStacks',
    'cloudformation:ListExports',
    'cloudformation:ListImports',
    'cloudformation:ListStackResources',
    'cloudwatch:GetMetricData',
    'ecr:BatchDeleteImage',
    'ecr:DeleteRepository',
    'ecr:DescribeImages',
    'ecr:DescribeRepositories',
    'ecr:ListTagsForResource',
    'logs:DeleteLogGroup',
    'logs:DescribeLogGroups',
    'logs:ListTagsForResource',
    's3:DELETE',
    's3:DeleteBucket',
    's3:DeleteObjects',
    's3:GET',
    's3:GetBucketTagging',
    's3:GetBucketVersioning',
    's3:HeadBucket',
    's3:ListObjectVersions',
    's3:PUT',
    'sts:AssumeRole',
    'sts:GetCallerIdentity',
    'tagging:GetResources',
  ],
  gitlab: [
    'DELETE /projects/:id/environments/:id',
    'GET /projects/:id',
    'GET /projects/:id/environments',
    'GET /projects/:id/environments/:id',
    'GET /projects/:id/issues',
    'GET /projects/:id/merge_requests',
    'GET /projects/:id/merge_requests/:id',
    'GET /projects/:id/merge_requests/:id/notes',
    'GET /projects/:id/repository/branches',
    'GET /projects/:id/repository/branches/:id',
    'POST /projects/:id/environments/:id/stop',
    'POST /projects/:id/issues',
    'POST /projects/:id/merge_requests/:id/notes',
    'PUT /projects/:id/issues/:id',
  ],
} as const;

/** The kinds of fault each operation gets. */
export function kindsOf(op: Operation): Kind[] {
  if (op.service === 'aws') return ['denied', 'server', 'timeout'];
  return op.method === 'GET' ? ['denied', 'server', 'timeout', 'malformed'] : ['denied', 'server', 'timeout'];
}

/**
 * Calls whose failure the dashboard cannot show: its own read and writes, and the state lock's release,
 * which comes after the dashboard was written (the report and exit code say it).
 */
const NOT_ON_DASHBOARD = new Set([
  'DeleteObject',
  'GET /projects/:id/issues',
  'POST /projects/:id/issues',
  'PUT /projects/:id/issues/:id',
]);

/** Asserts one case against the clean run: safe, loud and quick. */
export function checkCase(
  op: Operation,
  kind: Kind,
  r: CaseResult,
  clean: CaseResult,
  code: RegExp = expectedCode(op, kind),
): void {
  const context = `${op.service} ${op.logged} ${kind}: exit ${r.code}\n${r.stderr.slice(-2500)}`;
  // Safe.
  expect(
    r.deleted.filter((s) => !clean.deleted.includes(s)),
    context,
  ).toEqual([]);
  expect(
    r.emptied.filter((s) => !clean.emptied.includes(s)),
    context,
  ).toEqual([]);
  // A leftover goes only with its own stack, deleted by this very run (the clean run is no yardstick
  // here: whether a stop job or the fallback tore a stack down depends on the machine's load).
  if (r.report) {
    const deletedStacks = new Set(
      r.report.environments.filter((e) => e.result === 'deleted').map((e) => e.stack.name),
    );
    const orphans = r.report.leftovers?.resources.filter(
      (l) => l.result?.result === 'deleted' && !deletedStacks.has(l.stackName),
    );
    expect(orphans ?? [], context).toEqual([]);
  } else expect(r.leftoversDeleted, context).toEqual([]);
  expect(
    [...r.notesPerStack.values()].filter((n) => n > 1),
    context,
  ).toEqual([]);
  expect(r.dashboards.length, context).toBeLessThanOrEqual(1);
  expect(r.stateValid, context).toBe(true);
  expect(r.auditValid, context).toBe(true);
  // Loud: exit 1, never 0 (silent), never 2 (a fault in the world is no usage error), no crash.
  expect(r.code, context).toBe(1);
  expect(r.stderr, context).not.toMatch(/unexpected error/);
  if (r.report) {
    const named = r.report.errors.filter((e) => e.operation === op.name);
    expect(
      named.length,
      `${context}\nerrors: ${JSON.stringify(r.report.errors, null, 1).slice(0, 3000)}`,
    ).toBeGreaterThan(0);
    expect(
      named.some((e) => code.test(e.code)),
      `${context}\ncodes: ${named.map((e) => e.code).join(', ')}`,
    ).toBe(true);
    // Where: the account (AWS) or the project (GitLab) of every error naming the operation; a token
    // GitLab refuses everywhere (401, or 403 on every project) is one fact about the token, not a project.
    const where = named.filter((e) =>
      e.service === 'gitlab'
        ? e.project === undefined && e.scope !== 'gitlab:token'
        : e.service === 'aws' && e.account === undefined,
    );
    expect(where, `${context}\nerrors without where: ${JSON.stringify(where)}`).toEqual([]);
    expect(r.stderr, context).toMatch(/"degraded":true/);
    if (!NOT_ON_DASHBOARD.has(op.name) && r.dashboards[0])
      expect(r.dashboards[0].description, context).toMatch(/Degraded run/);
  } else {
    // The state could not be locked or read: the run stopped before anything, and said which call.
    expect(r.stderr, context).toMatch(/STATE_UNAVAILABLE/);
    expect(r.stderr, context).toContain(op.name);
    expect(r.deleted, context).toEqual([]);
  }
  // Quick.
  expect(r.ms, context).toBeLessThan(BOUND_MS);
}

/**
 * Defines the matrix of one service in the calling test file: the clean runs, then one case per
 * operation and kind, 5 at a time (the two services run as two files, so on two workers).
 */
export function defineFaultMatrix(service: 'aws' | 'gitlab'): void {
  const operations = OPERATIONS[service]
    .map((logged) => operationOf(service, logged))
    .filter((o) => o !== undefined);
  let clean: CaseResult;
  let withDashboard: CaseResult;
  const timings: { label: string; ms: number }[] = [];

  beforeAll(async () => {
    clean = await runCase();
    withDashboard = await runCase(undefined, { dashboardExists: true });
    // What the clean runs decided about each leftover: the baseline a reader of a failure needs.
    for (const [name, r] of [
      ['clean', clean],
      ['with dashboard', withDashboard],
    ] as const)
      process.stderr.write(
        `fault matrix (${service}) ${name} run, leftovers: ${(r.report?.leftovers?.resources ?? [])
          .map(
            (l) =>
              `${l.arn} ${l.result?.result ?? l.decision?.status ?? '-'} ${l.decision?.reason.code ?? ''}`,
          )
          .join('; ')}\n`,
      );
  }, 120_000);
  // GraphQL's own matrix is test/e2e/fault-matrix-graphql.e2e.test.ts; here every read is REST's.

  afterAll(() => {
    if (timings.length === 0) return;
    const total = timings.reduce((n, t) => n + t.ms, 0);
    const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 3);
    process.stderr.write(
      `fault matrix (${service}): ${timings.length} cases, ${Math.round(total / 1000)} s of CLI time, slowest ${slowest.map((t) => `${t.label} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}\n`,
    );
  });

  describe(`fault matrix (${service}): the clean runs`, () => {
    it('exit 0, delete, note, empty and write the dashboard, and call exactly the listed operations', () => {
      for (const r of [clean, withDashboard]) {
        expect(r.code, r.stderr.slice(-3000)).toBe(0);
        expect(r.report?.errors).toEqual([]);
        expect(r.deleted.length).toBeGreaterThan(3);
        expect(r.emptied.length).toBeGreaterThan(0);
        expect(r.dashboards).toHaveLength(1);
      }
      const called = new Set(
        [...clean.called, ...withDashboard.called]
          .filter((c) => c.startsWith(`${service} `))
          .map((c) => c.slice(service.length + 1)),
      );
      expect([...called].sort()).toEqual([...OPERATIONS[service]].sort());
    });
  });

  describe.concurrent(`fault matrix (${service}): each operation failing persistently`, () => {
    for (const op of operations)
      for (const kind of kindsOf(op))
        it(`${op.logged}: ${kind}`, async () => {
          // The dashboard's routes run where its issue exists: a failed read must not make a second one.
          const dashboardExists = op.logged === 'GET /projects/:id/issues' || op.logged.startsWith('PUT ');
          const r = await runCase(faultOf(op, kind), { dashboardExists });
          timings.push({ label: `${op.logged} ${kind}`, ms: r.ms });
          checkCase(op, kind, r, dashboardExists ? withDashboard : clean);
        }, 120_000);
  });
}
