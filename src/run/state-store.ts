import { openS3Bucket } from '../aws/s3-bucket.js';
import type { Config } from '../config/schema.js';
import { FileStateStore } from '../state/file-store.js';
import type { StateStore } from '../state/ports.js';
import { S3StateStore } from '../state/s3-store.js';

/** The configured state backend: a local file, or one object of an S3 bucket. */
export async function createStateStore(config: Config): Promise<StateStore> {
  if (config.state.backend === 's3') {
    const bucket = await openS3Bucket({
      bucket: config.state.bucket ?? '',
      forcePathStyle: config.state.forcePathStyle,
      timeoutMs: config.aws.timeout,
      maxAttempts: config.aws.maxAttempts,
    });
    return new S3StateStore({ bucket, key: config.state.key, lockTtlMs: config.state.lockTtl });
  }
  return new FileStateStore(config.state.path);
}
