import type { AccountTarget, AwsProbes } from '../aws/ports.js';
import type { Config } from '../config/schema.js';
import { describeFailure } from '../errors/failure.js';
import type { GraphqlProbe } from '../gitlab/graphql-probe.js';
import type { TokenInfo } from '../gitlab/ports.js';
import { TOKEN_ADVICE } from '../gitlab/token-failure.js';
import type { StateStore } from '../state/ports.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import {
  graphqlCheck,
  keepTagCheck,
  leftoverDeletePermissions,
  type Permission,
  usagePermissions,
  webhookChecks,
} from './doctor-checks.js';

/**
 * `env-reaper doctor`: checks, without writing anything (unless asked to test a state write), that a run
 * would get what it needs: a GitLab URL and a token with the right scopes, the dashboard project, every
 * account (caller identity, account guard, AssumeRole) and region (one stack listing page), Cost
 * Explorer when cost is on, and the state backend. Each failed check says how to fix it in one line.
 */

/** One line of the checklist. */
export interface DoctorCheck {
  /** Stable id, e.g. `gitlab.token`, `aws.111111111111.eu-west-1`. */
  id: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** The one-line fix, when not ok. */
  fix?: string;
}

/** The outside world, as doctor reads it; tests pass fakes. */
export interface DoctorDeps {
  config: Config;
  targets: AccountTarget[];
  /** Which GitLab credential the environment holds. */
  token: 'personal' | 'job' | 'none';
  /** Whether GitLab answers at its URL (any HTTP answer); throws when nothing does. */
  reach?: () => Promise<{ version?: string; status?: number }>;
  /** `GET /personal_access_tokens/self` (personal, project and group access tokens answer it). */
  tokenInfo: () => Promise<TokenInfo>;
  /** What GraphQL will serve (`gitlab.api` auto or graphql); absent: not probed. */
  graphql?: () => Promise<GraphqlProbe>;
  /** Reads a project (the dashboard's); `null` when it answers 404. */
  project: (key: string | number) => Promise<{ path: string } | null>;
  callerAccount: (target: AccountTarget) => Promise<string>;
  /** One page of the stack listing. */
  listOnePage: (target: AccountTarget, region: string) => Promise<number>;
  /** One small Cost Explorer query. */
  costProbe: (target: AccountTarget) => Promise<void>;
  /** The reads that prove each IAM permission the configured features need. */
  probes?: AwsProbes;
  store: StateStore;
  now: () => number;
  /** The environment (webhook URLs named by `urlEnv`); only whether a variable is set is read. */
  env?: Record<string, string | undefined>;
}

/** Options of one doctor run. */
export interface DoctorOptions {
  /** Check for `reap --apply` (its GitLab writes need the `api` scope). */
  forReapApply: boolean;
  /** Take and release the state lock: a real conditional write. */
  writeTest: boolean;
}

const message = (error: unknown) => scrub((error as Error)?.message ?? String(error)).slice(0, 300);

