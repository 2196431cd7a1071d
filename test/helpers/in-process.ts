import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AwsReader, AwsUsageReader, MetricSeries, UsageHit } from '../../src/aws/ports.js';
import { metricDataQueries } from '../../src/aws/usage.js';
import type { BranchFacts, StackFacts } from '../../src/core/model.js';
import type { ExecutorDeps } from '../../src/executor/executor.js';
import type { GitLabReader, Page } from '../../src/gitlab/ports.js';
import {
  branchSchema,
  environmentSchema,
  mergeRequestSchema,
  projectSchema,
  toBranch,
  toEnvironment,
  toMergeRequest,
  toProject,
} from '../../src/gitlab/schemas.js';
import { silentLogger } from '../../src/log/logger.js';
import type { RunDeps } from '../../src/run/audit.js';
import type { StateStore } from '../../src/state/ports.js';
import { emptyState, type State } from '../../src/state/state.js';
import { ApiStats } from '../../src/util/api-stats.js';
import { getResources } from '../sandbox/aws-services.js';
import { getMetricData, getRestApis } from '../sandbox/aws-usage.js';
import { GitLabSandbox } from '../sandbox/gitlab.js';
import { HttpError, MovedProject } from '../sandbox/gitlab-answers.js';
import { GitLabGraphqlSandbox } from '../sandbox/gitlab-graphql.js';
import { parseScenario } from '../sandbox/scenario.js';
import { World } from '../sandbox/world.js';

/**
 * In-process fakes of the outside world for tests of `audit()`, `reap()` and the collectors: the
 * sandbox's own world and GitLab routes (pagination, 404s, filters), called as functions instead of
 * over HTTP, so these tests run in milliseconds and swap `deps` without any global mock. Every call is
 * counted by operation in `calls`.
 */
export interface InProcessWorld {
  world: World;
  deps: RunDeps;
  executorIo: Pick<ExecutorDeps, 'aws' | 'gitlab'>;
  store: StateStore & { state: State; saves: number };
  /** Calls per operation (`gitlab.branchesPage`, `aws.deleteStack`, …). */
  calls: Map<string, number>;
}

/**
 * A world from a scenario object (as the sandbox takes it) and its in-process readers and executorIo. The
 * run's clock is a minute after the world's own start (scenario times like `-1d` are relative to it),
 * fixed, so no test depends on how fast the machine is.
 */
