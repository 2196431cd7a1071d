/** The sandbox storage's shapes and its error (storage.ts, storage-services.ts). */

/** An error the protocol handlers answer with (mapped to each protocol's error shape by the caller). */
export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One object version or delete marker; an unversioned bucket holds one `null` version per key. */
export interface S3Entry {
  key: string;
  versionId: string;
  /** Creation order: versions of a key are listed newest first. */
  seq: number;
  size: number;
  deleteMarker: boolean;
  lastModified: string;
  etag: string;
}

export interface Base {
  name: string;
  account: string;
  region: string;
  createdAt: string;
  tags: Record<string, string>;
  /** Gone from its service (the tagging index may still list it for a while). */
  deletedAt?: string;
  /** USD per month (Cost Explorer's resource-level data). */
  monthlyCost?: number;
}

export interface SandboxBucket extends Base {
  versioned: boolean;
  entries: S3Entry[];
  /** MFA delete: GetBucketVersioning answers `MfaDelete: Enabled`; a version is not deleted without a token. */
  mfaDelete?: boolean;
  /** Written to while emptied: after each DeleteObjects, `objects` new objects, `times` more times. */
  refill?: { objects: number; times: number };
}

export interface SandboxRepository extends Base {
  images: { digest: string; tag?: string; size: number; pushedAt: string; pulledAt?: string }[];
}

export interface SandboxLogGroup extends Base {
  storedBytes: number;
}

/** A resource as the Resource Groups Tagging API sees it. */
export interface TaggedResource {
  arn: string;
  /** `service:type`, as `ResourceTypeFilters` names it. */
  type: string;
  account: string;
  region: string;
  tags: Record<string, string>;
  deletedAt?: string;
}

/** What the ECR and Logs calls need of the storage. */
export interface StorageView {
  readonly repositories: SandboxRepository[];
  readonly logGroups: SandboxLogGroup[];
  repository(account: string, region: string, name: string): SandboxRepository | undefined;
}
