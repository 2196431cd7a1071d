import type { LeftoverDecision } from './leftover-plan.js';
import type { Brake } from './plan.js';
import type { OwnershipTags } from './policy.js';

/**
 * Leftovers: what a deleted environment left behind, still tagged with it (retained resources, and what
 * the review app created at run time). Found with the Resource Groups Tagging API, confirmed with each
 * resource's own service, reported, never deleted. The choices here are pure; the run layer reads.
 */

/** A resource still tagged with a deleted environment, confirmed to exist (or not confirmable). */
export interface Leftover {
  arn: string;
  /** `service:type` as the tagging API names it (`s3:bucket`, `logs:log-group`). */
  type: string;
  account: string;
  region: string;
  /** The deleted stack whose environment the resource is tagged with. */
  stackId: string;
  stackName: string;
  /** When that stack was deleted. */
  deletedAt: string;
  /** When the resource was created, when its service says. */
  createdAt?: string;
  /** false: the type has no existence check here; it may be a stale entry of the tagging index. */
  confirmed: boolean;
  /** USD per month (Cost Explorer, `cost.enabled`); `null` when unknown. */
  monthlyCost?: number | null;
  /** Its tags as the tagging API listed them (the keep tag, the environment's tags). */
  tags?: Record<string, string>;
  /** Whether it may be deleted, and why (`leftovers.delete` set). */
  decision?: LeftoverDecision;
  /** What this run did to it (`leftovers.delete` set). */
  result?: LeftoverResult;
}

/** What a run did to one leftover (deleted, or why not). */
export interface LeftoverResult {
  result: 'deleted' | 'gone' | 'failed' | 'cancelled' | 'skipped';
  error?: { code: string; message: string };
  /** Object versions or images removed; delete markers (buckets). */
  removed?: number;
  deleteMarkers?: number;
}

/** The leftovers section of a run. */
export interface Leftovers {
  /** Deleted environments looked at. */
  checked: number;
  resources: Leftover[];
  /** Deleted environments not looked at, and why (no identifying tag, an API error). */
  skipped: { stackName: string; reason: string }[];
  /** The deletion plan (`leftovers.delete` set): leftovers due, and the brake that held them. */
  plan?: { due: number; brake: Brake | null };
}

/** A tag filter of GetResources: AND across entries. */
export interface TagFilter {
  key: string;
  value: string;
}

/**
 * The tags that identify a deleted environment's resources: the project (id, else path) AND the most
 * specific environment tag it had (environment, else ref, else ref slug). `undefined` when either is
 * missing: a project tag alone would match every environment of the project.
 */
export function leftoverFilters(tags: Record<string, string>, keys: OwnershipTags): TagFilter[] | undefined {
  const pick = (...candidates: string[]) => {
    for (const key of candidates) {
      const value = tags[key];
      if (value !== undefined && value !== '') return { key, value };
    }
    return undefined;
  };
  const project = pick(keys.projectId, keys.projectPath);
  const environment = pick(keys.environment, keys.ref, keys.refSlug);
  return project && environment ? [project, environment] : undefined;
}

/** The tag CloudFormation puts on what a stack creates. */
export const STACK_ID_TAG = 'aws:cloudformation:stack-id';

/**
 * Whether a tagging hit can be a leftover of `stackId`: not a stack (live stacks are audited; a deleted
 * one is not a leftover), and not a resource of another stack that is still live (a new deployment of
 * the same environment carries the same tags).
 */
export function leftoverCandidate(
  hit: { type: string; tags: Record<string, string> },
  stackId: string,
  liveStackIds: ReadonlySet<string>,
): boolean {
  if (hit.type.startsWith('cloudformation:')) return false;
  const owner = hit.tags[STACK_ID_TAG];
  return owner === undefined || owner === stackId || !liveStackIds.has(owner);
}

/**
 * `service:type` from an ARN (`arn:aws:s3:::b` → `s3:bucket`, `…:log-group:name` → `logs:log-group`), or
 * the service alone when the ARN has no type part (`arn:aws:sqs:…:queue` → `sqs`).
 */
export function arnType(arn: string): string {
  const parts = arn.split(':');
  const service = parts[2] ?? '';
  const resource = parts.slice(5).join(':');
  if (service === 's3' && !resource.includes('/')) return 's3:bucket';
  // `type/name` or `type:name`; a bare name (an SQS queue, an SNS topic) has no type part.
  const type = /^([^/:]+)[/:]/.exec(resource)?.[1];
  return type ? `${service}:${type}` : service;
}
