import type { Config } from '../config/schema.js';
import { FileStateStore } from './file-store.js';
import type { StateStore } from './state.js';

/**
 * The configured state backend. The S3 store is imported only when configured: the S3 client takes
 * about 70 ms to load, which every file-state run would otherwise pay.
 */
export async function createStateStore(config: Config): Promise<StateStore> {
  if (config.state.backend === 's3') {
    const { S3StateStore } = await import('./s3-store.js');
    return new S3StateStore({
      bucket: config.state.bucket ?? '',
      key: config.state.key,
      forcePathStyle: config.state.forcePathStyle,
      lockTtlMs: config.state.lockTtl,
      timeoutMs: config.aws.timeout,
      maxAttempts: config.aws.maxAttempts,
    });
  }
  return new FileStateStore(config.state.path);
}
