import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { MiddlewareStack } from '@aws-sdk/types';
import type { Logger } from '../log/logger.js';
import type { ApiStats } from '../util/api-stats.js';
import { RequestPacer } from '../util/pacer.js';
import { USER_AGENT } from '../util/version.js';
import { awsFailure, classifyFailures, countAttempts } from './middleware.js';
import type { AccountTarget } from './ports.js';

/**
 * The SDK clients of a run, one per role and region, shared by every reader and the writer: one
 * AssumeRole per role and run, every attempt counted and CloudFormation paced.
 */

/** Options for the SDK-backed reader. */
export interface AwsClientOptions {
  stats: ApiStats;
  logger: Logger;
  /** SDK retry attempts, `aws.maxAttempts` (the SDK's own backoff handles `Throttling`). */
  maxAttempts: number;
  /** Optional ceiling on CloudFormation calls per second per account × region. */
  cloudFormationRps?: number | undefined;
  /** Path-style S3 URLs (S3-compatible endpoints, the sandbox), for emptying and confirming buckets. */
  s3ForcePathStyle?: boolean | undefined;
  /**
   * Deadline of one attempt (`aws.timeout`): without one the SDK waits for a silent endpoint forever.
   * A timed-out attempt is retried like a 5xx, within `maxAttempts`.
   */
  timeoutMs?: number | undefined;
}

