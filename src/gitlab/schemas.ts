import { z } from 'zod';
import type { BranchFacts, EnvironmentFacts, MergeRequestFacts, ProjectFacts } from '../core/model.js';
import type { EnvironmentState } from './ports.js';

/**
 * The few fields we read from GitLab, validated at the boundary. Unknown fields pass through untouched;
 * a missing or mistyped field we rely on fails the whole response (fail closed, never guess).
 */

/** An ISO-8601 timestamp, as both GitLab APIs write them (REST and GraphQL share it). */
export const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { error: 'expected an ISO date' });

export const projectSchema = z.object({
  id: z.number().int(),
  path_with_namespace: z.string(),
  default_branch: z.string().nullish(),
  archived: z.boolean().default(false),
});

export const branchSchema = z.object({
  name: z.string(),
  protected: z.boolean(),
  default: z.boolean().default(false),
  commit: z.object({ committed_date: isoDate.nullish() }).nullish(),
});

export const mergeRequestSchema = z.object({
  iid: z.number().int(),
  source_branch: z.string(),
  state: z.enum(['opened', 'closed', 'merged', 'locked']),
  created_at: isoDate.nullish(),
  updated_at: isoDate.nullish(),
  merged_at: isoDate.nullish(),
  closed_at: isoDate.nullish(),
  author: z.object({ username: z.string() }).nullish(),
  web_url: z.string().nullish(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string() })])).nullish(),
});

export const environmentSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  slug: z.string().nullish(),
  state: z.string(),
  tier: z.string().nullish(),
  updated_at: isoDate.nullish(),
  last_deployment: z.object({ ref: z.string().nullish(), created_at: isoDate.nullish() }).nullish(),
});

const set = <T extends object, K extends keyof T>(o: T, k: K, v: T[K] | null | undefined) => {
  if (v !== null && v !== undefined) o[k] = v;
};

export function toProject(raw: z.output<typeof projectSchema>): ProjectFacts {
  const p: ProjectFacts = { id: raw.id, path: raw.path_with_namespace, archived: raw.archived };
  set(p, 'defaultBranch', raw.default_branch);
  return p;
}

export function toBranch(raw: z.output<typeof branchSchema>): BranchFacts {
  const b: BranchFacts = { name: raw.name, protected: raw.protected, default: raw.default };
  set(b, 'committedAt', raw.commit?.committed_date);
  return b;
}

/** An MR's fields as either API gives them, named alike (the wire shapes differ: snake case, camel case). */
export interface MergeRequestFields {
  iid: number;
  sourceBranch: string;
  state: MergeRequestFacts['state'];
  createdAt?: string | null | undefined;
  updatedAt?: string | null | undefined;
  mergedAt?: string | null | undefined;
  closedAt?: string | null | undefined;
  author?: string | null | undefined;
  webUrl?: string | null | undefined;
  labels?: string[] | null | undefined;
}

/** An MR as the domain sees it, from either API's fields: absent stays absent, never guessed. */
export function asMergeRequest(f: MergeRequestFields): MergeRequestFacts {
  const m: MergeRequestFacts = { iid: f.iid, sourceBranch: f.sourceBranch, state: f.state };
  set(m, 'createdAt', f.createdAt);
  set(m, 'updatedAt', f.updatedAt);
  set(m, 'mergedAt', f.mergedAt);
  set(m, 'closedAt', f.closedAt);
  set(m, 'author', f.author);
  set(m, 'webUrl', f.webUrl);
  set(m, 'labels', f.labels);
  return m;
}

/** REST's MR (`GET /projects/:id/merge_requests`). */
export function toMergeRequest(raw: z.output<typeof mergeRequestSchema>): MergeRequestFacts {
  return asMergeRequest({
    iid: raw.iid,
    sourceBranch: raw.source_branch,
    state: raw.state,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    mergedAt: raw.merged_at,
    closedAt: raw.closed_at,
    author: raw.author?.username,
    webUrl: raw.web_url,
    labels: raw.labels?.map((l) => (typeof l === 'string' ? l : l.name)),
  });
}

export function toEnvironment(raw: z.output<typeof environmentSchema>): EnvironmentFacts {
  const e: EnvironmentFacts = { id: raw.id, name: raw.name, state: raw.state };
  set(e, 'slug', raw.slug);
  set(e, 'tier', raw.tier);
  // The list omits last_deployment; updated_at moves with every deployment, so it stands in for it.
  set(e, 'lastDeployedAt', raw.last_deployment?.created_at ?? raw.updated_at);
  set(e, 'lastDeploymentRef', raw.last_deployment?.ref);
  set(e, 'updatedAt', raw.updated_at);
  return e;
}

/** The environment states GitLab has (its `Environment` state machine); any other answer fails closed. */
export const environmentState = z.enum(['available', 'stopping', 'stopped'] satisfies EnvironmentState[]);

/** Wire answers transformed into domain facts: what the JSON client returns. */
export const projectFacts = projectSchema.transform(toProject);
export const branchFacts = branchSchema.transform(toBranch);
export const mergeRequestFacts = mergeRequestSchema.transform(toMergeRequest);
export const environmentFacts = environmentSchema.transform(toEnvironment);
