import { z } from 'zod';
import type { Report } from '../report/json-report.js';

/**
 * The run event (issue #36, docs/webhooks.md): what one run did, as data, versioned. Every webhook
 * message is rendered from it; the `json` target sends it whole inside a CloudEvents 1.0 envelope.
 * Additive changes keep `schemaVersion`; a change that removes or renames a field raises it.
 */

/** Webhook targets. */
export const WEBHOOK_TYPES = ['slack', 'mattermost', 'teams', 'json'] as const;
/** A webhook target. */
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** When a webhook sends: every run, runs that changed something or failed, or degraded runs only. */
export const WEBHOOK_ON = ['always', 'changes', 'degraded'] as const;
/** A webhook's sending rule. */
export type WebhookOn = (typeof WEBHOOK_ON)[number];

/** The CloudEvents `type` of the run event. */
export const RUN_EVENT_TYPE = 'dev.env-reaper.run.finished';
/** The version of `data`: raised only by a change that removes or renames a field. */
export const RUN_EVENT_VERSION = 1;

const failure = z.object({ code: z.string(), message: z.string() });

/** The event's `data`, as a schema (docs/webhooks.md and `docs/schemas/run-event.v1.json` come from it). */
export const runEventDataSchema = z
  .object({
    schemaVersion: z.literal(RUN_EVENT_VERSION),
    runId: z.string(),
    generatedAt: z.string().meta({ description: 'When the run made its report (ISO-8601).' }),
    mode: z.enum(['dry-run', 'apply']),
    outcome: z.enum(['ok', 'degraded', 'braked']).meta({
      description:
        'braked: a brake held the deletions (exit 3); degraded: the run did less than asked (exit 1).',
    }),
    deleted: z.object({
      stacks: z.array(
        z.object({
          name: z.string(),
          account: z.string(),
          region: z.string(),
          verdict: z.string(),
          action: z.enum(['delete', 'stop']),
          monthlyCost: z.number().nullable().optional(),
        }),
      ),
      leftovers: z.array(
        z.object({
          arn: z.string(),
          type: z.string(),
          stackName: z.string(),
          removed: z.number().int(),
          monthlyCost: z.number().nullable().optional(),
        }),
      ),
    }),
    failed: z.object({
      stacks: z.array(z.object({ name: z.string(), error: failure.nullable() })),
      leftovers: z.array(z.object({ arn: z.string(), stackName: z.string(), error: failure.nullable() })),
    }),
    degraded: z.object({
      errors: z.number().int(),
      operations: z
        .array(
          z.object({
            service: z.string(),
            operation: z.string(),
            code: z.string(),
            count: z.number().int(),
          }),
        )
        .meta({ description: 'The failed operations, grouped, most frequent first (at most 20).' }),
    }),
    due: z.object({ stacks: z.number().int(), leftovers: z.number().int() }).meta({
      description: 'Due in this run and not deleted by it (a dry run, a brake, a failure): due next run.',
    }),
    waiting: z
      .object({ stacks: z.number().int(), leftovers: z.number().int() })
      .meta({ description: 'Will be due later (grace, minimum age, notice window, leftovers.deleteAfter).' }),
    savedMonthlyUsd: z.number().nullable().meta({
      description:
        'What the deleted stacks and leftovers cost per month (Cost Explorer, cost.enabled); null when unknown.',
    }),
    brake: z
      .object({ kind: z.string(), due: z.number().int(), inScope: z.number().int(), limit: z.number() })
      .nullable(),
    links: z
      .object({
        pipeline: z.string().optional(),
        job: z.string().optional(),
        artifacts: z.string().optional(),
      })
      .meta({ description: 'In GitLab CI: the pipeline, the job and its report artifacts.' }),
  })
  .meta({
    title: 'env-reaper run event data',
    description: 'The `data` of a dev.env-reaper.run.finished event.',
  });

/** The run event's data. */
export type RunEventData = z.output<typeof runEventDataSchema>;

