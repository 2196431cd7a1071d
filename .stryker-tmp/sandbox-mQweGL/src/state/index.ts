// @ts-nocheck
import type { Config } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';
import { FileStateStore } from './file-store.js';
import { S3StateStore } from './s3-store.js';
import type { StateStore } from './state.js';

/** The configured state backend. */
export function createStateStore(config: Config): StateStore {
  if (config.state.backend === 's3') {
    return new S3StateStore({
      bucket: config.state.bucket ?? '',
      key: config.state.key,
      forcePathStyle: config.state.forcePathStyle,
      lockTtlMs: parseDuration(config.state.lockTtl) ?? 6 * 3_600_000,
    });
  }
  return new FileStateStore(config.state.path);
}
