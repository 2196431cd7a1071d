import { CloudFormationClient, paginateDescribeStacks, type Stack } from '@aws-sdk/client-cloudformation';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import pLimit from 'p-limit';
import type { StackFacts } from '../core/model.js';
import type { Logger } from '../log/logger.js';
import type { ApiStats } from '../util/api-stats.js';
import { RequestPacer } from '../util/pacer.js';
import { redactProcessSecrets as scrub } from '../util/redact.js';
import { USER_AGENT } from '../util/version.js';

/**
 * The AWS read side: who the credentials belong to, and every stack of an account × region in one
 * paginated `DescribeStacks` listing (docs/design.md §8). `DescribeStacks` without a name returns tags,
 * termination protection and `ParentId` for every stack, so one listing is all a run needs; see
 * docs/design-notes.md for why the tagging API is not used for discovery.
 */

/** One account to scan, as configured (or the ambient one). */
export interface AccountTarget {
  /** Configured id; `undefined` for the ambient account (whatever the credentials say). */
  id?: string | undefined;
  roleArn?: string | undefined;
  externalId?: string | undefined;
  regions: string[];
}

/** The AWS read side; tests swap it. */
export interface AwsReader {
  /** The account id the credentials of this target belong to (STS GetCallerIdentity). */
  callerAccount(target: AccountTarget): Promise<string>;
  /** Every live stack of the account × region. */
  listStacks(target: AccountTarget, account: string, region: string): Promise<StackFacts[]>;
}

/** Options for the SDK-backed reader. */
export interface AwsClientOptions {
  stats: ApiStats;
  logger: Logger;
  /** SDK retry attempts (the SDK's own backoff handles `Throttling`). */
  maxAttempts?: number;
  /** CloudFormation requests per second per account × region (its API throttles at a few per second). */
  cloudFormationRps?: number;
}

