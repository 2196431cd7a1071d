import { arnType } from '../core/leftovers.js';
import { describeFailure } from '../errors/failure.js';
import type { AwsClients } from './clients.js';
import type { AwsLeftoverReader, TaggedHit } from './ports.js';

/**
 * The reads behind the leftovers section: resources still tagged with a deleted environment (Resource
 * Groups Tagging API `GetResources`), and each hit confirmed with its own service, because the tagging
 * index keeps listing deleted resources for hours.
 */

/** A resource that is not there: the boundary's `NOT_FOUND` (`NoSuchBucket`, a bodiless 404, `*NotFound*`). */
function gone(error: unknown): boolean {
  return describeFailure(error).code === 'NOT_FOUND';
}

/** The SDK-backed leftover reads. */
export function createAwsLeftoverReader(clients: AwsClients): AwsLeftoverReader {
  return {
    async tagged(target, region, filters) {
      const { GetResourcesCommand } = await import('@aws-sdk/client-resource-groups-tagging-api');
      const client = await clients.tagging(target, region);
      const out: TaggedHit[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new GetResourcesCommand({
            TagFilters: filters.map((f) => ({ Key: f.key, Values: [f.value] })),
            ResourcesPerPage: 100,
            ...(token ? { PaginationToken: token } : {}),
          }),
        );
        for (const m of page.ResourceTagMappingList ?? []) {
          if (!m.ResourceARN) continue;
          const tags: Record<string, string> = {};
          for (const t of m.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
          out.push({ arn: m.ResourceARN, type: arnType(m.ResourceARN), tags });
        }
        // An empty string ends the listing.
        token = page.PaginationToken || undefined;
      } while (token);
      return out;
    },

    async exists(target, region, hit) {
      const resource = hit.arn.split(':').slice(5).join(':');
      if (hit.type === 's3:bucket') {
        const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
        try {
          await (await clients.s3(target, region)).send(new HeadBucketCommand({ Bucket: resource }));
          return { state: 'exists' };
        } catch (error) {
          if (gone(error)) return { state: 'gone' };
          throw error;
        }
      }
      if (hit.type === 'ecr:repository') {
        const { DescribeRepositoriesCommand } = await import('@aws-sdk/client-ecr');
        const name = resource.replace(/^repository\//, '');
        try {
          const out = await (await clients.ecr(target, region)).send(
            new DescribeRepositoriesCommand({ repositoryNames: [name] }),
          );
          const created = out.repositories?.[0]?.createdAt;
          return { state: 'exists', ...(created ? { createdAt: created.toISOString() } : {}) };
        } catch (error) {
          if (gone(error)) return { state: 'gone' };
          throw error;
        }
      }
      if (hit.type === 'logs:log-group') {
        const { DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
        const name = resource.replace(/^log-group:/, '').replace(/:\*$/, '');
        const out = await (await clients.logs(target, region)).send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: name }),
        );
        const group = out.logGroups?.find((g) => g.logGroupName === name);
        if (!group) return { state: 'gone' };
        return {
          state: 'exists',
          ...(group.creationTime ? { createdAt: new Date(group.creationTime).toISOString() } : {}),
        };
      }
      return { state: 'unverified' };
    },
  };
}
