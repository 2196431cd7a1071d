import { validate } from 'node-cron';
import { z } from 'zod';
import { LEFTOVER_DELETABLE_TYPES } from '../core/leftover-plan.js';
import { flagRegistry, REPORT_FORMATS, RUN_COMMANDS } from './flags.js';
import { webhooks } from './schema-notify.js';
import { duration } from './schema-parts.js';
import { ownershipSection, policySection } from './schema-policy.js';

/**
 * The one source of truth for configuration (docs/design.md §7). Validation, defaults, `ENV_REAPER_*` names,
 * the JSON Schema in `config/`, `config/env-reaper.example.yaml` and `docs/configuration.md` are all
 * generated from this file and the sections it imports (`npm run gen`); a test fails when the generated files are stale.
 * Every key carries a description: why it exists. Its default comes from `.default()` (`.prefault()` for durations, given as written).
 */

/** Log levels, most verbose first: the config key and the `--log-level` flag both take these. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const account = z.strictObject({
  id: z
    .string()
    .regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' })
    .meta({
      description: 'Account id; GetCallerIdentity must return it before anything is read or written.',
    }),
  roleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: 'expected an IAM role ARN' })
    .optional()
    .meta({ description: 'Role assumed in the account; omit to use the ambient credentials.' }),
  externalId: z
    .string()
    .optional()
    .meta({ description: 'ExternalId for the AssumeRole call, if the role needs one.' }),
  regions: z
    .array(z.string())
    .optional()
    .meta({ description: 'Regions of this account; defaults to aws.regions.' }),
});

/** The configuration schema. */
export const configSchema = z
  .strictObject({
    mode: z
      .enum(['dry-run', 'apply'])
      .default('dry-run')
      .meta({ description: 'dry-run plans only; apply deletes. `reap --apply` sets apply for one run.' }),
    gitlab: z
      .strictObject({
        url: z
          .url({ error: 'expected a URL like "https://gitlab.example.com"' })
          .optional()
          .meta({ description: 'GitLab base URL; falls back to $GITLAB_URL, then $CI_SERVER_URL.' }),
        rateLimitReserve: z.number().min(0).max(0.95).default(0.5).meta({
          description:
            "Share of GitLab's rate budget (RateLimit-Limit) left for the token's other users: requests go at full concurrency while RateLimit-Remaining is above it, then wait for the window to reset.",
        }),
        requestsPerMinute: z.number().int().positive().optional().meta({
          description:
            'Optional client-side ceiling on requests per minute, whatever GitLab says (unset: the server budget and the reserve decide).',
        }),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(8)
          .meta({ description: 'Requests in flight to GitLab at once.' }),
        timeout: duration().prefault('30s').meta({
          description:
            'Deadline of one GitLab request, its answer read whole; past it the request is retried.',
        }),
        fetchStrategy: z.enum(['auto', 'per-stack']).default('auto').meta({
          description:
            'auto: each project read once per run, listing or per-ref lookups by cost. per-stack: one lookup chain per stack (the naive baseline, for benchmarks).',
        }),
        api: z.enum(['auto', 'rest', 'graphql']).default('auto').meta({
          description:
            'Which GitLab API reads the evidence. auto: GraphQL batches what it can (projects, merge requests, branches, commit dates, environments; a few POSTs for hundreds of projects) and REST reads the rest, falling back per kind of fact where the instance or the token cannot answer. graphql: the same, but every such fallback is also an error of the run (exit 1). rest: REST only. A CI job token cannot use GraphQL (auto reads REST).',
        }),
        maxRetries: z.number().int().min(0).max(20).default(4).meta({
          description: 'Retries on 429/5xx/timeouts, honouring Retry-After; then the evidence is unknown.',
        }),
      })
      .prefault({})
      .meta({
        description:
          'GitLab connection. The token comes from $GITLAB_TOKEN (else $CI_JOB_TOKEN), never from this file.',
      }),
    aws: z
      .strictObject({
        regions: z
          .array(z.string())
          .default([])
          .meta({
            description:
              'Regions to scan in the ambient account (and the default for accounts[]); empty means $AWS_REGION.',
          })
          .register(flagRegistry, {
            flags: [
              {
                flags: '-r, --region <region>',
                description: 'AWS region to scan (repeatable)',
                commands: RUN_COMMANDS,
                repeatable: true,
              },
            ],
          }),
        allowUnknownRegions: z.boolean().default(false).meta({
          description:
            'Accept region names the installed AWS SDK does not list (a region newer than this release). Off: an unknown name is refused, as a typo would scan nothing.',
        }),
        accounts: z
          .array(account)
          .default([])
          .meta({
            description: "Accounts to scan; empty means the ambient credentials' account.",
            examples: [
              [
                {
                  id: '123456789012',
                  roleArn: 'arn:aws:iam::123456789012:role/env-reaper',
                  regions: ['eu-west-1'],
                },
              ],
            ],
          }),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(4)
          .meta({ description: 'Account × region listings in flight at once.' }),
        cloudFormationRequestsPerSecond: z.number().positive().optional().meta({
          description:
            "Optional ceiling on CloudFormation calls per second per account × region (unset: the SDK's adaptive retry slows down when CloudFormation throttles).",
        }),
        timeout: duration().prefault('30s').meta({
          description:
            'Deadline of one AWS request attempt; a silent endpoint is abandoned there and the attempt retried (aws.maxAttempts). Without a deadline one hung call would hold the whole run.',
        }),
        maxAttempts: z.number().int().min(1).max(10).default(5).meta({
          description:
            "Attempts per AWS call (the SDK's retries, with backoff, on throttling, 5xx and timeouts); then the call's failure is reported and what it guarded is not done.",
        }),
        s3ForcePathStyle: z.boolean().default(false).meta({
          description:
            'Path-style S3 URLs when emptying a failed stack’s bucket or confirming a leftover bucket, for S3-compatible endpoints (the sandbox). AWS itself needs none.',
        }),
      })
      .prefault({})
      .meta({ description: 'Where to look for stacks.' }),
    ownership: ownershipSection,
    policy: policySection,
    limits: z
      .strictObject({
        maxDeletionsPerRun: z
          .number()
          .int()
          .min(0)
          .default(10)
          .meta({ description: 'Brake: a plan with more deletions deletes nothing and exits 3.' }),
        maxDeletionPercent: z.number().min(0).max(100).default(25).meta({
          description: 'Brake: a plan deleting more than this percent of in-scope stacks deletes nothing.',
        }),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(4)
          .meta({ description: 'Stack deletions in flight at once.' }),
        deleteTimeout: duration().prefault('30m').meta({
          description: 'Per-stack deadline for DELETE_COMPLETE; then the deletion counts as failed.',
        }),
        stopJobTimeout: duration().prefault('15m').meta({
          description:
            "With a stop-job teardown: how long the environment's on_stop job may take to delete the stack; then stop-job-then-delete falls back to DeleteStack.",
        }),
      })
      .prefault({})
      .meta({ description: 'Brakes and bounds on writes.' }),
    state: z
      .strictObject({
        backend: z
          .enum(['file', 's3'])
          .default('file')
          .meta({ description: 'Where run state and the lock live.' }),
        path: z
          .string()
          .default('.env-reaper/state.json')
          .meta({ description: 'State file for the file backend.' }),
        bucket: z.string().optional().meta({ description: 'S3 bucket for the s3 backend.' }),
        key: z
          .string()
          .default('env-reaper/state.json')
          .meta({ description: 'S3 object key for the s3 backend.' }),
        forcePathStyle: z
          .boolean()
          .default(false)
          .meta({ description: 'Path-style S3 URLs, for S3-compatible endpoints (MinIO, the sandbox).' }),
        lockTtl: duration().prefault('6h').meta({
          description: 'The s3 lock of a run killed without releasing it is taken over after this long.',
        }),
        auditLog: z.string().default('.env-reaper/audit.jsonl').meta({
          description:
            'Audit log: one JSON line per write attempt and outcome (run id, stack, evidence, result).',
        }),
      })
      .prefault({})
      .refine((st) => st.backend !== 's3' || (st.bucket !== undefined && st.bucket !== ''), {
        error: 'state.backend s3 needs state.bucket',
        path: ['bucket'],
      })
      .meta({ description: 'Run state: first-seen times (grace clocks), attempts, notes posted.' }),
    report: z
      .strictObject({
        formats: z
          .array(z.enum(REPORT_FORMATS))
          .default(['table'])
          .meta({ description: 'Report formats written when --format is not given.' })
          .register(flagRegistry, {
            flags: [
              {
                flags: '-f, --format <format>',
                description: `output format: ${REPORT_FORMATS.join('|')} (repeatable)`,
                commands: ['audit', 'reap', 'explain', 'daemon', 'doctor', 'report merge'],
                repeatable: true,
              },
            ],
          }),
        dir: z
          .string()
          .optional()
          .meta({ description: 'Directory for report files (report.<ext>); stdout when unset.' }),
      })
      .prefault({})
      .meta({ description: 'Report output.' }),
    leftovers: z
      .strictObject({
        enabled: z.boolean().default(true).meta({
          description:
            'After a stack is deleted, look for resources still tagged with its environment (Resource Groups Tagging API, each hit confirmed by its service) and report them as leftovers; never deleted. One GetResources listing per deleted environment and run, plus one check per hit.',
        }),
        watchFor: duration().prefault('7d').meta({
          description:
            'How long after its deletion an environment is still looked at (from state, in every reap run, dry-run included). With leftovers.delete set, counted from leftovers.deleteAfter: its leftovers are looked at for deleteAfter + watchFor.',
        }),
        delete: z.array(z.enum(LEFTOVER_DELETABLE_TYPES)).default([]).meta({
          description:
            'Leftover types env-reaper may delete (opt-in, per type): s3:bucket (every object version and delete marker, then the bucket), ecr:repository (with its images), logs:log-group. Empty: leftovers are only reported. Each type needs its IAM actions (docs/leftovers.md).',
        }),
        deleteAfter: duration().prefault('7d').meta({
          description:
            "A leftover is deleted no sooner than this long after its environment's stack was deleted: a window to notice and keep it (keep tag).",
        }),
      })
      .prefault({})
      // State forgets a deleted stack 30 days after it was last seen: a later leftover has no owner left.
      .refine((l) => (l.delete.length === 0 ? l.watchFor : l.deleteAfter + l.watchFor) <= 30 * 86_400_000, {
        error:
          'leftovers.watchFor (plus leftovers.deleteAfter when leftovers.delete is set) must be at most 30d',
        path: ['watchFor'],
      })
      .meta({ description: 'What deleted environments left behind: reported, and deleted on request.' }),
    usage: z
      .strictObject({
        enabled: z.boolean().default(false).meta({
          description:
            "Read whether live environments are used: their resources' request metrics (CloudWatch GetMetricData, billed per metric requested) found through the tagging API (GetResources). Needs cloudwatch:GetMetricData, tag:GetResources and apigateway:GET. Off by default: it costs money and new permissions.",
        }),
        window: duration()
          .refine((ms) => ms % 86_400_000 === 0 && ms >= 86_400_000 && ms <= 90 * 86_400_000, {
            error: 'expected whole days from 1d to 90d',
          })
          .prefault('14d')
          .meta({
            description:
              'A live environment without one request on any of its measured resources for this long is `unused` (whole days; the stack must be older than the window).',
          }),
        interval: duration().prefault('1d').meta({
          description:
            'Read usage at most this often per stack: the state keeps the last reading, so an hourly schedule does not pay for metrics every hour (a reading that would stop an environment is always read fresh).',
        }),
      })
      .prefault({})
      .meta({ description: 'Idle by usage: the review app nobody opens (docs/usage.md).' }),
    schedule: z
      .strictObject({
        cron: z
          .string()
          .refine((c) => validate(c), {
            error: 'expected a cron expression like "0 * * * *" (5 fields, or 6 with seconds)',
          })
          .default('0 * * * *')
          .meta({ description: 'Cron expression for `daemon`.' }),
        timezone: z.string().default('UTC').meta({ description: 'Time zone of the cron expression.' }),
      })
      .prefault({})
      .meta({ description: "The daemon's schedule." }),
    notify: z
      .strictObject({
        mergeRequestNotes: z
          .boolean()
          .default(true)
          .meta({ description: 'Leave a note on the MR after its environment was reaped.' }),
        warnBeforeDelete: z.boolean().default(true).meta({
          description:
            'Post one advance notice on the MR when a stack becomes reapable but waits (grace, min age or notice window): when, why, how to keep it. Formerly `mergeRequestNotices` (still read until 0.2.0, with a deprecation warning).',
        }),
        ghostEnvironments: z.boolean().default(false).meta({
          description:
            'Report GitLab review/ environments still available whose stack is gone, and environments stuck in stopping for over a day (one more listing per project).',
        }),
        dashboard: z
          .strictObject({
            project: z
              .union([z.string(), z.number().int()])
              .optional()
              .meta({ description: 'Project (path or id) of the dashboard issue; unset: no dashboard.' }),
            title: z
              .string()
              .min(1)
              .max(255)
              .default('env-reaper dashboard')
              .meta({ description: 'Title of the dashboard issue (GitLab allows 255 characters).' }),
            label: z
              .string()
              .default('env-reaper-dashboard')
              .meta({ description: 'Label that finds the dashboard issue again, run after run.' }),
            keepDays: z
              .number()
              .int()
              .min(1)
              .default(7)
              .meta({ description: 'How long a ticked "keep" checkbox keeps an environment.' }),
            recentlyDeleted: duration()
              // State forgets a stack 30 days after it was last seen: older deletions are not there to list.
              .refine((ms) => ms <= 30 * 86_400_000, {
                error: 'at most 30d (how long state keeps a deletion)',
              })
              .prefault('7d')
              .meta({
                description:
                  'How far back the "recently deleted" list of the dashboard reaches (deletions kept in state).',
              }),
          })
          .prefault({})
          .meta({
            description:
              'One issue, edited in place every run: flagged, scheduled (with keep checkboxes), deleted, stuck.',
          }),
        webhooks,
        beforeDeleteHours: z.number().min(0).default(0).meta({
          description:
            'Notice window: a stack with a known MR is deleted no sooner than this many hours after its notice (0: the notice does not delay).',
        }),
      })
      .prefault({})
      .meta({
        description: 'Feedback through GitLab, and one message per run to chat and automation webhooks.',
      }),
    cost: z
      .strictObject({
        enabled: z.boolean().default(false).meta({
          description: 'Read monthly cost per environment from Cost Explorer ($0.01 per request page).',
        }),
        tagKey: z.string().default('aws:cloudformation:stack-name').meta({
          description:
            'Cost-allocation tag that names the stack on its resources; must be activated in Billing.',
        }),
        lookbackDays: z
          .number()
          .int()
          .min(1)
          .max(365)
          .default(30)
          .meta({ description: 'Days of cost to read.' }),
      })
      .prefault({})
      .meta({ description: 'Cost enrichment: what each environment costs and what reaping would save.' }),
    daemon: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(9464).meta({
          description: 'Port of /healthz and /metrics (9464 is the Prometheus exporter convention).',
        }),
        host: z
          .string()
          .default('0.0.0.0')
          .meta({ description: 'Address the health and metrics server listens on.' }),
        shutdownTimeout: duration().prefault('60s').meta({
          description: 'On SIGTERM, how long a run in progress may take to finish its current step.',
        }),
        degradedAfter: z.number().int().min(1).default(1).meta({
          description:
            '/healthz says `degraded` once this many runs in a row did less than asked (some lookups or deletions failed). Still HTTP 200: restarting the process fixes no outage; alert on the body or on env_reaper_runs_total{outcome="partial"}.',
        }),
      })
      .prefault({})
      .meta({ description: 'The long-running daemon (`env-reaper daemon`).' }),
    log: z
      .strictObject({
        level: z
          .enum(LOG_LEVELS)
          .default('info')
          .meta({ description: 'Log level (stderr).' })
          .register(flagRegistry, {
            flags: [
              {
                flags: '-v, --verbose',
                description: 'log every step, retries included (log level debug)',
                commands: RUN_COMMANDS,
                sets: 'debug',
              },
              { flags: '--log-level <level>', description: 'log level', commands: RUN_COMMANDS },
            ],
          }),
      })
      .prefault({})
      .meta({ description: 'Logging.' }),
  })
  .meta({ title: 'env-reaper configuration', description: 'env-reaper configuration file (YAML).' });

/** The parsed configuration, defaults applied. */
export type Config = z.output<typeof configSchema>;
