import type { S3Client } from '@aws-sdk/client-s3';
import { describeFailure } from '../errors/failure.js';
import type { ObjectBucket } from '../state/ports.js';
import { USER_AGENT } from '../util/version.js';
import { classifyFailures } from './middleware.js';

/**
 * The state store's bucket on S3: GetObject / HeadObject / PutObject with `If-Match` or
 * `If-None-Match: *` / DeleteObject, and nothing else. Missing objects and refused conditions are
 * answers, not errors (the port says so); everything else throws, stamped `state` for errors[].
 */

/** Options of the state bucket. */
export interface S3BucketOptions {
  bucket: string;
  /** Path-style URLs (S3-compatible endpoints, the sandbox). */
  forcePathStyle: boolean;
  /** Deadline of one request attempt (`aws.timeout`): a silent endpoint must not hold the run. */
  timeoutMs: number;
  /** Attempts per call (`aws.maxAttempts`). */
  maxAttempts: number;
  /** A client to use instead (tests point one at the sandbox). */
  client?: S3Client;
}

/** A refused condition (412, `PreconditionFailed`), an answer of the port. */
function isPrecondition(error: unknown): boolean {
  return describeFailure(error).code === 'CONFLICT';
}

/** A missing object (404, `NoSuchKey`), an answer of the port. */
function isMissing(error: unknown): boolean {
  return describeFailure(error).code === 'NOT_FOUND';
}

/**
 * Opens the bucket. The S3 client is imported only here, when the S3 backend is configured: it takes
 * about 70 ms to load, which every file-state run would otherwise pay.
 */
export async function openS3Bucket(options: S3BucketOptions): Promise<ObjectBucket> {
  const s3 = await import('@aws-sdk/client-s3');
  let client = options.client;
  if (!client) {
    client = new s3.S3Client({
      forcePathStyle: options.forcePathStyle,
      customUserAgent: USER_AGENT,
      maxAttempts: options.maxAttempts,
      requestHandler: {
        requestTimeout: options.timeoutMs,
        throwOnRequestTimeout: true,
        connectionTimeout: Math.min(options.timeoutMs, 10_000),
      },
    });
    classifyFailures(client, 'state');
  }
  const s3Client = client;
  const Bucket = options.bucket;
  return {
    name: `s3://${Bucket}`,
    async get(Key) {
      try {
        const out = await s3Client.send(new s3.GetObjectCommand({ Bucket, Key }));
        return { body: (await out.Body?.transformToString()) ?? '', etag: out.ETag };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async head(Key) {
      try {
        return { etag: (await s3Client.send(new s3.HeadObjectCommand({ Bucket, Key }))).ETag };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async put(Key, Body, condition) {
      try {
        const out = await s3Client.send(
          new s3.PutObjectCommand({
            Bucket,
            Key,
            Body,
            ContentType: 'application/json',
            ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: '*' }),
          }),
        );
        return { written: true, etag: out.ETag };
      } catch (error) {
        if (isPrecondition(error)) return { written: false };
        throw error;
      }
    },
    async delete(Key) {
      await s3Client.send(new s3.DeleteObjectCommand({ Bucket, Key }));
    },
  };
}