async function gitlabChecks(deps: DoctorDeps, options: DoctorOptions): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const url = deps.config.gitlab.url;
  if (!url) {
    out.push({ id: 'gitlab.url', ok: false, detail: 'no GitLab URL', fix: 'set GITLAB_URL (or gitlab.url)' });
    return out;
  }
  // Whether anything answers there comes first: a token cannot be checked against a URL nobody serves.
  try {
    const r = (await deps.reach?.()) ?? {};
    const what = r.version ? `GitLab ${r.version}` : r.status ? `HTTP ${r.status}` : undefined;
    out.push({ id: 'gitlab.url', ok: true, detail: what ? `${url} answers (${what})` : url });
  } catch (error) {
    out.push({
      id: 'gitlab.url',
      ok: false,
      detail: `nothing answers at ${url}: ${message(error)}`,
      fix: 'check GITLAB_URL, and that GitLab is reachable from here (proxy, VPN, firewall)',
    });
    return out;
  }
  if (deps.token === 'none') {
    out.push({ id: 'gitlab.token', ok: false, detail: 'no GitLab token', fix: 'set GITLAB_TOKEN' });
    return out;
  }
  if (deps.token === 'job') {
    out.push({
      id: 'gitlab.token',
      ok: true,
      detail: 'CI job token: scopes cannot be read; it can read projects the job may access, not write notes',
    });
  } else {
    try {
      const t = await deps.tokenInfo();
      const expired = t.expiresAt !== null && Date.parse(t.expiresAt) <= deps.now();
      const canRead = t.scopes.includes('api') || t.scopes.includes('read_api');
      const canWrite = t.scopes.includes('api');
      const scopes = t.scopes.join(', ') || 'none';
      if (!t.active || expired) {
        out.push({
          id: 'gitlab.token',
          ok: false,
          detail: `token is ${expired ? `expired (${t.expiresAt})` : 'not active'}`,
          fix: 'create a new token and set GITLAB_TOKEN',
        });
      } else if (!canRead) {
        out.push({
          id: 'gitlab.token',
          ok: false,
          detail: `token scopes: ${scopes}`,
          fix: 'give the token the read_api scope (api for reap --apply)',
        });
      } else if (options.forReapApply && !canWrite) {
        out.push({
          id: 'gitlab.token',
          ok: false,
          detail: `token scopes: ${scopes}; reap --apply stops environments and writes notes`,
          fix: 'use a token with the api scope for reap --apply (read_api is enough for audit)',
        });
      } else {
        out.push({
          id: 'gitlab.token',
          ok: true,
          detail: `token scopes: ${scopes}${t.expiresAt ? `, expires ${t.expiresAt}` : ''}`,
        });
      }
    } catch (error) {
      const e = message(error);
      out.push({
        id: 'gitlab.token',
        ok: false,
        detail: e,
        fix:
          describeFailure(error).code === 'UNAUTHENTICATED'
            ? `GitLab refused the token: ${TOKEN_ADVICE[401]}`
            : 'check GITLAB_URL and that GitLab is reachable from here',
      });
      return out;
    }
  }
  if (deps.graphql && deps.config.gitlab.api !== 'rest')
    out.push(await graphqlCheck(deps.graphql, deps.config));
  const dash = deps.config.notify.dashboard.project;
  if (dash !== undefined) {
    try {
      const p = await deps.project(dash);
      out.push(
        p
          ? { id: 'gitlab.dashboard', ok: true, detail: `dashboard project ${p.path}` }
          : {
              id: 'gitlab.dashboard',
              ok: false,
              detail: `dashboard project ${dash} answers 404`,
              fix: 'check notify.dashboard.project, and that the token can see that project',
            },
      );
    } catch (error) {
      out.push({
        id: 'gitlab.dashboard',
        ok: false,
        detail: message(error),
        fix: 'check notify.dashboard.project',
      });
    }
  }
  return out;
}

async function awsChecks(deps: DoctorDeps, options: DoctorOptions): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const target of deps.targets) {
    const label = target.id ?? 'ambient';
    let account: string;
    try {
      account = await deps.callerAccount(target);
    } catch (error) {
      out.push({
        id: `aws.${label}`,
        ok: false,
        detail: message(error),
        fix: target.roleArn
          ? `check that the runner may assume ${target.roleArn} (its trust policy and sts:AssumeRole)`
          : 'check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, or the instance role)',
      });
      continue;
    }
    if (target.id !== undefined && account !== target.id) {
      out.push({
        id: `aws.${label}`,
        ok: false,
        detail: `credentials belong to account ${account}, not ${target.id}`,
        fix: `use credentials${target.roleArn ? ` (or a roleArn)` : ''} of account ${target.id}, or correct aws.accounts[].id`,
      });
      continue;
    }
    out.push({
      id: `aws.${label}`,
      ok: true,
      detail: `caller account ${account}${target.roleArn ? ` through ${target.roleArn}` : ''}`,
    });
    for (const region of target.regions) {
      try {
        const sample: { stackId?: string } = {};
        if (deps.probes) {
          const page = await deps.probes.describeStacks(target, region);
          if (page.sampleStackId) sample.stackId = page.sampleStackId;
          out.push({
            id: `aws.${label}.${region}`,
            ok: true,
            detail: `DescribeStacks: ${page.count} stacks on the first page`,
          });
        } else {
          const n = await deps.listOnePage(target, region);
          out.push({
            id: `aws.${label}.${region}`,
            ok: true,
            detail: `DescribeStacks: ${n} stacks on the first page`,
          });
        }
        for (const p of permissions(deps, options, target, region, sample))
          out.push(
            await permissionCheck(
              `aws.${label}.${region}.${p.action}`,
              p,
              options.forReapApply ? 'reap' : 'audit',
            ),
          );
      } catch (error) {
        out.push({
          id: `aws.${label}.${region}`,
          ok: false,
          detail: message(error),
          fix: `check that ${region} is enabled for the account and that cloudformation:DescribeStacks is allowed`,
        });
      }
    }
    if (deps.config.cost.enabled) {
      try {
        await deps.costProbe(target);
        out.push({ id: `aws.${label}.cost`, ok: true, detail: 'Cost Explorer answers' });
      } catch (error) {
        out.push({
          id: `aws.${label}.cost`,
          ok: false,
          detail: message(error),
          fix: 'add "ce:GetCostAndUsage" to statement "CostOptIn" of the env-reaper policy, or set cost.enabled: false',
        });
      }
      const probes = deps.probes;
      if (probes && deps.config.leftovers.enabled && options.forReapApply) {
        const id = `aws.${label}.ce:GetCostAndUsageWithResources`;
        try {
          await probes.costByResource(target);
          out.push({ id, ok: true, detail: 'leftovers cost: resource-level data answers' });
        } catch (error) {
          // Not enabled is how the account is set up: leftover cost is then unknown, as documented.
          out.push(
            describeFailure(error).serviceCode === 'DataUnavailableException'
              ? { id, ok: true, detail: 'leftovers cost: resource-level data is not enabled (cost unknown)' }
              : await permissionCheck(
                  id,
                  {
                    action: 'ce:GetCostAndUsageWithResources',
                    feature: 'leftovers cost',
                    sid: 'CostOptIn',
                    read: () => Promise.reject(error),
                  },
                  'reap',
                ),
          );
        }
      }
    }
  }
  return out;
}

