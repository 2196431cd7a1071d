import { z } from 'zod';
import type { GeneratedFile } from '../config/artifacts.js';
import { ERROR_CODE_LIST } from '../core/error-codes.js';
import { mergeRequestFor } from '../core/match.js';
import { ACTIONS, REASON_CODES, VERDICTS } from '../core/model.js';
import { PLAN_STATUSES, WAITING_FOR } from '../core/plan.js';
import { ERROR_EFFECTS, type RunResult } from '../core/run-result.js';
import { FALLBACKS, TEARDOWN_METHODS } from '../core/teardown.js';
import { codeOfWord } from '../errors/failure.js';
import type { Versioning } from '../errors/versioned.js';
import { type ExecutionOutcome, REPAIR_REFUSAL_CODES, type Repair } from '../executor/outcome.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import { COMMIT, VERSION } from '../util/version.js';
import { costSummary, projectLabel } from './cost-summary.js';
import { brakeSchema, leftoversSchema } from './leftover-schema.js';

export { projectLabel };

import { environmentUsage, usageOf, usageSummary, usageSummaryOf } from './usage-report.js';

/**
 * The versioned JSON report (docs/design.md §6). This zod schema is the contract: the JSON Schema in
 * `config/report.schema.json` is generated from it, and tests validate real CLI output against that file.
 * Bump `schemaVersion` on any incompatible change.
 */

const verdict = z.enum(VERDICTS);
const action = z.enum(ACTIONS);

const reason = z.object({
  code: z.enum(REASON_CODES),
  detail: z.string(),
  at: z.string().optional(),
});

const environment = z.object({
  stack: z.object({
    name: z.string(),
    id: z.string(),
    account: z.string(),
    region: z.string(),
    status: z.string(),
    statusReason: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string().optional(),
  }),
  owner: z.object({
    projectId: z.number().int().optional(),
    projectPath: z.string().optional(),
    ref: z.string().optional(),
    refSlug: z.string().optional(),
    environment: z.string().optional(),
    mrIid: z.number().int().optional(),
    matchedBy: z.enum(['tags', 'name-pattern']),
  }),
  verdict,
  reasons: z.array(reason),
  action,
  /** planned: due now (dry-run) · deleted/failed/cancelled: what apply did · skipped: not deleted this run. */
  result: z.enum(['planned', 'deleted', 'failed', 'skipped', 'cancelled']),
  plan: z.object({
    status: z.enum(PLAN_STATUSES),
    deleteAfter: z.string().optional(),
    waitingFor: z.enum(WAITING_FOR).optional(),
  }),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** How a deletion that started tore the stack down, and why DeleteStack was used after a stop job. */
  teardown: z.object({ method: z.enum(TEARDOWN_METHODS), fallback: z.enum(FALLBACKS).optional() }).optional(),
  /** `onDeleteFailed: empty-and-retry`: what was emptied before the one retry, or why nothing was. */
  repair: z
    .object({
      status: z.enum(['emptied', 'refused', 'failed']),
      refusal: z.enum(REPAIR_REFUSAL_CODES).optional(),
      detail: z.string().optional(),
      resources: z.array(
        z.object({
          logicalId: z.string(),
          type: z.string(),
          physicalId: z.string(),
          removed: z.number().int(),
          deleteMarkers: z.number().int(),
          bytes: z.number(),
          errors: z.array(z.string()),
        }),
      ),
    })
    .optional(),
  /** The MR this environment's notes go to, when one is known. */
  mergeRequest: z
    .object({
      iid: z.number().int(),
      state: z.string(),
      author: z.string().optional(),
      webUrl: z.string().optional(),
    })
    .optional(),
  /** USD per month, from Cost Explorer; `null` when cost is enabled but unknown. Absent when disabled. */
  monthlyCost: z.number().nullable().optional(),
  /** Whether anyone used it (`usage.enabled`; live environments only): its "last used" and traffic per day. */
  usage: environmentUsage.optional(),
});

const counts = z.record(z.string(), z.number().int());

const finding = z.object({
  projectId: z.number().int(),
  projectPath: z.string(),
  id: z.number().int(),
  name: z.string(),
  state: z.string(),
  updatedAt: z.string().optional(),
});