/** Counts every attempt, retries included: they cost rate limit too. */
function instrument<T extends { middlewareStack: { add: (...a: never[]) => void } }>(
  client: T,
  stats: ApiStats,
  service: string,
  pacer?: RequestPacer,
): T {
  (client.middlewareStack as unknown as { add: (mw: unknown, opts: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const op = (context.commandName ?? 'unknown').replace(/Command$/, '');
        // Runs per attempt (after the SDK's retry middleware), so retries are paced too.
        await pacer?.acquire();
        try {
          const out = await next(args);
          stats.call(service, op);
          return out;
        } catch (error) {
          stats.call(service, op, true);
          throw error;
        }
      },
    { step: 'finalizeRequest', name: 'envReaperApiStats', priority: 'low' },
  );
  return client;
}

export function toStackFacts(s: Stack, account: string, region: string): StackFacts {
  const facts: StackFacts = {
    account,
    region,
    stackId: s.StackId ?? '',
    name: s.StackName ?? '',
    status: s.StackStatus ?? 'UNKNOWN',
    createdAt: (s.CreationTime ?? new Date(0)).toISOString(),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    terminationProtection: s.EnableTerminationProtection === true,
  };
  if (s.StackStatusReason) facts.statusReason = s.StackStatusReason;
  if (s.LastUpdatedTime) facts.updatedAt = s.LastUpdatedTime.toISOString();
  if (s.ParentId) facts.parentId = s.ParentId;
  if (s.RootId) facts.rootId = s.RootId;
  return facts;
}

type CredentialProvider = ReturnType<typeof fromTemporaryCredentials>;

/**
 * One AssumeRole per role and run, shared by every client of the account (STS, each region's
 * CloudFormation), refreshed five minutes before expiry.
 */
function shared(provider: CredentialProvider): CredentialProvider {
  let pending: ReturnType<CredentialProvider> | undefined;
  let expiresAt = 0;
  return (async () => {
    if (!pending || Date.now() > expiresAt - 300_000) {
      pending = provider();
      const creds = await pending;
      expiresAt = creds.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
    }
    return pending;
  }) as CredentialProvider;
}

/** Clients per role and region, shared by the reader and the writer (one AssumeRole per role and run). */
export class AwsClients {
  private readonly credentialsFor = new Map<string, CredentialProvider | undefined>();
  private readonly cfn = new Map<string, CloudFormationClient>();
  private readonly sts = new Map<string, STSClient>();
  private readonly ce = new Map<string, CostExplorerClient>();

  constructor(private readonly options: AwsClientOptions) {}

  private creds(target: AccountTarget): CredentialProvider | undefined {
    const key = target.roleArn ?? '';
    if (!this.credentialsFor.has(key)) {
      this.credentialsFor.set(
        key,
        target.roleArn
          ? shared(
              fromTemporaryCredentials({
                params: {
                  RoleArn: target.roleArn,
                  RoleSessionName: 'env-reaper',
                  ...(target.externalId ? { ExternalId: target.externalId } : {}),
                },
              }),
            )
          : undefined,
      );
    }
    return this.credentialsFor.get(key);
  }

  private config(target: AccountTarget, region: string) {
    const c = this.creds(target);
    return {
      region,
      maxAttempts: this.options.maxAttempts ?? 5,
      customUserAgent: USER_AGENT,
      ...(c ? { credentials: c } : {}),
    };
  }

  /** The CloudFormation client of a target × region. */
  cloudFormation(target: AccountTarget, region: string): CloudFormationClient {
    const key = `${target.roleArn ?? ''}|${region}`;
    let client = this.cfn.get(key);
    if (!client) {
      const rps = this.options.cloudFormationRps ?? 4;
      const pacer = new RequestPacer(Math.ceil(1000 / rps), (ms) => new Promise((r) => setTimeout(r, ms)));
      client = instrument(
        new CloudFormationClient(this.config(target, region)),
        this.options.stats,
        'cloudformation',
        pacer,
      );
      this.cfn.set(key, client);
    }
    return client;
  }

  /** The Cost Explorer client of a target (a global service in us-east-1). */
  costExplorer(target: AccountTarget): CostExplorerClient {
    const key = target.roleArn ?? '';
    let client = this.ce.get(key);
    if (!client) {
      client = instrument(
        new CostExplorerClient(this.config(target, 'us-east-1')),
        this.options.stats,
        'costexplorer',
      );
      this.ce.set(key, client);
    }
    return client;
  }

  /** The STS client of a target. */
  stsClient(target: AccountTarget): STSClient {
    const key = target.roleArn ?? '';
    let client = this.sts.get(key);
    if (!client) {
      client = instrument(
        new STSClient(this.config(target, target.regions[0] ?? 'us-east-1')),
        this.options.stats,
        'sts',
      );
      this.sts.set(key, client);
    }
    return client;
  }
}

/** The SDK-backed reader. Endpoints and credentials come from the standard AWS environment. */
export function createAwsReader(options: AwsClientOptions, clients = new AwsClients(options)): AwsReader {
  return {
    async callerAccount(target) {
      const out = await clients.stsClient(target).send(new GetCallerIdentityCommand({}));
      return out.Account ?? '';
    },
    async listStacks(target, account, region) {
      const out: StackFacts[] = [];
      for await (const page of paginateDescribeStacks(
        { client: clients.cloudFormation(target, region) },
        {},
      )) {
        for (const s of page.Stacks ?? []) out.push(toStackFacts(s, account, region));
      }
      return out;
    },
  };
}

/** What the AWS side of a run found. */
export interface AwsCollection {
  stacks: StackFacts[];
  /** Accounts × regions read. */
  scanned: { account: string; region: string }[];
  errors: { scope: string; code: string; message: string }[];
}

function awsErrorCode(error: unknown): string {
  const e = error as { name?: string; Code?: string };
  return e?.Code ?? e?.name ?? 'AWS_ERROR';
}

/**
 * Lists the stacks of every target × region. The account guard runs first: credentials that belong to
 * another account than configured skip that account with an error (docs/design.md §5), before anything is read.
 */
export async function collectAws(
  targets: AccountTarget[],
  reader: AwsReader,
  options: { concurrency: number; logger: Logger },
): Promise<AwsCollection> {
  const stacks: StackFacts[] = [];
  const scanned: AwsCollection['scanned'] = [];
  const errors: AwsCollection['errors'] = [];
  const limit = pLimit(options.concurrency);
  await Promise.all(
    targets.map(async (target) => {
      let account: string;
      try {
        account = await limit(() => reader.callerAccount(target));
      } catch (error) {
        errors.push({
          scope: `aws:account ${target.id ?? 'ambient'}`,
          code: awsErrorCode(error),
          message: scrub((error as Error).message),
        });
        return;
      }
      if (target.id !== undefined && account !== target.id) {
        errors.push({
          scope: `aws:account ${target.id}`,
          code: 'ACCOUNT_MISMATCH',
          message: `credentials${target.roleArn ? ` of ${target.roleArn}` : ''} belong to account ${account}, expected ${target.id}: account skipped`,
        });
        return;
      }
      await Promise.all(
        target.regions.map((region) =>
          limit(async () => {
            try {
              const found = await reader.listStacks(target, account, region);
              stacks.push(...found);
              scanned.push({ account, region });
              options.logger.debug({ account, region, stacks: found.length }, 'aws region listed');
            } catch (error) {
              errors.push({
                scope: `aws:${account}/${region}`,
                code: awsErrorCode(error),
                message: scrub((error as Error).message),
              });
            }
          }),
        ),
      );
    }),
  );
  // Deterministic order whatever the completion order.
  stacks.sort((a, b) => (a.stackId < b.stackId ? -1 : a.stackId > b.stackId ? 1 : 0));
  scanned.sort((a, b) => `${a.account}/${a.region}`.localeCompare(`${b.account}/${b.region}`));
  return { stacks, scanned, errors };
}
