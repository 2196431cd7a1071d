import { arnType } from '../core/leftovers.js';
import { describeFailure } from '../errors/failure.js';
import type { AwsClients } from './clients.js';
import type { AwsLeftoverReader, LeftoverInspection, TaggedHit } from './ports.js';

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

/** A tag list as the services return it (`Key`/`Value`, ECR's too), as a map. */
function tagMap(list: { Key?: string | undefined; Value?: string | undefined }[] | undefined) {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/**
 * A leftover re-read from its own service right before its deletion (the tagging index lags): whether
 * it exists, its tags now, and what would stop the deletion (MFA delete on a bucket, a recent image
 * pull). A resource that is gone answers `exists: false`; any other failure throws (never a deletion).
 */
export async function inspectLeftover(
  clients: AwsClients,
  target: Parameters<AwsLeftoverReader['tagged']>[0],
  region: string,
  arn: string,
  type: string,
): Promise<LeftoverInspection> {
  const resource = arn.split(':').slice(5).join(':');
  const absent = { exists: false, tags: {} };
  try {
    if (type === 's3:bucket') {
      const s3 = await import('@aws-sdk/client-s3');
      const client = await clients.s3(target, region);
      let tags: Record<string, string> = {};
      try {
        tags = tagMap((await client.send(new s3.GetBucketTaggingCommand({ Bucket: resource }))).TagSet);
      } catch (error) {
        // A bucket without tags answers NoSuchTagSet (404): no tags, not a missing bucket.
        if (describeFailure(error).serviceCode !== 'NoSuchTagSet') throw error;
      }
      const versioning = await client.send(new s3.GetBucketVersioningCommand({ Bucket: resource }));
      return { exists: true, tags, mfaDelete: versioning.MFADelete === 'Enabled' };
    }
    if (type === 'ecr:repository') {
      const ecr = await import('@aws-sdk/client-ecr');
      const client = await clients.ecr(target, region);
      const name = resource.replace(/^repository\//, '');
      const tags = tagMap((await client.send(new ecr.ListTagsForResourceCommand({ resourceArn: arn }))).tags);
      let last = 0;
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ecr.DescribeImagesCommand({
            repositoryName: name,
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        for (const d of page.imageDetails ?? [])
          last = Math.max(last, d.lastRecordedPullTime?.getTime() ?? 0);
        nextToken = page.nextToken;
      } while (nextToken);
      return { exists: true, tags, ...(last > 0 ? { lastPulledAt: new Date(last).toISOString() } : {}) };
    }
    if (type === 'logs:log-group') {
      const logs = await import('@aws-sdk/client-cloudwatch-logs');
      const client = await clients.logs(target, region);
      // ListTagsForResource takes the group's ARN without the `:*` DescribeLogGroups adds.
      const out = await client.send(
        new logs.ListTagsForResourceCommand({ resourceArn: arn.replace(/:\*$/, '') }),
      );
      return { exists: true, tags: out.tags ?? {} };
    }
  } catch (error) {
    if (gone(error) && describeFailure(error).serviceCode !== 'NoSuchTagSet') return absent;
    throw error;
  }
  throw new Error(`${type} leftovers cannot be deleted`);
}