/** A repair as reported: AWS's error texts are scrubbed like every other message. */
function repairOf(r: Repair): Repair {
  return {
    status: r.status,
    ...(r.refusal ? { refusal: r.refusal } : {}),
    ...(r.detail !== undefined ? { detail: scrub(r.detail) } : {}),
    resources: r.resources.map((x) => ({ ...x, errors: x.errors.map(scrub) })),
  };
}

/** Stack names one error of the report lists before it counts the rest (`moreStacks`). */
export const REPORT_MAX_ERROR_STACKS = 100;

/** The JSON report schema. */
/**
 * How the JSON report is versioned (`schemaVersion`). 1 was the first released format; 2 gave
 * `errors[].code` the closed vocabulary of `docs/errors.md`, the HTTP status and the service's own code
 * moving to `status` and `serviceCode`.
 */
export const REPORT_VERSIONING: Versioning = {
  what: 'the report',
  field: 'schemaVersion',
  current: 2,
  migrations: { 1: closedErrorCodes },
};

/** Version 1 → 2: each error's open code (`HTTP_503`, `AccessDenied`) as a closed one, the old word kept. */
function closedErrorCodes(old: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(old.errors)) return old;
  return {
    ...old,
    errors: old.errors.map((e: unknown) => {
      if (e === null || typeof e !== 'object' || !('code' in e) || typeof e.code !== 'string') return e;
      const word = e.code;
      const http = /^HTTP_(\d{3})$/.exec(word);
      const code = codeOfWord(word) ?? 'INTERNAL';
      return {
        ...e,
        code,
        ...(http ? { status: Number(http[1]) } : word !== code ? { serviceCode: word } : {}),
      };
    }),
  };
}

export const reportSchema = z
  .object({
    schemaVersion: z.literal(2),
    /** The env-reaper that wrote the report: its version and the commit it was built from. */
    generator: z
      .object({ name: z.literal('env-reaper'), version: z.string(), commit: z.string() })
      .optional(),
    runId: z.string(),
    generatedAt: z.string(),
    mode: z.enum(['dry-run', 'apply']),
    summary: z.object({
      stacksScanned: z.number().int(),
      inScope: z.number().int(),
      unmanaged: z.number().int(),
      nested: z.number().int(),
      byVerdict: counts,
      byAction: counts,
      due: z.number().int(),
      deleted: z.number().int(),
      failed: z.number().int(),
      brake: brakeSchema.nullable(),
      apiCalls: counts,
      /** Cost enrichment (`cost.enabled`): `known: false` means unknown, never zero. */
      cost: z
        .object({
          known: z.boolean(),
          currency: z.literal('USD'),
          monthlyTotal: z.number().nullable(),
          monthlyReapable: z.number().nullable(),
          /** What the `unused` environments cost per month (live, but nobody opens them). */
          monthlyUnused: z.number().nullable().optional(),
          byProject: z.record(z.string(), z.number()),
        })
        .optional(),
      /** The usage check (`usage.enabled`): what it read and what its metrics cost. */
      usage: usageSummary.optional(),
    }),
    scanned: z.array(z.object({ account: z.string(), region: z.string() })),
    environments: z.array(environment),
    unmanaged: z.array(
      z.object({ name: z.string(), id: z.string(), account: z.string(), region: z.string() }),
    ),
    /**
     * Everything the run could not do: any entry makes the run degraded (exit 1). `operation` is the AWS
     * API operation or GitLab route that failed, `code` what failed (`docs/errors.md`), `status` and
     * `serviceCode` the service's own words for it, `stacks` the stacks it affected and `effect` what
     * became of them (docs/reaping.md, "Degraded runs").
     */
    errors: z.array(
      z.object({
        scope: z.string(),
        code: z.enum(ERROR_CODE_LIST),
        message: z.string(),
        status: z.number().int().optional(),
        serviceCode: z.string().optional(),
        service: z.string().optional(),
        operation: z.string().optional(),
        account: z.string().optional(),
        region: z.string().optional(),
        project: z.string().optional(),
        /** At most REPORT_MAX_ERROR_STACKS names; `moreStacks` counts the rest. */
        stacks: z.array(z.string()).optional(),
        moreStacks: z.number().int().optional(),
        effect: z.enum(ERROR_EFFECTS).optional(),
      }),
    ),
    apiCalls: z.object({ calls: z.record(z.string(), counts), errors: z.record(z.string(), counts) }),
    /**
     * Which GitLab API served each kind of fact (`gitlab.api`): projects per capability served by GraphQL
     * and by REST, the GraphQL requests and the highest complexity one reached, and why REST served what
     * it did. Absent with `gitlab.api: rest`.
     */
    gitlabApi: z
      .object({
        mode: z.enum(['auto', 'rest', 'graphql']),
        graphqlRequests: z.number().int(),
        maxComplexity: z.number().int(),
        served: z.record(z.string(), z.object({ graphql: z.number().int(), rest: z.number().int() })),
        fallbacks: z.record(z.string(), z.string()),
      })
      .optional(),
    /** GitLab environments reported beside the stacks (`notify.ghostEnvironments`). */
    gitlabEnvironments: z
      .object({
        ghosts: z.array(finding),
        stuck: z.array(finding),
        stopped: z.number().int(),
      })
      .optional(),
    /** Only from runs that keep state (`reap`, `daemon`): the comparison with the previous run. */
    trend: z
      .object({
        previousRunId: z.string().nullable(),
        new: z.array(z.string()),
        resolved: z.array(z.string()),
        stillFlagged: z.array(z.object({ name: z.string(), runs: z.number().int() })),
        /** `usage.enabled`: unused environments now and in the previous run, and their monthly cost. */
        unused: z
          .object({
            count: z.number().int(),
            previous: z.number().int().nullable(),
            monthlyCost: z.number().nullable(),
            previousMonthlyCost: z.number().nullable(),
          })
          .optional(),
      })
      .optional(),
    /** Only from `reap` (`leftovers.enabled`): what deleted environments left (`leftover-schema.ts`). */
    leftovers: leftoversSchema.optional(),
  })
  .meta({
    title: 'env-reaper report',
    description: 'The JSON report of one env-reaper run (schemaVersion 2).',
  });

