import { type SandboxRepository, type StorageView as Storage, StorageError } from './storage-types.js';

/**
 * The ECR and CloudWatch Logs calls of the sandbox's storage (AWS's API references: DescribeRepositories,
 * ListImages, DescribeImages, BatchDeleteImage, DeleteRepository, ListTagsForResource; DescribeLogGroups,
 * ListTagsForResource, DeleteLogGroup), split from storage.ts by service.
 */

/** ECR (JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.*`). */
export function ecrCall(
  storage: Storage,
  op: string,
  input: Record<string, unknown>,
  account: string,
  region: string,
): { out: Record<string, unknown>; write?: unknown } {
  const name = String(input.repositoryName ?? '');
  const arnOf = (r: SandboxRepository) => `arn:aws:ecr:${r.region}:${r.account}:repository/${r.name}`;
  const missing = () =>
    new StorageError(
      400,
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${account}'`,
    );
  if (op === 'DescribeRepositories') {
    const names = (input.repositoryNames as string[] | undefined) ?? [];
    const found = names.map((n) => storage.repository(account, region, n));
    if (found.some((r) => !r))
      throw new StorageError(
        400,
        'RepositoryNotFoundException',
        `The repository with name '${names[found.indexOf(undefined)]}' does not exist in the registry with id '${account}'`,
      );
    return {
      out: {
        repositories: (found as SandboxRepository[]).map((r) => ({
          repositoryArn: arnOf(r),
          registryId: r.account,
          repositoryName: r.name,
          repositoryUri: `${r.account}.dkr.ecr.${r.region}.amazonaws.com/${r.name}`,
          createdAt: Date.parse(r.createdAt) / 1000,
        })),
      },
    };
  }
  if (op === 'ListTagsForResource') {
    const arn = String(input.resourceArn ?? '');
    const r = storage.repositories.find((x) => arnOf(x) === arn && !x.deletedAt);
    if (!r)
      throw new StorageError(
        400,
        'RepositoryNotFoundException',
        `The repository with arn '${arn}' does not exist`,
      );
    return { out: { tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) } };
  }
  const repo = storage.repository(account, region, name);
  if (!repo) throw missing();
  if (op === 'DeleteRepository') {
    if (repo.images.length > 0 && input.force !== true)
      throw new StorageError(
        400,
        'RepositoryNotEmptyException',
        `The repository with name '${name}' in registry with id '${account}' cannot be deleted because it still contains images`,
      );
    repo.deletedAt = new Date().toISOString();
    return {
      out: {
        repository: { repositoryArn: arnOf(repo), repositoryName: repo.name, registryId: repo.account },
      },
      write: { repository: repo.name, images: repo.images.length },
    };
  }
  const page = <T>(items: T[]) => {
    const max = Math.min(Math.max(Number(input.maxResults ?? 100), 1), 1000);
    const offset = typeof input.nextToken === 'string' ? Number(input.nextToken.slice(1)) : 0;
    const slice = items.slice(offset, offset + max);
    return { slice, next: offset + max < items.length ? `o${offset + max}` : undefined };
  };
  if (op === 'ListImages') {
    const { slice, next } = page(repo.images);
    return {
      out: {
        imageIds: slice.map((i) => ({ imageDigest: i.digest, ...(i.tag ? { imageTag: i.tag } : {}) })),
        ...(next ? { nextToken: next } : {}),
      },
    };
  }
  if (op === 'DescribeImages') {
    const { slice, next } = page(repo.images);
    return {
      out: {
        imageDetails: slice.map((i) => ({
          registryId: repo.account,
          repositoryName: repo.name,
          imageDigest: i.digest,
          ...(i.tag ? { imageTags: [i.tag] } : {}),
          imageSizeInBytes: i.size,
          imagePushedAt: Date.parse(i.pushedAt) / 1000,
          ...(i.pulledAt ? { lastRecordedPullTime: Date.parse(i.pulledAt) / 1000 } : {}),
        })),
        ...(next ? { nextToken: next } : {}),
      },
    };
  }
  if (op === 'BatchDeleteImage') {
    const ids = (input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined) ?? [];
    if (ids.length === 0 || ids.length > 100)
      throw new StorageError(
        400,
        'InvalidParameterException',
        'imageIds must contain between 1 and 100 image identifiers',
      );
    const deleted: unknown[] = [];
    const failures: unknown[] = [];
    for (const id of ids) {
      const hit = repo.images.find(
        (i) => (id.imageDigest && i.digest === id.imageDigest) || (id.imageTag && i.tag === id.imageTag),
      );
      if (!hit) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
        continue;
      }
      repo.images = repo.images.filter((i) => i !== hit);
      deleted.push({ imageDigest: hit.digest, ...(hit.tag ? { imageTag: hit.tag } : {}) });
    }
    return { out: { imageIds: deleted, failures }, write: { images: deleted.length } };
  }
  throw new StorageError(400, 'UnknownOperationException', `unknown operation ${op}`);
}

/** CloudWatch Logs (JSON 1.1, `Logs_20140328.*`): DescribeLogGroups, ListTagsForResource, DeleteLogGroup. */
export function logsCall(
  storage: Storage,
  op: string,
  input: Record<string, unknown>,
  account: string,
  region: string,
): Record<string, unknown> & { __write?: unknown } {
  const live = (name: string) =>
    storage.logGroups.find(
      (g) => g.account === account && g.region === region && g.name === name && !g.deletedAt,
    );
  const notFound = () =>
    new StorageError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
  if (op === 'ListTagsForResource') {
    // The log group's ARN without `:*` (the ARN DescribeLogGroups calls logGroupArn).
    const m = /^arn:aws:logs:[^:]+:\d{12}:log-group:(.+)$/.exec(String(input.resourceArn ?? ''));
    const g = m?.[1] && !m[1].endsWith(':*') ? live(m[1]) : undefined;
    if (!m?.[1] || m[1].endsWith(':*'))
      throw new StorageError(400, 'InvalidParameterException', 'Invalid resource arn');
    if (!g) throw notFound();
    return { tags: { ...g.tags } };
  }
  if (op === 'DeleteLogGroup') {
    const g = live(String(input.logGroupName ?? ''));
    if (!g) throw notFound();
    g.deletedAt = new Date().toISOString();
    return { __write: { logGroup: g.name } };
  }
  if (op !== 'DescribeLogGroups')
    throw new StorageError(400, 'UnknownOperationException', `unknown operation ${op}`);
  const prefix = String(input.logGroupNamePrefix ?? '');
  const groups = storage.logGroups.filter(
    (g) => g.account === account && g.region === region && !g.deletedAt && g.name.startsWith(prefix),
  );
  return {
    logGroups: groups.map((g) => ({
      logGroupName: g.name,
      creationTime: Date.parse(g.createdAt),
      arn: `arn:aws:logs:${g.region}:${g.account}:log-group:${g.name}:*`,
      logGroupArn: `arn:aws:logs:${g.region}:${g.account}:log-group:${g.name}`,
      storedBytes: g.storedBytes,
    })),
  };
}