/** Whether an AWS error says the caller lacks a permission. */
function denied(error: unknown): boolean {
  return describeFailure(error).code === 'ACCESS_DENIED';
}

/** One permission a configured feature needs, where it is granted, and the read that proves it. */
/** The permissions the configured features need beyond DescribeStacks, per account and region. */
function permissions(
  deps: DoctorDeps,
  options: DoctorOptions,
  target: AccountTarget,
  region: string,
  sample: { stackId?: string | undefined },
): Permission[] {
  const probes = deps.probes;
  if (!probes || !options.forReapApply) return [];
  const c = deps.config;
  const out: Permission[] = [];
  let exportName: string | undefined;
  out.push({
    action: 'cloudformation:ListExports',
    feature: 'reap: the export graph',
    sid: 'Read',
    read: async () => {
      const r = await probes.listExports(target, region);
      exportName = r.sampleExport;
      return `${r.count} exports on the first page`;
    },
  });
  out.push({
    action: 'cloudformation:ListImports',
    feature: 'reap: the export graph',
    sid: 'Read',
    // Read lazily: it needs the export ListExports found.
    read: async () => {
      if (exportName === undefined) return 'no export in this region to ask about (not proven)';
      return `${await probes.listImports(target, region, exportName)} importers of ${exportName}`;
    },
  });
  const stackId = sample.stackId;
  let owned: { type: string; physicalId: string }[] = [];
  const noStack = 'no stack in this region to ask about';
  out.push(
    stackId
      ? {
          action: 'cloudformation:DescribeStackEvents',
          feature: 'reap: why a deletion failed',
          sid: 'Read',
          read: async () => `${await probes.describeStackEvents(target, region, stackId)} events`,
        }
      : { action: 'cloudformation:DescribeStackEvents', feature: 'reap', sid: 'Read', unprovable: noStack },
    stackId
      ? {
          action: 'cloudformation:ListStackResources',
          feature: 'reap: what a stack owns',
          sid: 'Read',
          read: async () => {
            owned = await probes.listStackResources(target, region, stackId);
            return `${owned.length} resources`;
          },
        }
      : { action: 'cloudformation:ListStackResources', feature: 'reap', sid: 'Read', unprovable: noStack },
  );
  if (c.policy.onDeleteFailed === 'empty-and-retry') {
    const feature = 'policy.onDeleteFailed: empty-and-retry';
    out.push(
      {
        action: 's3:ListBucketVersions',
        feature,
        sid: 'EmptyAndRetryOptInBuckets',
        // Read lazily: it needs a bucket ListStackResources found.
        read: async () => {
          const bucket = owned.find((r) => r.type === 'AWS::S3::Bucket' && r.physicalId)?.physicalId;
          if (bucket === undefined) return 'no bucket in the sampled stack to ask about (not proven)';
          return `${await probes.listObjectVersions(target, region, bucket)} versions of ${bucket} on a page of one`;
        },
      },
      {
        action: 'ecr:DescribeImages',
        feature,
        sid: 'EmptyAndRetryOptInRepositories',
        read: () =>
          probes.describeImages(
            target,
            region,
            owned.find((r) => r.type === 'AWS::ECR::Repository' && r.physicalId)?.physicalId ??
              'review-env-reaper-doctor-probe',
          ),
      },
    );
  }
  if (c.leftovers.enabled) {
    out.push(
      {
        action: 'tag:GetResources',
        feature: 'leftovers.enabled',
        sid: 'LeftoversRead',
        read: async () => `${await probes.getResources(target, region)} resources on a page of one`,
      },
      {
        action: 'ecr:DescribeRepositories',
        feature: 'leftovers.enabled',
        sid: 'LeftoversRead',
        read: async () =>
          `${await probes.describeRepositories(target, region)} repositories on a page of one`,
      },
      {
        action: 'logs:DescribeLogGroups',
        feature: 'leftovers.enabled',
        sid: 'LeftoversRead',
        read: async () => `${await probes.describeLogGroups(target, region)} log groups on a page of one`,
      },
    );
  }
  if (c.usage.enabled)
    out.push(
      ...usagePermissions(probes, target, region).filter((p) => !out.some((o) => o.action === p.action)),
    );
  out.push(
    ...leftoverDeletePermissions(c.leftovers.delete).filter((p) => !out.some((o) => o.action === p.action)),
  );
  return out;
}

