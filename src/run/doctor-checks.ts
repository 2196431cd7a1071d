import type { AccountTarget, AwsProbes } from '../aws/ports.js';
import type { Config } from '../config/schema.js';
import type { GraphqlProbe } from '../gitlab/graphql-probe.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import type { DoctorCheck } from './doctor.js';

/**
 * GitLab's version and what GraphQL serves there. With `gitlab.api: auto` a missing field is no failure
 * (REST reads what needs it); with `graphql` it is, as it is an error of every run.
 */
export async function graphqlCheck(probe: () => Promise<GraphqlProbe>, config: Config): Promise<DoctorCheck> {
  try {
    const p = await probe();
    const version = p.version ? `GitLab ${p.version}; ` : '';
    const partial = Object.entries(p.serves).filter(([, s]) => s !== 'yes');
    const served = Object.entries(p.serves)
      .map(([c, s]) => `${c} ${s === 'yes' ? '✓' : s}`)
      .join(', ');
    const lacking = p.lacking.length ? `; lacks ${p.lacking.join(', ')}` : '';
    const detail = p.off
      ? `${version}${p.off}: REST reads everything`
      : `${version}GraphQL serves ${served}${lacking}`;
    const strict = config.gitlab.api === 'graphql';
    return {
      id: 'gitlab.graphql',
      ok: !strict || (p.off === undefined && partial.length === 0),
      detail,
      ...(strict ? { fix: 'use gitlab.api auto on this GitLab: REST then reads what GraphQL cannot' } : {}),
    };
  } catch (error) {
    const detail = scrub((error as Error)?.message ?? String(error)).slice(0, 300);
    return { id: 'gitlab.graphql', ok: false, detail, fix: 'check GITLAB_URL and the token' };
  }
}

/** The default keep tag key, which stacks tagged before a change of `ownership.tags.keep` carry. */
const DEFAULT_KEEP = 'env-reaper:keep';

/**
 * A keep tag key changed from the default: say whether stacks still tagged with the default stay
 * protected (`ownership.tags.alsoKeep`), or lost their protection on purpose. A warning, not a failure.
 */
export function keepTagCheck(config: Config): DoctorCheck[] {
  const { keep, alsoKeep } = config.ownership.tags;
  if (keep === DEFAULT_KEEP) return [];
  return alsoKeep.includes(DEFAULT_KEEP)
    ? [
        {
          id: 'ownership.keep',
          ok: true,
          detail: `keep tag ${keep}; stacks still tagged ${DEFAULT_KEEP} stay protected (ownership.tags.alsoKeep), and their reason says so`,
        },
      ]
    : [
        {
          id: 'ownership.keep',
          ok: true,
          detail: `warning: keep tag ${keep}; stacks still tagged ${DEFAULT_KEEP} are no longer protected (ownership.tags.alsoKeep does not list it)`,
        },
      ];
}

/** One IAM action a configured feature needs, and the read that proves it. */
export interface Permission {
  action: string;
  /** The feature that needs it, in the words of the config. */
  feature: string;
  /** The statement of the documented policy that grants it. */
  sid: string;
  /** The read; `undefined` when nothing in the region lets it be proven (no stack, no export). */
  read?: () => Promise<string>;
  /** Why it was not proven, when `read` is undefined. */
  unprovable?: string;
}

/** `usage.enabled`: the listing, the REST API names and one metric read. */
export function usagePermissions(probes: AwsProbes, target: AccountTarget, region: string): Permission[] {
  const feature = 'usage.enabled';
  const sid = 'UsageOptIn';
  return [
    {
      action: 'tag:GetResources',
      feature,
      sid,
      read: async () => `${await probes.getResources(target, region)} resources on a page of one`,
    },
    {
      action: 'apigateway:GET',
      feature,
      sid,
      read: async () => `${await probes.getRestApis(target, region)} REST APIs on a page of one`,
    },
    {
      action: 'cloudwatch:GetMetricData',
      feature,
      sid,
      read: async () => `${await probes.getMetricData(target, region)} metric answered`,
    },
  ];
}

/**
 * `leftovers.delete`: the actions each opted-in type needs (docs/leftovers.md). Listed, never proven: the
 * re-checks read a leftover that may not exist, and a deletion cannot be proven without deleting.
 */
export function leftoverDeletePermissions(types: readonly string[]): Permission[] {
  const actions: Record<string, string[]> = {
    's3:bucket': [
      's3:GetBucketTagging',
      's3:GetBucketVersioning',
      's3:ListBucketVersions',
      's3:DeleteObjectVersion',
      's3:DeleteBucket',
    ],
    'ecr:repository': ['ecr:ListTagsForResource', 'ecr:DescribeImages', 'ecr:DeleteRepository'],
    'logs:log-group': ['logs:ListTagsForResource', 'logs:DeleteLogGroup'],
  };
  return types.flatMap((type) =>
    (actions[type] ?? []).map((action) => ({
      action,
      feature: `leftovers.delete ${type}`,
      sid: 'LeftoverDeletionOptIn',
      unprovable: 'proving a deletion would delete; granted by LeftoverDeletionOptIn in deploy/iam/reap.json',
    })),
  );
}

/**
 * `notify.webhooks`: each one's URL is there (`urlEnv` set), and a URL written in the file is a warning
 * (it is a secret). Nothing is sent, and no URL is shown.
 */
export function webhookChecks(config: Config, env: Record<string, string | undefined>): DoctorCheck[] {
  return config.notify.webhooks.map((w, i) => {
    const id = `notify.webhooks.${w.name ?? `${w.type}#${i}`}`;
    if (w.urlEnv !== undefined)
      return env[w.urlEnv]
        ? { id, ok: true, detail: `${w.type}: URL from $${w.urlEnv}; sends ${w.on}` }
        : {
            id,
            ok: false,
            detail: `${w.type}: $${w.urlEnv} is not set: no message would be sent (SECRET_MISSING)`,
            fix: `set ${w.urlEnv} (a masked CI/CD variable) to the webhook URL`,
          };
    return {
      id,
      ok: true,
      detail: `warning: ${w.type}: the URL is written in the config file; it is a secret: prefer urlEnv and a masked CI/CD variable`,
    };
  });
}