/** A link only when it is an http(s) URL (CI variables are outside strings too). */
function link(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The links of a run in GitLab CI: `CI_PIPELINE_URL`, `CI_JOB_URL`, the job's artifacts when a report file was written. */
export function ciLinks(
  env: Record<string, string | undefined>,
  reportFiles: boolean,
): RunEventData['links'] {
  const pipeline = link(env.CI_PIPELINE_URL);
  const job = link(env.CI_JOB_URL);
  return {
    ...(pipeline ? { pipeline } : {}),
    ...(job ? { job } : {}),
    ...(job && reportFiles ? { artifacts: `${job}/artifacts/browse` } : {}),
  };
}

function sum(values: (number | null | undefined)[]): number | null {
  if (values.some((v) => v === null || v === undefined)) return null;
  return Math.round((values as number[]).reduce((a, b) => a + b, 0) * 100) / 100;
}

/** The event data of a finished run, from its report. */
export function runEventData(report: Report, links: RunEventData['links']): RunEventData {
  const envs = report.environments;
  const leftovers = report.leftovers?.resources ?? [];
  const deletedStacks = envs.filter((e) => e.result === 'deleted');
  const deletedLeftovers = leftovers.filter((l) => l.result?.result === 'deleted');
  const costKnown = report.summary.cost?.known === true;
  const ops = new Map<string, { service: string; operation: string; code: string; count: number }>();
  for (const e of report.errors) {
    const key = `${e.service ?? 'env-reaper'}\u0000${e.operation ?? e.scope}\u0000${e.code}`;
    const o = ops.get(key) ?? {
      service: e.service ?? 'env-reaper',
      operation: e.operation ?? e.scope,
      code: e.code,
      count: 0,
    };
    o.count++;
    ops.set(key, o);
  }
  const braked = report.summary.brake ?? report.leftovers?.plan?.brake ?? null;
  return {
    schemaVersion: RUN_EVENT_VERSION,
    runId: report.runId,
    generatedAt: report.generatedAt,
    mode: report.mode,
    outcome: braked
      ? 'braked'
      : report.errors.length > 0 || envs.some((e) => e.result === 'failed')
        ? 'degraded'
        : 'ok',
    deleted: {
      stacks: deletedStacks.map((e) => ({
        name: e.stack.name,
        account: e.stack.account,
        region: e.stack.region,
        verdict: e.verdict,
        action: e.action === 'stop' ? ('stop' as const) : ('delete' as const),
        ...(e.monthlyCost !== undefined ? { monthlyCost: e.monthlyCost } : {}),
      })),
      leftovers: deletedLeftovers.map((l) => ({
        arn: l.arn,
        type: l.type,
        stackName: l.stackName,
        removed: l.result?.removed ?? 0,
        ...(l.monthlyCost !== undefined ? { monthlyCost: l.monthlyCost } : {}),
      })),
    },
    failed: {
      stacks: envs.filter((e) => e.result === 'failed').map((e) => ({ name: e.stack.name, error: e.error })),
      leftovers: leftovers
        .filter((l) => l.result?.result === 'failed')
        .map((l) => ({ arn: l.arn, stackName: l.stackName, error: l.result?.error ?? null })),
    },
    degraded: {
      errors: report.errors.length,
      operations: [...ops.values()]
        .sort((a, b) => b.count - a.count || a.operation.localeCompare(b.operation))
        .slice(0, 20),
    },
    due: {
      stacks: envs.filter(
        (e) => (e.plan.status === 'due' || e.plan.status === 'braked') && e.result !== 'deleted',
      ).length,
      leftovers: leftovers.filter(
        (l) =>
          (l.decision?.status === 'due' || l.decision?.status === 'braked') && l.result?.result !== 'deleted',
      ).length,
    },
    waiting: {
      stacks: envs.filter((e) => e.plan.status === 'waiting').length,
      leftovers: leftovers.filter((l) => l.decision?.status === 'waiting').length,
    },
    savedMonthlyUsd:
      deletedStacks.length + deletedLeftovers.length === 0
        ? 0
        : costKnown || deletedStacks.length === 0
          ? sum([...deletedStacks.map((e) => e.monthlyCost), ...deletedLeftovers.map((l) => l.monthlyCost)])
          : null,
    brake: braked,
    links,
  };
}

/** Whether a webhook with this rule sends for this run. */
export function shouldSend(on: WebhookOn, data: RunEventData): boolean {
  if (on === 'always') return true;
  const degraded = data.outcome !== 'ok';
  if (on === 'degraded') return degraded;
  const changed = data.deleted.stacks.length + data.deleted.leftovers.length > 0;
  const failed = data.failed.stacks.length + data.failed.leftovers.length > 0;
  return changed || failed || degraded;
}