/** One permission's check: ok, denied (with the policy line to add), or another failure. */
async function permissionCheck(id: string, p: Permission, mode: 'audit' | 'reap'): Promise<DoctorCheck> {
  if (!p.read)
    return { id, ok: true, detail: `${p.feature}: not proven (${p.unprovable ?? 'nothing to read'})` };
  try {
    return { id, ok: true, detail: `${p.feature}: ${await p.read()}` };
  } catch (error) {
    if (denied(error))
      return {
        id,
        ok: false,
        detail: `${p.feature}: ${p.action} is denied (${message(error)})`,
        fix: `add "${p.action}" to the Action list of statement "${p.sid}" in the env-reaper policy (deploy/iam/${mode}.json)`,
      };
    return {
      id,
      ok: false,
      detail: `${p.feature}: ${message(error)}`,
      fix: `check that ${p.action} works against this endpoint (an AWS-compatible endpoint may not implement it)`,
    };
  }
}

async function stateChecks(deps: DoctorDeps, options: DoctorOptions): Promise<DoctorCheck[]> {
  const where =
    deps.config.state.backend === 's3'
      ? `s3://${deps.config.state.bucket}/${deps.config.state.key}`
      : deps.config.state.path;
  const out: DoctorCheck[] = [];
  try {
    const s = await deps.store.load();
    out.push({
      id: 'state.read',
      ok: true,
      detail: `${where}: ${Object.keys(s.stacks).length} stacks remembered`,
    });
  } catch (error) {
    out.push({ id: 'state.read', ok: false, detail: message(error), fix: `check that ${where} can be read` });
    return out;
  }
  if (options.writeTest) {
    try {
      const lock = await deps.store.lock({ runId: 'doctor' });
      await lock.release();
      out.push({
        id: 'state.write',
        ok: true,
        detail: `${where}: lock taken and released (a conditional write)`,
      });
    } catch (error) {
      out.push({
        id: 'state.write',
        ok: false,
        detail: message(error),
        fix: `check write access to ${where} (or that no run holds the lock)`,
      });
    }
  }
  return out;
}

/** Runs every check; never throws, never writes (but the optional state write test). */
export async function doctor(deps: DoctorDeps, options: DoctorOptions): Promise<DoctorCheck[]> {
  return [
    { id: 'config', ok: true, detail: 'configuration is valid' },
    ...keepTagCheck(deps.config),
    ...webhookChecks(deps.config, deps.env ?? {}),
    ...(await gitlabChecks(deps, options)),
    ...(await awsChecks(deps, options)),
    ...(await stateChecks(deps, options)),
  ];
}
