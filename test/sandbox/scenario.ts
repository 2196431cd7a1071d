import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * Scenario files (test/scenarios/*.yaml): the world the sandbox serves. Times are absolute ISO-8601 or
 * relative to the sandbox's start (`-3d`, `-90m`, `+1h`, `now`), so a scenario stays valid on any day.
 */

const time = z.union([z.string(), z.number()]).transform((v) => String(v));

const failedResource = z.object({
  logicalId: z.string(),
  type: z.string().default('AWS::S3::Bucket'),
  reason: z
    .string()
    .default(
      'The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Error Code: BucketNotEmpty)',
    ),
});

/** Objects in a bucket (versions and delete markers when versioned), or images in a repository. */
const contentsSchema = z.object({
  objects: z.number().int().default(0),
  /** Objects with these exact keys, beside the generated ones (outside-world names: spaces, `&`, `<`). */
  keys: z.array(z.string()).default([]),
  versioned: z.boolean().default(false),
  /** Versions of each object (versioned buckets). */
  versionsPerObject: z.number().int().default(1),
  /** Objects whose latest version is a delete marker (versioned buckets). */
  deleteMarkers: z.number().int().default(0),
  objectBytes: z.number().int().default(1024),
  images: z.number().int().default(0),
  imageBytes: z.number().int().default(10_000_000),
});

/** A resource outside any stack (created by the review app at run time, or retained), tagged. */
const looseSchema = z.object({
  name: z.string(),
  tags: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  created: time.default('-2d'),
  /** Deleted at: gone from its service, but the tagging index may still list it (taggingStaleSeconds). */
  deleted: time.optional(),
  contents: contentsSchema.optional(),
  /** USD per month, for Cost Explorer's resource-level data. */
  monthlyCost: z.number().optional(),
  /** Bucket: MFA delete enabled (GetBucketVersioning says so; deleting a version without a token is refused). */
  mfaDelete: z.boolean().optional(),
  /** Bucket: something keeps writing to it: after each DeleteObjects, `objects` new ones, `times` times. */
  refill: z.object({ objects: z.number().int(), times: z.number().int() }).optional(),
  /** Repository: its images' `lastRecordedPullTime`. */
  pulled: time.optional(),
});

const stackSchema = z.object({
  name: z.string(),
  status: z.string().default('CREATE_COMPLETE'),
  statusReason: z.string().optional(),
  created: time.default('-3d'),
  updated: time.optional(),
  tags: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  terminationProtection: z.boolean().default(false),
  /** Name of the parent stack (nested stacks); tags are inherited from the root. */
  parent: z.string().optional(),
  exports: z.array(z.object({ name: z.string(), value: z.string().default('value') })).default([]),
  imports: z.array(z.string()).default([]),
  resources: z
    .array(
      z.object({
        logicalId: z.string(),
        type: z.string(),
        status: z.string().default('CREATE_COMPLETE'),
        /** The physical id (a bucket or repository name); default `<stack>-<logical id>`, lower case. */
        physicalId: z.string().optional(),
        /** `DeletionPolicy: Retain`: the stack's deletion leaves the resource (and its tags) in place. */
        retain: z.boolean().default(false),
        /** What a bucket or repository holds: a non-empty one fails the stack's deletion, as on AWS. */
        contents: contentsSchema.optional(),
        /** USD per month of this bucket or repository, for Cost Explorer's resource-level data. */
        monthlyCost: z.number().optional(),
        /**
         * Requests this resource served (load balancers, APIs, distributions, functions, App Runner):
         * time → count, as CloudWatch would sum them per day. `daily`: this many every day since creation.
         */
        traffic: z.record(z.string(), z.number()).default({}),
        daily: z.number().optional(),
        /** CloudWatch answers 0 on silent days instead of no datapoint (some metrics do). */
        zeroDatapoints: z.boolean().default(false),
        /** Force GetMetricData's StatusCode for this resource's metrics (`Forbidden`, `InternalError`, `PartialData`). */
        metricStatus: z.enum(['Complete', 'PartialData', 'InternalError', 'Forbidden']).optional(),
        /** CloudFormation did not tag it (a type without tag support): the tagging API does not list it. */
        untagged: z.boolean().default(false),
        /** `AWS::ApiGatewayV2::Api`: HTTP publishes Count, WEBSOCKET ConnectCount (as API Gateway does). */
        protocol: z.enum(['HTTP', 'WEBSOCKET']).default('HTTP'),
        /** `AWS::ElasticLoadBalancingV2::LoadBalancer`: application (default), network or gateway. */
        lbType: z.enum(['application', 'network', 'gateway']).default('application'),
      }),
    )
    .prefault([{ logicalId: 'Bucket', type: 'AWS::S3::Bucket' }]),
  /** What DeleteStack does: complete (default), fail with resources, or hang in DELETE_IN_PROGRESS. */
  deletion: z
    .object({
      outcome: z.enum(['complete', 'failed', 'hang']).default('complete'),
      seconds: z.number().optional(),
      failedResources: z.array(failedResource).default([]),
    })
    .optional(),
  /** Monthly cost in USD, for Cost Explorer. */
  monthlyCost: z.number().optional(),
});

const regionSchema = z.object({
  stacks: z.array(stackSchema).default([]),
  /** Resources outside stacks: S3 buckets, ECR repositories, CloudWatch Logs log groups. */
  buckets: z.array(looseSchema).default([]),
  repositories: z.array(looseSchema).default([]),
  logGroups: z.array(looseSchema).default([]),
});

const accountSchema = z.object({
  id: z.string(),
  /** Access key of the ambient credentials, when they belong to this account. */
  accessKeyId: z.string().optional(),
  roles: z
    .array(
      z.object({
        arn: z.string(),
        /** The account the role's credentials actually land in (a misconfigured trust); defaults to the ARN's. */
        account: z.string().optional(),
      }),
    )
    .default([]),
  regions: z.record(z.string(), regionSchema).default({}),
});

const branchSchema = z.object({
  name: z.string(),
  protected: z.boolean().default(false),
  committed: time.default('-1d'),
  merged: z.boolean().default(false),
});

const mrSchema = z.object({
  iid: z.number().int(),
  sourceBranch: z.string(),
  targetBranch: z.string().optional(),
  state: z.enum(['opened', 'closed', 'merged', 'locked']).default('opened'),
  title: z.string().optional(),
  author: z.string().default('dev'),
  created: time.default('-5d'),
  updated: time.optional(),
  mergedAt: time.optional(),
  closedAt: time.optional(),
  labels: z.array(z.string()).default([]),
});

const envSchema = z.object({
  name: z.string(),
  id: z.number().int().optional(),
  state: z.enum(['available', 'stopping', 'stopped']).default('available'),
  tier: z.string().default('development'),
  slug: z.string().optional(),
  created: time.default('-5d'),
  updated: time.optional(),
  /** The ref of the last deployment, for the single GET. */
  lastDeployment: z
    .object({ ref: z.string(), at: time.default('-1d'), status: z.string().default('success') })
    .optional(),
  /** When true, a stop without force goes to `stopping` (a stop job would run). */
  hasStopAction: z.boolean().default(true),
  /**
   * The `on_stop` job a stop without force runs: after `afterSeconds` it deletes `stacks` (by name;
   * default: the live stacks tagged `gitlab:environment` with this environment's name) and the
   * environment becomes `stopped`; or it fails (the environment goes back to `available`, as GitLab
   * does when a stop job fails); or it never starts (the environment stays `stopping`).
   */
  onStop: z
    .object({
      outcome: z.enum(['delete-stack', 'fail', 'never-start']).default('delete-stack'),
      afterSeconds: z.number().default(0.5),
      stacks: z.array(z.string()).optional(),
    })
    .optional(),
});

const projectSchema = z.object({
  id: z.number().int(),
  path: z.string(),
  /**
   * Paths the project had before a rename or transfer: GitLab answers them with a 301 to
   * `/projects/:id` (GitLab 16.7+), and matches paths without regard to case.
   */
  formerPaths: z.array(z.string()).default([]),
  defaultBranch: z.string().default('main'),
  archived: z.boolean().default(false),
  /**
   * An ancestor group is archived (GitLab 18.6+): GraphQL's `Project.archived` is then true
   * (`self_or_ancestors_archived?`), REST's `archived` stays the project's own flag.
   */
  ancestorArchived: z.boolean().default(false),
  /** false: the token cannot see it (answers 404 like a missing project). */
  visible: z.boolean().default(true),
  /**
   * Protected branch rules by name or wildcard pattern (`release/*`), as GitLab matches them: REST's
   * `protected` flag and GraphQL's `branchRules` both follow them (besides `protected: true` branches).
   */
  protectedBranchRules: z.array(z.string()).default([]),
  branches: z.array(branchSchema).default([]),
  /** Extra branches synthesised by name (`<prefix>00001`…), for large listings. */
  syntheticBranches: z
    .object({ count: z.number().int(), prefix: z.string().default('feature/auto-') })
    .optional(),
  mergeRequests: z.array(mrSchema).default([]),
  /**
   * Extra merge requests synthesised by source branch (`<prefix>00001`…): a project's history, merged
   * or closed months ago from branches long gone, for large listings.
   */
  syntheticMergeRequests: z
    .object({ count: z.number().int(), prefix: z.string().default('history/auto-') })
    .optional(),
  environments: z.array(envSchema).default([]),
});

/** A fault rule (also accepted at run time by `POST /__sandbox/faults`). */
export const faultSchema = z.object({
  service: z.enum(['aws', 'gitlab']),
  /** AWS: operation name (`DescribeStacks`) or `*`; GitLab: a regex over the path (`/projects/103/`). */
  match: z.string().default('*'),
  /** hold: the request waits until `POST /__sandbox/release` (to act between two steps of a client). */
  kind: z.enum(['error', 'throttle', 'latency', 'hang', 'truncate', 'revoke', 'hold', 'malformed']),
  /**
   * malformed (GitLab): how a 200 answer is broken. `html`: an HTML error page; `truncated`: JSON cut in
   * half; `nulls`: every field null; `missing`: every field but one dropped; `types`: every field of the
   * wrong type; `shape`: an object where a list is due, or a list where an object is.
   */
  variant: z.enum(['html', 'truncated', 'nulls', 'missing', 'types', 'shape']).default('html'),
  status: z.number().int().default(500),
  /**
   * hold: `before` parks the request before it is applied; `after` applies it (the write happens) and
   * parks the answer, the window in which a client can die having written without knowing it.
   */
  phase: z.enum(['before', 'after']).default('before'),
  /** GitLab: only requests with this HTTP method (`POST`: a note's creation, not the read of notes). */
  method: z.string().optional(),
  /** Apply to the first N matching requests only (after `after`). */
  count: z.number().int().optional(),
  /** Let this many matching requests through first. */
  after: z.number().int().default(0),
  /** error: the AWS error code and message to answer with (default InternalFailure / ValidationError). */
  code: z.string().optional(),
  message: z.string().optional(),
  /** Apply with this probability (seeded, deterministic). */
  probability: z.number().min(0).max(1).optional(),
  latencyMs: z.number().default(0),
  /** truncate: pages served before the listing pretends to end. */
  pages: z.number().int().default(1),
});

/** A fault rule. */
export type Fault = z.output<typeof faultSchema>;

/** The whole scenario file. */
export const scenarioSchema = z.object({
  description: z.string().optional(),
  seed: z.number().int().default(1),
  aws: z
    .object({
      accounts: z.array(accountSchema).default([]),
      /** How long DELETE_IN_PROGRESS lasts by default. */
      deleteSeconds: z.number().default(0.3),
      /** How long the tagging API keeps returning a deleted stack or resource. */
      taggingStaleSeconds: z.number().default(0),
      /** Datapoints per GetMetricData page (CloudWatch's MaxDatapoints ceiling is 100,800). */
      metricPageDatapoints: z.number().int().positive().default(100_800),
      /** Stacks per DescribeStacks page (AWS pages by 1 MB; this keeps tests paging). */
      describePageSize: z.number().int().default(100),
      /** CloudFormation requests per second per account×region before `Throttling`; 0 = unlimited. */
      cfnRequestsPerSecond: z.number().default(0),
      /** false: Cost Explorer's resource-level data is not enabled (GetCostAndUsageWithResources fails). */
      resourceLevelCost: z.boolean().default(true),
      /** Cost-allocation tags that are not activated (Cost Explorer groups them under an empty value). */
      inactiveCostTags: z.array(z.string()).default([]),
    })
    .prefault({}),
  gitlab: z
    .object({
      tokens: z.array(z.string()).default(['glpat-sandbox-token']),
      /**
       * Scopes per token (GitLab's: `read_api` may GET, writes answer 403 `insufficient_scope`). A token
       * not listed here has `api`.
       */
      tokenScopes: z
        .record(z.string(), z.array(z.enum(['api', 'read_api', 'read_repository', 'read_user'])))
        .default({}),
      /** Authenticated requests per minute per token before 429; 0 = unlimited. */
      requestsPerMinute: z.number().int().default(0),
      /** Length of the rate-limit window (GitLab uses one minute); shorter keeps tests fast. */
      rateLimitWindowSeconds: z.number().default(60),
      /** Requests someone else already made with the token in its first window (a shared budget). */
      budgetUsedByOthers: z.number().int().default(0),
      projects: z.array(projectSchema).default([]),
      /** The token's role in every project: a developer cannot read protected branch rules. */
      tokenRoles: z.record(z.string(), z.enum(['developer', 'maintainer'])).default({}),
      /** GitLab's GraphQL API (`POST /api/graphql`, `gitlab-graphql.ts`). */
      graphql: z
        .object({
          /** false: no GraphQL (the endpoint answers 404), as behind a proxy that passes REST only. */
          enabled: z.boolean().default(true),
          /**
           * What an older GitLab lacks: `Type.field` (a field) or `Type.field(argument)` (an argument), e.g.
           * `Repository.branchNames`, `Query.projects(fullPaths)`.
           */
          without: z.array(z.string()).default([]),
          /**
           * Resolver errors (HTTP 200, `errors` and `null`): on `Type.field`, for the listed projects or
           * all. `Timeout on Project.mergeRequests` as the 30 s timeout says it.
           */
          fieldErrors: z
            .array(
              z.object({ field: z.string(), message: z.string(), projects: z.array(z.number()).optional() }),
            )
            .default([]),
          /** Multiplies the complexity GitLab computes (an instance that prices higher than planned). */
          complexityFactor: z.number().default(1),
        })
        .prefault({}),
    })
    .prefault({}),
  latency: z
    .object({ aws: z.number().default(0), gitlab: z.number().default(0) })
    .default({ aws: 0, gitlab: 0 }),
  faults: z.array(faultSchema).default([]),
});

/** A parsed scenario. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioStack = z.output<typeof stackSchema>;
export type ScenarioProject = z.output<typeof projectSchema>;

/** Parses a scenario object. */
export function parseScenario(input: unknown): Scenario {
  return scenarioSchema.parse(input);
}

/** Reads a scenario YAML file. */
export async function loadScenario(file: string): Promise<Scenario> {
  return parseScenario(parse(await readFile(file, 'utf8')));
}

const UNITS: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 };

/** Resolves `-3d`, `+1h`, `now` or an ISO date against `base` (ms). */
export function resolveTime(text: string, base: number): string {
  if (text === 'now') return new Date(base).toISOString();
  const m = /^([+-])(\d+(?:\.\d+)?)([smhdw])$/.exec(text);
  if (m) {
    const sign = m[1] === '-' ? -1 : 1;
    return new Date(base + sign * Number(m[2]) * (UNITS[m[3] as string] as number)).toISOString();
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`scenario: cannot read time "${text}"`);
  return new Date(t).toISOString();
}
export type ScenarioContents = z.output<typeof contentsSchema>;
export type ScenarioLoose = z.output<typeof looseSchema>;