export function inProcessWorld(
  scenario: unknown,
  clockOffsetMs = 60_000,
  options: { graphql?: boolean } = {},
): InProcessWorld {
  const world = new World(parseScenario(scenario));
  const now = world.startedAt + clockOffsetMs;
  const calls = new Map<string, number>();
  const count = (op: string) => calls.set(op, (calls.get(op) ?? 0) + 1);
  const sandbox = new GitLabSandbox(world, () => 'http://sandbox.invalid');
  const route = (sandbox as unknown as { route: (ctx: unknown) => unknown }).route.bind(sandbox);

  /** One GET through the sandbox's router; `null` on its 404. */
  const get = (
    path: string,
    query: Record<string, string | number> = {},
  ): { out: unknown; headers: Map<string, string> } | null => {
    const url = new URL(`http://sandbox.invalid/api/v4${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const headers = new Map<string, string>();
    const res = { setHeader: (k: string, v: string) => headers.set(k.toLowerCase(), v) };
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      const out = route({
        method: 'GET',
        url,
        segments,
        body: Object.fromEntries(url.searchParams),
        token: 'in-process',
        res: res as unknown as ServerResponse,
      });
      return { out, headers };
    } catch (error) {
      // A former path: follow GitLab's 301 to the same route by id, as fetch does.
      if (error instanceof MovedProject) {
        count('gitlab.redirect');
        return get(path.replace(/^\/projects\/[^/]+/, `/projects/${error.projectId}`), query);
      }
      if ((error as { status?: number }).status === 404) return null;
      throw error;
    }
  };
  const page = <T, R>(r: ReturnType<typeof get>, schema: z.ZodType<T>, to: (raw: T) => R): Page<R> => {
    if (!r) throw Object.assign(new Error('404 Not found'), { status: 404 });
    const next = r.headers.get('x-next-page');
    const total = r.headers.get('x-total-pages');
    return {
      items: z.array(schema).parse(r.out).map(to),
      nextPage: next ? Number(next) : null,
      totalPages: total ? Number(total) : null,
    };
  };
  const enc = encodeURIComponent;
  const gitlab: GitLabReader = {
    async project(key) {
      count('gitlab.project');
      const r = get(`/projects/${enc(String(key))}`);
      return r ? toProject(projectSchema.parse(r.out)) : null;
    },
    async branchesPage(projectId, p) {
      count('gitlab.branchesPage');
      return page(
        get(`/projects/${projectId}/repository/branches`, { page: p, per_page: 100 }),
        branchSchema,
        toBranch,
      );
    },
    async branch(projectId, name): Promise<BranchFacts | null> {
      count('gitlab.branch');
      const r = get(`/projects/${projectId}/repository/branches/${enc(name)}`);
      return r ? toBranch(branchSchema.parse(r.out)) : null;
    },
    async mergeRequestsPage(projectId, p, filter) {
      count('gitlab.mergeRequestsPage');
      const q = {
        state: 'all',
        page: p,
        per_page: 100,
        ...(filter?.sourceBranch ? { source_branch: filter.sourceBranch } : {}),
      };
      return page(get(`/projects/${projectId}/merge_requests`, q), mergeRequestSchema, toMergeRequest);
    },
    async environmentsPage(projectId, p, filter) {
      count('gitlab.environmentsPage');
      const q = {
        page: p,
        per_page: 100,
        ...(filter?.name !== undefined ? { name: filter.name } : {}),
        ...(filter?.states !== undefined ? { states: filter.states } : {}),
      };
      return page(get(`/projects/${projectId}/environments`, q), environmentSchema, toEnvironment);
    },
    async environment(projectId, environmentId) {
      count('gitlab.environment');
      const r = get(`/projects/${projectId}/environments/${environmentId}`);
      if (!r) throw Object.assign(new Error('404 Not found'), { status: 404 });
      return toEnvironment(environmentSchema.parse(r.out));
    },
    async mergeRequest(projectId, iid) {
      count('gitlab.mergeRequest');
      const r = get(`/projects/${projectId}/merge_requests/${iid}`);
      return r ? toMergeRequest(mergeRequestSchema.parse(r.out)) : null;
    },
  };

  const facts = (s: World['stacks'][number]): StackFacts => ({
    account: s.account,
    region: s.region,
    stackId: s.stackId,
    name: s.name,
    status: s.status,
    createdAt: s.createdAt,
    tags: { ...s.tags },
    terminationProtection: s.terminationProtection,
    ...(s.statusReason ? { statusReason: s.statusReason } : {}),
    ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}),
    ...(s.parentId ? { parentId: s.parentId } : {}),
    ...(s.rootId ? { rootId: s.rootId } : {}),
  });
  const aws: AwsReader = {
    async callerAccount(target) {
      count('aws.callerAccount');
      return target.id ?? world.defaultAccount;
    },
    async listStacks(_target, account, region) {
      count('aws.listStacks');
      return world.stacks
        .filter((s) => s.account === account && s.region === region && s.status !== 'DELETE_COMPLETE')
        .map(facts);
    },
  };
  const counted = <T>(op: string, value: T): T => {
    count(op);
    return value;
  };
  const byId = (id: string) => world.allStacks().find((s) => s.stackId === id);
  const executorIo: InProcessWorld['executorIo'] = {
    aws: {
      callerAccount: aws.callerAccount,
      async describeStack(_t, _r, stackId) {
        count('aws.describeStack');
        const s = byId(stackId);
        return s ? facts(s) : null;
      },
      listExports: async () => counted('aws.listExports', []),
      listImports: async () => counted('aws.listImports', []),
      failedResources: async () => counted('aws.failedResources', []),
      stackResources: async () => counted('aws.stackResources', []),
      emptyBucket: async () =>
        counted('aws.emptyBucket', { removed: 0, deleteMarkers: 0, bytes: 0, errors: [] }),
      emptyRepository: async () =>
        counted('aws.emptyRepository', { removed: 0, deleteMarkers: 0, bytes: 0, errors: [] }),
      // No leftovers in process (no tagging reads here): a leftover write would be a bug.
      inspectLeftover: async () => counted('aws.inspectLeftover', { exists: false, tags: {} }),
      deleteBucket: async () => void count('aws.deleteBucket'),
      deleteRepository: async () => void count('aws.deleteRepository'),
      deleteLogGroup: async () => void count('aws.deleteLogGroup'),
      async deleteStack(_t, _r, stackId) {
        count('aws.deleteStack');
        const s = byId(stackId);
        // Deletion completes at once here: the sandbox over HTTP covers the timing.
        if (s) s.status = 'DELETE_COMPLETE';
      },
    },
    gitlab: {
      mergeRequestNoteBodies: async () => counted('gitlab.mergeRequestNoteBodies', []),
      findIssue: async () => counted('gitlab.findIssue', null),
      async environmentState(projectId, environmentId) {
        count('gitlab.environmentState');
        world.advanceStopJobs();
        return world.projects.get(projectId)?.environments.find((e) => e.id === environmentId)?.state ?? null;
      },
      async stopEnvironment(projectId, environmentId, options = { force: true }) {
        count('gitlab.stopEnvironment');
        const env = world.projects.get(projectId)?.environments.find((e) => e.id === environmentId);
        if (!env) return 'stopped';
        if (env.state === 'available') {
          env.state = env.hasStopAction && !options.force ? 'stopping' : 'stopped';
          if (env.state === 'stopping') env.stopJobStartedAt = Date.now();
        }
        return env.state;
      },
      deleteEnvironment: async () => void count('gitlab.deleteEnvironment'),
      createMergeRequestNote: async () => void count('gitlab.createMergeRequestNote'),
      createIssue: async () => counted('gitlab.createIssue', 1),
      updateIssue: async () => void count('gitlab.updateIssue'),
    },
  };
  const store = {
    state: emptyState(),
    saves: 0,
    async load() {
      return structuredClone(store.state);
    },
    async save(state: State) {
      store.saves++;
      store.state = structuredClone(state);
    },
    async lock() {
      return { release: async () => undefined };
    },
  };
  // The sandbox's tagging API, API Gateway and CloudWatch as functions (their paging included).
  const scope = (region: string) => ({ accessKeyId: '', region, service: 'in-process' });
  const usage: AwsUsageReader = {
    async listResources(_t, region, types) {
      const hits: UsageHit[] = [];
      let token = '';
      let pages = 0;
      do {
        count('aws.getResources');
        pages++;
        const out = getResources(
          world,
          {
            TagFilters: [{ Key: 'aws:cloudformation:stack-name' }],
            ResourceTypeFilters: types,
            ResourcesPerPage: 100,
            PaginationToken: token,
          },
          scope(region),
        ) as {
          PaginationToken: string;
          ResourceTagMappingList: { ResourceARN: string; Tags: { Key: string; Value: string }[] }[];
        };
        for (const m of out.ResourceTagMappingList) {
          const tag = (k: string) => m.Tags.find((t) => t.Key === k)?.Value;
          const type =
            types.find(
              (t) =>
                m.ResourceARN.split(':')[2] === t.split(':')[0] &&
                m.ResourceARN.split(':')
                  .slice(5)
                  .join(':')
                  .replace(/^\//, '')
                  .startsWith(t.split(':')[1] ?? ''),
            ) ?? '';
          hits.push({
            arn: m.ResourceARN,
            type,
            stackId: tag('aws:cloudformation:stack-id') ?? '',
            stackName: tag('aws:cloudformation:stack-name') ?? '',
          });
        }
        token = out.PaginationToken;
      } while (token);
      return { hits, pages };
    },
    async restApiNames(_t, region) {
      count('aws.getRestApis');
      const out = getRestApis(world, new URL('http://x/restapis?limit=500'), scope(region)) as {
        item: { id: string; name: string }[];
      };
      return { names: new Map(out.item.map((a) => [a.id, a.name])), pages: 1 };
    },
    async metricData(_t, region, queries, start, end) {
      const series = new Map<string, MetricSeries>();
      let token = '';
      let calls = 0;
      do {
        count('aws.getMetricData');
        calls++;
        const out = getMetricData(
          world,
          {
            MetricDataQueries: metricDataQueries(queries),
            StartTime: start / 1000,
            EndTime: end / 1000,
            NextToken: token,
          },
          scope(region),
        ) as {
          NextToken?: string;
          MetricDataResults: { Id: string; Timestamps: number[]; Values: number[]; StatusCode: string }[];
        };
        for (const r of out.MetricDataResults) {
          const s = series.get(r.Id) ?? { points: [], complete: false };
          for (const [i, t] of r.Timestamps.entries()) s.points.push({ at: t * 1000, sum: r.Values[i] ?? 0 });
          s.complete = r.StatusCode === 'Complete';
          series.set(r.Id, s);
        }
        token = out.NextToken ?? '';
      } while (token);
      return { series, calls };
    },
  };
  const deps: RunDeps = {
    aws,
    gitlab,
    usage,
    logger: silentLogger(),
    stats: new ApiStats(),
    now: () => now,
    env: {},
  };
  if (options.graphql) {
    // The sandbox's GraphQL endpoint as a function; its answer goes through JSON as over the wire.
    const gql = new GitLabGraphqlSandbox(world);
    deps.graphql = {
      query: async (text, variables) => {
        count('gitlab.graphql');
        try {
          return JSON.parse(JSON.stringify(await gql.handle({ query: text, variables }, 'in-process')));
        } catch (error) {
          if (error instanceof HttpError)
            throw Object.assign(new Error(`HTTP ${error.status}`), {
              cause: { response: { status: error.status } },
            });
          throw error;
        }
      },
    };
  }
  return { world, deps, executorIo, store, calls };
}
