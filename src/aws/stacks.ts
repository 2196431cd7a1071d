import {
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListImportsCommand,
  ListStackResourcesCommand,
  paginateDescribeStacks,
  paginateListExports,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { StackFacts } from '../core/model.js';
import { describeFailure } from '../errors/failure.js';
import type { AwsClients } from './clients.js';
import { inspectLeftover } from './leftovers.js';
import type { AwsDeletionReader, AwsReader, FailedResource, StackResource } from './ports.js';

/**
 * The AWS read side: who the credentials belong to, and every stack of an account × region in one
 * paginated `DescribeStacks` listing (docs/design.md §8). `DescribeStacks` without a name returns tags,
 * termination protection and `ParentId` for every stack, so one listing is all a run needs; see
 * docs/design-notes.md for why the tagging API is not used for discovery. The reads the executor makes
 * right before and after a deletion live here too: they write nothing.
 */

/** CloudFormation's status reason for a deletion refused because another stack imports an export. */
const EXPORT_IN_USE = /^Export .+ cannot be deleted as it is in use by /i;

/** Stack facts from an SDK `Stack`. */
export function toStackFacts(s: Stack, account: string, region: string): StackFacts {
  const missing = (
    [
      ['StackId', s.StackId],
      ['StackName', s.StackName],
      ['StackStatus', s.StackStatus],
      ['CreationTime', s.CreationTime],
    ] as const
  ).flatMap(([field, value]) => (value === undefined ? [field] : []));
  const facts: StackFacts = {
    account,
    region,
    stackId: s.StackId ?? '',
    name: s.StackName ?? '',
    status: s.StackStatus ?? 'UNKNOWN',
    // Never a default date: a stack without one would look ancient (the verdict is unknown instead).
    createdAt: s.CreationTime?.toISOString() ?? '',
    ...(missing.length > 0 ? { missing } : {}),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    terminationProtection: s.EnableTerminationProtection === true,
  };
  if (s.StackStatusReason) facts.statusReason = s.StackStatusReason;
  // CloudFormation has no code for an export still imported: its words are read here, and only here.
  if (s.StackStatusReason && EXPORT_IN_USE.test(s.StackStatusReason)) facts.statusCause = 'EXPORT_IN_USE';
  if (s.LastUpdatedTime) facts.updatedAt = s.LastUpdatedTime.toISOString();
  if (s.ParentId) facts.parentId = s.ParentId;
  if (s.RootId) facts.rootId = s.RootId;
  return facts;
}

/** The SDK-backed reader. Endpoints and credentials come from the standard AWS environment. */
export function createAwsReader(clients: AwsClients): AwsReader {
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

/** Whether the boundary classified a failure as "not there" (`middleware.ts` reads CloudFormation's words). */
function missing(error: unknown): boolean {
  return describeFailure(error).code === 'NOT_FOUND';
}

/** The SDK-backed deletion reads. */
export function createAwsDeletionReader(clients: AwsClients): AwsDeletionReader {
  return {
    inspectLeftover: (target, region, arn, type) => inspectLeftover(clients, target, region, arn, type),
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
        if (missing(error)) return null;
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
        // AWS answers ValidationError for an export nobody imports (NOT_FOUND at the boundary).
        if (missing(error)) return [];
        throw error;
      }
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
    async stackResources(target, region, stackId) {
      const out: StackResource[] = [];
      let token: string | undefined;
      do {
        const page = await clients
          .cloudFormation(target, region)
          .send(
            new ListStackResourcesCommand({ StackName: stackId, ...(token ? { NextToken: token } : {}) }),
          );
        for (const r of page.StackResourceSummaries ?? [])
          out.push({
            logicalId: r.LogicalResourceId ?? '',
            physicalId: r.PhysicalResourceId ?? '',
            type: r.ResourceType ?? '',
            status: r.ResourceStatus ?? '',
          });
        token = page.NextToken;
      } while (token);
      return out;
    },
  };
}
