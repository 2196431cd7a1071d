import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { EnvironmentRecord, RunResult } from '../core/run-result.js';
import { UsageError } from '../errors/errors.js';
import { upgrade } from '../errors/versioned.js';

/**
 * Reviewed plans (Terraform's plan/apply, for reaping): `reap --plan-out` writes the exact deletions a
 * person approves; `reap --apply-plan` deletes only those, each after the usual re-check, and refuses a
 * plan that expired, was made for another account or config, or was edited (its checksum). The checksum
 * catches edits and corruption, not a forger who can also recompute it: the plan file is as trusted as
 * the pipeline artifact store that carries it.
 */

export const planSchema = z.object({
  kind: z.literal('env-reaper-plan'),
  version: z.literal(1),
  runId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  configDigest: z.string(),
  accounts: z.array(z.string()),
  stacks: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      account: z.string(),
      region: z.string(),
      verdict: z.string(),
      reasons: z.array(z.object({ code: z.string(), detail: z.string(), at: z.string().optional() })),
      evidenceDigest: z.string(),
      deleteAfter: z.string().optional(),
    }),
  ),
  /** Leftovers due now (`leftovers.delete`): apply deletes only these, each after its re-check. */
  leftovers: z
    .array(
      z.object({
        arn: z.string(),
        type: z.string(),
        account: z.string(),
        region: z.string(),
        stackId: z.string(),
        stackName: z.string(),
        reason: z.string(),
      }),
    )
    .optional(),
  /**
   * Stacks due now that apply would refuse, and why (an outside importer of an export, an account the
   * guard refuses, a check that could not be made): shown to the reviewer, never deleted from this plan.
   */
  refused: z
    .array(z.object({ id: z.string(), name: z.string(), code: z.string(), message: z.string() }))
    .optional(),
  checksum: z.string(),
});

/** A plan file. */
export type PlanFile = z.output<typeof planSchema>;

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** JSON with object keys sorted, so equal data always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The digest of everything a deletion decision rests on: verdict, reason codes and times, stack state. */
export function evidenceDigest(record: EnvironmentRecord): string {
  return sha256(
    canonical({
      verdict: record.classification.verdict,
      reasons: record.classification.reasons.map((r) => [r.code, r.at ?? null]),
      status: record.stack.status,
      updatedAt: record.stack.updatedAt ?? null,
    }),
  );
}

/**
 * The digest of the configuration a deletion decision depends on: where stacks are looked for, how they
 * are tied to GitLab, the policy and the brakes. Report formats, log level and schedule may differ
 * between the plan job and the apply job.
 */
export function configDigest(config: Config): string {
  return sha256(
    canonical({
      gitlab: config.gitlab.url ?? null,
      aws: { accounts: config.aws.accounts, regions: config.aws.regions },
      ownership: config.ownership,
      policy: config.policy,
      limits: config.limits,
      // Only when set: plans made before leftovers could be deleted keep their digest.
      ...(config.leftovers.delete.length > 0
        ? { leftovers: { delete: config.leftovers.delete, deleteAfter: config.leftovers.deleteAfter } }
        : {}),
    }),
  );
}

/**
 * The plan of a dry-run: every stack due now, with its evidence, less those apply would refuse (the dry
 * run's preview of apply's checks), which are listed with the reason.
 */
export function buildPlanFile(
  run: RunResult,
  config: Config,
  ttlMs: number,
  outcomes: ReadonlyMap<string, { result: string; error?: { code: string; message: string } }> = new Map(),
): PlanFile {
  const due = run.environments.filter((e) => e.plan.status === 'due');
  const refused = due.flatMap((e) => {
    const o = outcomes.get(e.stack.stackId);
    return o?.result === 'cancelled' && o.error
      ? [{ id: e.stack.stackId, name: e.stack.name, code: o.error.code, message: o.error.message }]
      : [];
  });
  const refusedIds = new Set(refused.map((r) => r.id));
  const leftovers = (run.leftovers?.resources ?? [])
    .filter((l) => l.decision?.status === 'due')
    .map((l) => ({
      arn: l.arn,
      type: l.type,
      account: l.account,
      region: l.region,
      stackId: l.stackId,
      stackName: l.stackName,
      reason: l.decision?.reason.code ?? 'DUE',
    }));
  const body = {
    kind: 'env-reaper-plan' as const,
    version: 1 as const,
    runId: run.runId,
    createdAt: new Date(run.now).toISOString(),
    expiresAt: new Date(run.now + ttlMs).toISOString(),
    configDigest: configDigest(config),
    accounts: [...new Set(run.scanned.map((s) => s.account))].sort(),
    stacks: due
      .filter((e) => !refusedIds.has(e.stack.stackId))
      .map((e) => ({
        id: e.stack.stackId,
        name: e.stack.name,
        account: e.stack.account,
        region: e.stack.region,
        verdict: e.classification.verdict,
        reasons: e.classification.reasons,
        evidenceDigest: evidenceDigest(e),
        ...(e.plan.deleteAfter ? { deleteAfter: e.plan.deleteAfter } : {}),
      })),
    ...(refused.length > 0 ? { refused } : {}),
    ...(leftovers.length > 0 ? { leftovers } : {}),
  };
  return { ...body, checksum: sha256(canonical(body)) };
}

/** How the plan file is versioned: version 1 is the first released format; none to migrate yet. */
export const PLAN_VERSIONING = { what: 'the plan', field: 'version', current: 1, migrations: {} } as const;

/** Writes a plan file. */
export async function writePlanFile(path: string, plan: PlanFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(plan, null, 2)}\n`);
}

/** Reads and checks a plan file; any problem is a usage error (exit 2, nothing done). */
export async function readPlanFile(path: string, config: Config, now: number): Promise<PlanFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${path}: not a readable plan (${(error as Error).message})`);
  }
  // A newer env-reaper's plan is refused (exit 2); an older one's is migrated (util/versioned.ts).
  const parsed = planSchema.safeParse(upgrade(raw, { ...PLAN_VERSIONING, what: `the plan ${path}` }));
  if (!parsed.success)
    throw new UsageError(`${path}: not an env-reaper plan: ${parsed.error.issues[0]?.message}`);
  const { checksum, ...body } = parsed.data;
  if (sha256(canonical(body)) !== checksum)
    throw new UsageError(
      `${path}: the plan was changed after it was made (checksum mismatch); make a new plan`,
    );
  if (Date.parse(body.expiresAt) <= now)
    throw new UsageError(`${path}: the plan expired at ${body.expiresAt}; make a new plan`);
  if (body.configDigest !== configDigest(config))
    throw new UsageError(`${path}: the plan was made with another configuration; make a new plan`);
  return parsed.data;
}
