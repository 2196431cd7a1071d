// @ts-nocheck
import {
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListImportsCommand,
  paginateListExports,
} from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { StackFacts } from '../core/model.js';
import { type AccountTarget, type AwsClients, toStackFacts } from './collector.js';

/** A failed resource of a deletion, from the stack events. */
export interface FailedResource {
  logicalId: string;
  type: string;
  reason: string;
}

/**
 * The narrow AWS interface the executor uses (reads it needs at delete time, and the one write).
 * Only src/reap calls `deleteStack`.
 */
export interface AwsWriter {
  callerAccount(target: AccountTarget): Promise<string>;
  /** Re-reads a stack by its ARN (deleted stacks too); `null` when AWS does not know it. */
  describeStack(target: AccountTarget, region: string, stackId: string): Promise<StackFacts | null>;
  /** Exports of the region: name and exporting stack. */
  listExports(target: AccountTarget, region: string): Promise<{ name: string; exportingStackId: string }[]>;
  /** Names of the stacks importing an export; `[]` when none. */
  listImports(target: AccountTarget, region: string, exportName: string): Promise<string[]>;
  deleteStack(
    target: AccountTarget,
    region: string,
    stackId: string,
    options: { token: string; retainResources?: string[]; force?: boolean },
  ): Promise<void>;
  /** Resources that failed in the latest deletion (newest events first, up to its DELETE_IN_PROGRESS). */
  failedResources(target: AccountTarget, region: string, stackId: string): Promise<FailedResource[]>;
}

function isValidationError(error: unknown, text: RegExp): boolean {
  const e = error as { name?: string; message?: string };
  return e?.name === 'ValidationError' && text.test(e.message ?? '');
}

/** The SDK-backed writer. */
export function createAwsWriter(clients: AwsClients): AwsWriter {
  return {
    async callerAccount(target) {
      return (await clients.stsClient(target).send(new GetCallerIdentityCommand({}))).Account ?? '';
    },
    async describeStack(target, region, stackId) {
      try {
        const out = await clients
          .cloudFormation(target, region)
          .send(new DescribeStacksCommand({ StackName: stackId }));
        const s = out.Stacks?.[0];
        const account = /^arn:[^:]+:cloudformation:[^:]+:(\d{12}):/.exec(stackId)?.[1] ?? '';
        return s ? toStackFacts(s, account, region) : null;
      } catch (error) {
        if (isValidationError(error, /does not exist/)) return null;
        throw error;
      }
    },
    async listExports(target, region) {
      const out: { name: string; exportingStackId: string }[] = [];
      for await (const page of paginateListExports({ client: clients.cloudFormation(target, region) }, {})) {
        for (const e of page.Exports ?? [])
          out.push({ name: e.Name ?? '', exportingStackId: e.ExportingStackId ?? '' });
      }
      return out;
    },
    async listImports(target, region, exportName) {
      try {
        const out = await clients
          .cloudFormation(target, region)
          .send(new ListImportsCommand({ ExportName: exportName }));
        return out.Imports ?? [];
      } catch (error) {
        // AWS answers ValidationError for an export nobody imports.
        if (isValidationError(error, /not imported/)) return [];
        throw error;
      }
    },
    async deleteStack(target, region, stackId, options) {
      await clients.cloudFormation(target, region).send(
        new DeleteStackCommand({
          StackName: stackId,
          ClientRequestToken: options.token,
          ...(options.retainResources?.length ? { RetainResources: options.retainResources } : {}),
          ...(options.force ? { DeletionMode: 'FORCE_DELETE_STACK' } : {}),
        }),
      );
    },
    async failedResources(target, region, stackId) {
      const out = await clients
        .cloudFormation(target, region)
        .send(new DescribeStackEventsCommand({ StackName: stackId }));
      const failed: FailedResource[] = [];
      for (const e of out.StackEvents ?? []) {
        if (e.ResourceStatus === 'DELETE_IN_PROGRESS' && e.LogicalResourceId === e.StackName) break;
        if (e.ResourceStatus === 'DELETE_FAILED' && e.LogicalResourceId !== e.StackName) {
          failed.push({
            logicalId: e.LogicalResourceId ?? '',
            type: e.ResourceType ?? '',
            reason: e.ResourceStatusReason ?? '',
          });
        }
      }
      return failed;
    },
  };
}
