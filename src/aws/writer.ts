import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import type { AwsClients } from './clients.js';
import type { AwsWriter, Emptied } from './ports.js';

const MAX_ERRORS = 5;
/** Pages one emptying lists at most (10 million entries): a bucket written to as fast is not emptied. */
const MAX_PAGES = 10_000;

/** The SDK-backed writer. */
export function createAwsWriter(clients: AwsClients): AwsWriter {
  return {
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

    async emptyBucket(target, region, bucket, onBatch) {
      const { ListObjectVersionsCommand, DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
      const s3 = await clients.s3(target, region);
      const out: Emptied = { removed: 0, deleteMarkers: 0, bytes: 0, errors: [] };
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      // Each page is listed from the start of what is left: a deleted entry is gone from the listing, and
      // a marker naming a deleted version is read differently by S3-compatible stores (moto returns
      // nothing after one). Once a deletion failed, markers: a key that cannot be deleted must not loop.
      let markers = false;
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const page = await s3.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            MaxKeys: 1000,
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(versionMarker !== undefined ? { VersionIdMarker: versionMarker } : {}),
          }),
        );
        const entries = [
          ...(page.Versions ?? []).map((v) => ({
            key: v.Key,
            id: v.VersionId,
            size: v.Size ?? 0,
            marker: false,
          })),
          ...(page.DeleteMarkers ?? []).map((m) => ({ key: m.Key, id: m.VersionId, size: 0, marker: true })),
        ].filter((e): e is { key: string; id: string | undefined; size: number; marker: boolean } => !!e.key);
        if (entries.length > 0) {
          // Every entry with its VersionId: without it a versioned bucket only gains a delete marker.
          const res = await s3.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: {
                Quiet: true,
                Objects: entries.map((e) => ({ Key: e.key, ...(e.id ? { VersionId: e.id } : {}) })),
              },
            }),
          );
          const failed = new Set((res.Errors ?? []).map((e) => `${e.Key}\u0000${e.VersionId ?? ''}`));
          for (const e of entries) {
            if (failed.has(`${e.key}\u0000${e.id ?? ''}`)) continue;
            if (e.marker) out.deleteMarkers++;
            else {
              out.removed++;
              out.bytes += e.size;
            }
          }
          for (const e of res.Errors ?? [])
            if (out.errors.length < MAX_ERRORS) out.errors.push(`${e.Code ?? 'Error'}: ${e.Key ?? ''}`);
          if ((res.Errors ?? []).length > 0) markers = true;
          onBatch?.(out);
        }
        if (!page.IsTruncated) return out;
        keyMarker = markers ? page.NextKeyMarker : undefined;
        versionMarker = markers ? page.NextVersionIdMarker : undefined;
      }
      // Still listing after that many pages: something writes as fast as it is emptied.
      out.errors.push(`still not empty after ${MAX_PAGES} pages of 1,000`);
      return out;
    },

    async deleteBucket(target, region, bucket) {
      const { DeleteBucketCommand } = await import('@aws-sdk/client-s3');
      await (await clients.s3(target, region)).send(new DeleteBucketCommand({ Bucket: bucket }));
    },

    async deleteRepository(target, region, repository) {
      const { DeleteRepositoryCommand } = await import('@aws-sdk/client-ecr');
      await (await clients.ecr(target, region)).send(
        new DeleteRepositoryCommand({ repositoryName: repository, force: true }),
      );
    },

    async deleteLogGroup(target, region, logGroup) {
      const { DeleteLogGroupCommand } = await import('@aws-sdk/client-cloudwatch-logs');
      await (await clients.logs(target, region)).send(new DeleteLogGroupCommand({ logGroupName: logGroup }));
    },

    async emptyRepository(target, region, repository) {
      const { DescribeImagesCommand, BatchDeleteImageCommand } = await import('@aws-sdk/client-ecr');
      const ecr = await clients.ecr(target, region);
      const out: Emptied = { removed: 0, deleteMarkers: 0, bytes: 0, errors: [] };
      // DescribeImages rather than ListImages: one listing gives digests and sizes (the bytes reported).
      const images: { digest: string; size: number }[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ecr.send(
          new DescribeImagesCommand({
            repositoryName: repository,
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        for (const d of page.imageDetails ?? [])
          if (d.imageDigest) images.push({ digest: d.imageDigest, size: d.imageSizeInBytes ?? 0 });
        nextToken = page.nextToken;
      } while (nextToken);
      for (let i = 0; i < images.length; i += 100) {
        const batch = images.slice(i, i + 100);
        const res = await ecr.send(
          new BatchDeleteImageCommand({
            repositoryName: repository,
            imageIds: batch.map((b) => ({ imageDigest: b.digest })),
          }),
        );
        const gone = new Set((res.imageIds ?? []).map((x) => x.imageDigest));
        for (const b of batch) {
          if (!gone.has(b.digest)) continue;
          out.removed++;
          out.bytes += b.size;
        }
        for (const f of res.failures ?? [])
          if (out.errors.length < MAX_ERRORS)
            out.errors.push(`${f.failureCode ?? 'Error'}: ${f.imageId?.imageDigest ?? ''}`);
      }
      return out;
    },
  };
}
