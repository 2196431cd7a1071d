import type { Config } from '../config/schema.js';
import {
  type EnvironmentGone,
  type LeftoverInput,
  type LeftoverPolicy,
  leftoverHeld,
  planLeftovers,
} from '../core/leftover-plan.js';
import { type Leftover, leftoverFilters } from '../core/leftovers.js';
import { matchOwner } from '../core/match.js';
import type { GitLabEvidence } from '../core/model.js';
import type { RunError, RunResult } from '../core/run-result.js';
import { type LeftoverDeps, reapLeftovers } from '../executor/leftovers.js';
import { collectGitLab } from '../gitlab/collector.js';
import type { GitLabReader } from '../gitlab/ports.js';
import type { Logger } from '../log/logger.js';
import type { State } from '../state/state.js';

/**
 * The leftover deletions of a reap run (`leftovers.delete`, docs/leftovers.md): decide each leftover
 * found this run (pure, `core/leftover-plan.ts`), reading GitLab only for those every other condition
 * already allows, then hand the due ones to the executor. Without `leftovers.delete` nothing here runs.
 */

/** Whether an environment's branch and MR are gone, from GitLab's evidence (fail-closed). */
export function environmentGone(evidence: GitLabEvidence): EnvironmentGone {
  if (evidence.project?.ok && evidence.project.value === null) return 'gone';
  const b = evidence.branches;
  const m = evidence.mergeRequests;
  if (!b?.ok || !m?.ok) return 'unknown';
  if (b.value.length > 0 || m.value.some((x) => x.state === 'opened' || x.state === 'locked')) return 'back';
  return 'gone';
}

/** What the step needs. */
export interface LeftoverReapDeps extends Omit<LeftoverDeps, 'recheckEnvironment' | 'filtersOf'> {
  gitlab: GitLabReader;
  logger: Logger;
}

/** The policy of the leftover plan, from the config. */
export function leftoverPolicy(config: Config): LeftoverPolicy {
  return {
    delete: config.leftovers.delete,
    deleteAfterMs: config.leftovers.deleteAfter,
    tags: config.ownership.tags,
  };
}

/**
 * Decides and, through the executor, deletes the leftovers of `run.leftovers` (in place: each gets its
 * `decision`, the deleted ones their `result`). `only`: the ARNs of a reviewed plan (`--apply-plan`).
 */
export async function reapLeftoverStep(
  config: Config,
  deps: LeftoverReapDeps,
  state: State,
  run: RunResult,
  options: {
    apply: boolean;
    runId: string;
    /** The clock of this step (after the stack deletions, which may be minutes after the run began). */
    now: number;
    only?: ReadonlySet<string>;
    shouldStop?: () => boolean;
  },
): Promise<void> {
  const found = run.leftovers;
  if (!found || config.leftovers.delete.length === 0) return;
  const policy = leftoverPolicy(config);
  const filtersOf = (l: Leftover) =>
    leftoverFilters(state.stacks[l.stackId]?.deletion?.tags ?? {}, config.ownership.tags) ?? [];
  const inputs: LeftoverInput[] = found.resources.map((leftover) => {
    const previous = state.leftovers?.[leftover.arn]?.status;
    return { leftover, filters: filtersOf(leftover), ...(previous ? { previous } : {}) };
  });
  const reads = new Map<string, Promise<{ gone: EnvironmentGone; errors?: RunError[] }>>();
  const readEnvironment = (l: Leftover) => {
    const d = state.stacks[l.stackId]?.deletion;
    const owner = d
      ? matchOwner(
          {
            account: d.account,
            region: d.region,
            stackId: l.stackId,
            name: d.name,
            status: 'DELETE_COMPLETE',
            createdAt: d.startedAt,
            tags: d.tags ?? {},
            terminationProtection: false,
          },
          config.ownership,
        )
      : undefined;
    if (!owner) return Promise.resolve({ gone: 'unknown' as const });
    return collectGitLab([{ stackId: l.stackId, owner }], deps.gitlab, {
      projectConcurrency: 1,
      logger: deps.logger,
    }).then((g) => {
      const evidence = g.evidence.get(l.stackId) ?? {};
      return {
        gone: environmentGone(evidence),
        ...(g.errors.length > 0 ? { errors: g.errors.map((e) => ({ ...e, stacks: [l.stackName] })) } : {}),
      };
    });
  };
  // GitLab is read once per deleted environment, and only when every other condition already holds.
  for (const input of inputs) {
    if (leftoverHeld(input, policy, options.now)) continue;
    const id = input.leftover.stackId;
    if (!reads.has(id)) reads.set(id, readEnvironment(input.leftover));
    const answer = await reads.get(id);
    if (answer) input.gitlab = answer.gone;
  }
  for (const answer of await Promise.all(reads.values()))
    for (const e of answer.errors ?? []) run.errors.push({ ...e, effect: 'kept' });
  const leftoverPlan = planLeftovers(
    inputs,
    policy,
    {
      limits: {
        maxDeletionsPerRun: config.limits.maxDeletionsPerRun,
        maxDeletionPercent: config.limits.maxDeletionPercent,
      },
      stacksDue: run.plan.due,
      // A braked stack plan deletes no stack; its brake holds the leftovers too.
      stacksBrake: run.plan.brake,
      inScope: run.environments.length,
      ...(options.only ? { only: options.only } : {}),
    },
    options.now,
  );
  found.plan = { due: leftoverPlan.due, brake: leftoverPlan.brake };
  for (const [i, d] of leftoverPlan.decisions.entries()) {
    const l = inputs[i]?.leftover;
    if (l) l.decision = d;
  }
  const due = found.resources.filter(
    (l): l is Leftover & { decision: NonNullable<Leftover['decision']> } => l.decision?.status === 'due',
  );
  if (due.length === 0) return;
  const results = await reapLeftovers(
    due,
    { ...deps, filtersOf, recheckEnvironment: readEnvironment },
    {
      apply: options.apply,
      runId: options.runId,
      concurrency: config.limits.concurrency,
      keepTags: config.ownership.tags,
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    },
  );
  for (const l of due) {
    const r = results.get(l.arn);
    if (r) l.result = r;
  }
}