/** Classifies every failure and counts every attempt (`middleware.ts`). */
function instrument<I extends object, O extends object, C extends { middlewareStack: MiddlewareStack<I, O> }>(
  client: C & { middlewareStack: MiddlewareStack<I, O> },
  stats: ApiStats,
  service: string,
  pacer?: RequestPacer,
): C {
  classifyFailures(client, 'aws');
  countAttempts(client, stats, service, pacer);
  return client;
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

/**
 * `fromTemporaryCredentials`, its module loaded on the first call: it takes about 30 ms to load, which
 * a run without `roleArn` targets would otherwise pay.
 */
function assumeRole(
  params: Parameters<typeof fromTemporaryCredentials>[0]['params'],
  clientConfig: Parameters<typeof fromTemporaryCredentials>[0]['clientConfig'],
): CredentialProvider {
  let provider: Promise<CredentialProvider> | undefined;
  return (async (...args: Parameters<CredentialProvider>) => {
    // Its STS client gets the same deadline and attempts as every other client (a silent STS must not
    // hold the run).
    provider ??= import('@aws-sdk/credential-providers').then((m) =>
      m.fromTemporaryCredentials({ params, clientConfig }),
    );
    try {
      return await (await provider)(...args);
    } catch (error) {
      // Its STS client is the provider's own: the failure is named here, or it would carry the name of
      // whichever call needed the credentials.
      throw awsFailure(error, 'aws', 'AssumeRole');
    }
  }) as CredentialProvider;
}

/** Clients per role and region, shared by the reader and the writer (one AssumeRole per role and run). */
export class AwsClients {
  private readonly credentialsFor = new Map<string, CredentialProvider | undefined>();
  private readonly cfn = new Map<string, CloudFormationClient>();
  private readonly sts = new Map<string, STSClient>();
  private readonly ce = new Map<string, CostExplorerClient>();
  /** Clients used only around a failed deletion or for leftovers: loaded on first use. */
  private readonly lazy = new Map<string, Promise<unknown>>();

  constructor(private readonly options: AwsClientOptions) {}

  private creds(target: AccountTarget): CredentialProvider | undefined {
    const key = target.roleArn ?? '';
    if (!this.credentialsFor.has(key)) {
      this.credentialsFor.set(
        key,
        target.roleArn
          ? shared(
              assumeRole(
                {
                  RoleArn: target.roleArn,
                  RoleSessionName: 'env-reaper',
                  ...(target.externalId ? { ExternalId: target.externalId } : {}),
                },
                this.transport(),
              ),
            )
          : undefined,
      );
    }
    return this.credentialsFor.get(key);
  }

  /** Attempts and the per-attempt deadline, the same for every client. */
  private transport(): { maxAttempts: number; requestHandler?: Record<string, unknown> } {
    return {
      maxAttempts: this.options.maxAttempts,
      ...(this.options.timeoutMs !== undefined
        ? {
            requestHandler: {
              requestTimeout: this.options.timeoutMs,
              // Without it the SDK only logs a warning when the deadline passes, and waits on.
              throwOnRequestTimeout: true,
              connectionTimeout: Math.min(this.options.timeoutMs, 10_000),
            },
          }
        : {}),
    };
  }

  private config(target: AccountTarget, region: string) {
    const c = this.creds(target);
    return {
      region,
      customUserAgent: USER_AGENT,
      ...this.transport(),
      ...(c ? { credentials: c } : {}),
    };
  }

  /** The CloudFormation client of a target × region. */
  cloudFormation(target: AccountTarget, region: string): CloudFormationClient {
    const key = `${target.roleArn ?? ''}|${region}`;
    let client = this.cfn.get(key);
    if (!client) {
      // Throttling is the SDK's business (adaptive retry: it slows down only once AWS says so); a
      // configured ceiling caps the calls per second on top.
      const rps = this.options.cloudFormationRps;
      const pacer =
        rps === undefined
          ? undefined
          : new RequestPacer({
              reserve: 0,
              ceiling: Math.max(1, Math.floor(rps)),
              windowMs: 1000,
              sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
            });
      client = instrument(
        new CloudFormationClient({ ...this.config(target, region), retryMode: 'adaptive' }),
        this.options.stats,
        'cloudformation',
        pacer,
      );
      this.cfn.set(key, client);
    }
    return client;
  }

  /**
   * The Cost Explorer client of a target (a global service in us-east-1). Loaded on first use: cost is
   * opt-in, and the SDK module costs every run ~70 ms of start-up otherwise.
   */
  async costExplorer(target: AccountTarget): Promise<CostExplorerClient> {
    const key = target.roleArn ?? '';
    let client = this.ce.get(key);
    if (!client) {
      const { CostExplorerClient } = await import('@aws-sdk/client-cost-explorer');
      client = instrument(
        new CostExplorerClient(this.config(target, 'us-east-1')),
        this.options.stats,
        'costexplorer',
      );
      this.ce.set(key, client);
    }
    return client;
  }

  private once<T>(kind: string, target: AccountTarget, region: string, make: () => Promise<T>): Promise<T> {
    const key = `${kind}|${target.roleArn ?? ''}|${region}`;
    let client = this.lazy.get(key) as Promise<T> | undefined;
    if (!client) {
      client = make();
      this.lazy.set(key, client);
    }
    return client;
  }

  /** The S3 client of a target × region (emptying a stack's bucket, confirming a leftover). */
  s3(target: AccountTarget, region: string): Promise<S3Client> {
    return this.once('s3', target, region, async () => {
      const { S3Client } = await import('@aws-sdk/client-s3');
      const forcePathStyle = this.options.s3ForcePathStyle === true;
      return instrument(
        new S3Client({ ...this.config(target, region), forcePathStyle }),
        this.options.stats,
        's3',
      );
    });
  }

  /** The ECR client of a target × region. */
  ecr(target: AccountTarget, region: string): Promise<ECRClient> {
    return this.once('ecr', target, region, async () => {
      const { ECRClient } = await import('@aws-sdk/client-ecr');
      return instrument(new ECRClient(this.config(target, region)), this.options.stats, 'ecr');
    });
  }

  /** The CloudWatch Logs client of a target × region (confirming a leftover log group). */
  logs(target: AccountTarget, region: string): Promise<CloudWatchLogsClient> {
    return this.once('logs', target, region, async () => {
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      return instrument(new CloudWatchLogsClient(this.config(target, region)), this.options.stats, 'logs');
    });
  }

  /** The Resource Groups Tagging API client of a target × region (finding leftovers). */
  tagging(target: AccountTarget, region: string): Promise<ResourceGroupsTaggingAPIClient> {
    return this.once('tagging', target, region, async () => {
      const { ResourceGroupsTaggingAPIClient } = await import('@aws-sdk/client-resource-groups-tagging-api');
      return instrument(
        new ResourceGroupsTaggingAPIClient(this.config(target, region)),
        this.options.stats,
        'tagging',
      );
    });
  }

  /** The CloudWatch client of a target × region (usage: GetMetricData). */
  cloudwatch(target: AccountTarget, region: string): Promise<CloudWatchClient> {
    return this.once('cloudwatch', target, region, async () => {
      const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
      return instrument(new CloudWatchClient(this.config(target, region)), this.options.stats, 'cloudwatch');
    });
  }

  /** The API Gateway client of a target × region (usage: the REST APIs' names, GetRestApis). */
  apigateway(target: AccountTarget, region: string): Promise<APIGatewayClient> {
    return this.once('apigateway', target, region, async () => {
      const { APIGatewayClient } = await import('@aws-sdk/client-api-gateway');
      return instrument(new APIGatewayClient(this.config(target, region)), this.options.stats, 'apigateway');
    });
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