/** The JSON report. */
export type Report = z.output<typeof reportSchema>;
/** One environment of the report. */
export type ReportEnvironment = Report['environments'][number];

/** The JSON Schema of the report, as committed in `config/report.schema.json`. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(reportSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The committed `config/report.schema.json` (generated by `npm run gen`). */
export function reportSchemaFile(): GeneratedFile {
  return { path: 'config/report.schema.json', content: `${JSON.stringify(reportJsonSchema(), null, 2)}\n` };
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function mergeRequestOf(e: RunResult['environments'][number]): Pick<ReportEnvironment, 'mergeRequest'> {
  const iid = mergeRequestFor(e.owner, e.evidence);
  if (iid === undefined) return {};
  const mr = (e.evidence.mergeRequests?.ok ? e.evidence.mergeRequests.value : []).find((m) => m.iid === iid);
  return {
    mergeRequest: {
      iid,
      state: mr?.state ?? 'unknown',
      ...(mr?.author ? { author: mr.author } : {}),
      ...(mr?.webUrl ? { webUrl: mr.webUrl } : {}),
    },
  };
}

/** Builds the report from a run (and the executor's outcomes, after `reap --apply`). */
export function buildReport(
  run: RunResult,
  apiCalls: Report['apiCalls'],
  outcomes: Map<string, ExecutionOutcome> = new Map(),
  trend?: Report['trend'],
  ghostsStopped = 0,
): Report {
  const environments: ReportEnvironment[] = run.environments.map((e) => {
    const { stack, owner, classification, plan } = e;
    const outcome = outcomes.get(stack.stackId);
    // Show the path GitLab gave when the stack was tagged with the id only.
    const projectPath =
      owner.projectPath ?? (e.evidence.project?.ok ? e.evidence.project.value?.path : undefined);
    const env: ReportEnvironment = {
      stack: {
        name: stack.name,
        id: stack.stackId,
        account: stack.account,
        region: stack.region,
        status: stack.status,
        createdAt: stack.createdAt,
        ...(stack.statusReason ? { statusReason: scrub(stack.statusReason) } : {}),
        ...(stack.updatedAt ? { updatedAt: stack.updatedAt } : {}),
      },
      owner: {
        matchedBy: owner.matchedBy,
        ...(owner.projectId !== undefined ? { projectId: owner.projectId } : {}),
        ...(projectPath !== undefined ? { projectPath } : {}),
        ...(owner.ref !== undefined ? { ref: owner.ref } : {}),
        ...(owner.refSlug !== undefined ? { refSlug: owner.refSlug } : {}),
        ...(owner.environment !== undefined ? { environment: owner.environment } : {}),
        ...(owner.mrIid !== undefined ? { mrIid: owner.mrIid } : {}),
      },
      verdict: classification.verdict,
      reasons: classification.reasons,
      action: plan.action,
      result: outcome?.result ?? (plan.status === 'due' ? 'planned' : 'skipped'),
      plan: {
        status: plan.status,
        ...(plan.deleteAfter ? { deleteAfter: plan.deleteAfter } : {}),
        ...(plan.waitingFor ? { waitingFor: plan.waitingFor } : {}),
      },
      error: outcome?.error ? { code: outcome.error.code, message: scrub(outcome.error.message) } : null,
      ...(outcome?.teardown
        ? {
            teardown: {
              method: outcome.teardown,
              ...(outcome.fallback ? { fallback: outcome.fallback } : {}),
            },
          }
        : {}),
      ...(outcome?.repair ? { repair: repairOf(outcome.repair) } : {}),
      ...(run.costs ? { monthlyCost: run.costs.known ? (run.costs.monthly[stack.stackId] ?? 0) : null } : {}),
      ...mergeRequestOf(e),
    };
    const usage = usageOf(e);
    if (usage) env.usage = usage;
    return env;
  });
  const totals: Record<string, number> = {};
  for (const [service, ops] of Object.entries(apiCalls.calls))
    totals[service] = Object.values(ops).reduce((a, b) => a + b, 0);
  return {
    schemaVersion: 2,
    generator: { name: 'env-reaper', version: VERSION, commit: COMMIT },
    runId: run.runId,
    generatedAt: run.generatedAt,
    mode: run.mode,
    summary: {
      stacksScanned: run.stacksScanned,
      inScope: run.environments.length,
      unmanaged: run.unmanaged.length,
      nested: run.nested,
      byVerdict: tally(environments.map((e) => e.verdict)),
      byAction: tally(environments.map((e) => e.action)),
      due: run.plan.due,
      deleted: environments.filter((e) => e.result === 'deleted').length,
      failed: environments.filter((e) => e.result === 'failed').length,
      brake: run.plan.brake,
      apiCalls: totals,
      ...(run.costs ? { cost: costSummary(environments, run.costs.known) } : {}),
      ...(run.usage ? { usage: usageSummaryOf(run.usage) } : {}),
    },
    scanned: run.scanned,
    environments,
    unmanaged: run.unmanaged.map((u) => ({
      name: u.name,
      id: u.stackId,
      account: u.account,
      region: u.region,
    })),
    errors: run.errors.map((e) => ({
      ...e,
      scope: scrub(e.scope),
      message: scrub(e.message),
      // One failed project or account may concern thousands of stacks: the report names the first ones.
      ...(e.stacks && e.stacks.length > REPORT_MAX_ERROR_STACKS
        ? {
            stacks: e.stacks.slice(0, REPORT_MAX_ERROR_STACKS),
            moreStacks: e.stacks.length - REPORT_MAX_ERROR_STACKS,
          }
        : {}),
    })),
    apiCalls,
    ...(run.gitlabApi
      ? {
          gitlabApi: {
            ...run.gitlabApi,
            fallbacks: Object.fromEntries(
              Object.entries(run.gitlabApi.fallbacks).map(([k, v]) => [k, scrub(v)]),
            ),
          },
        }
      : {}),
    ...(trend ? { trend } : {}),
    ...(run.leftovers
      ? {
          leftovers: {
            checked: run.leftovers.checked,
            resources: run.leftovers.resources.map((l) =>
              l.result?.error
                ? {
                    ...l,
                    result: {
                      ...l.result,
                      error: { ...l.result.error, message: scrub(l.result.error.message) },
                    },
                  }
                : l,
            ),
            ...(run.leftovers.plan ? { plan: run.leftovers.plan } : {}),
            skipped: run.leftovers.skipped.map((x) => ({ stackName: x.stackName, reason: scrub(x.reason) })),
          },
        }
      : {}),
    ...(run.environmentFindings
      ? {
          gitlabEnvironments: {
            ghosts: run.environmentFindings.ghosts,
            stuck: run.environmentFindings.stuck,
            stopped: ghostsStopped,
          },
        }
      : {}),
  };
}
