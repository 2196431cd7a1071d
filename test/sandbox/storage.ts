import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ScenarioContents, ScenarioLoose } from './scenario.js';
import { ecrCall, logsCall } from './storage-services.js';
import {
  type Base,
  type S3Entry,
  type SandboxBucket,
  type SandboxLogGroup,
  type SandboxRepository,
  StorageError,
  type TaggedResource,
} from './storage-types.js';

export type { S3Entry, SandboxBucket, SandboxLogGroup, SandboxRepository, TaggedResource };
export { StorageError };

/**
 * The resources a review app leaves behind or fills up: S3 buckets (versioned or not), ECR repositories
 * and CloudWatch Logs log groups, with the wire behaviour env-reaper and the AWS CLI rely on (AWS's API
 * reference: ListObjectVersions, DeleteObjects, HeadBucket; ECR ListImages, DescribeImages,
 * BatchDeleteImage, DescribeRepositories; Logs DescribeLogGroups). Stack resources of these types are
 * backed by these objects, so a non-empty bucket fails its stack's deletion as on AWS.
 */

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function xmlEsc(v: unknown): string {
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlUnesc(v: string): string {
  return v
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/** The sandbox's buckets, repositories and log groups, for every account and region. */
export class Storage {
  readonly buckets = new Map<string, SandboxBucket>();
  readonly repositories: SandboxRepository[] = [];
  readonly logGroups: SandboxLogGroup[] = [];
  private seq = 0;

  /** Creates a bucket (names are global, as on S3) and fills it. */
  addBucket(b: Omit<SandboxBucket, 'entries' | 'versioned'>, contents?: ScenarioContents): SandboxBucket {
    if (this.buckets.has(b.name) && !this.buckets.get(b.name)?.deletedAt)
      throw new Error(`scenario: bucket ${b.name} exists twice`);
    const bucket: SandboxBucket = { ...b, versioned: contents?.versioned ?? false, entries: [] };
    const c = contents;
    if (c) {
      const width = String(c.objects).length;
      const keys = [
        ...Array.from({ length: c.objects }, (_, i) => `objects/${String(i).padStart(width, '0')}.bin`),
        ...c.keys,
      ];
      for (const [i, key] of keys.entries()) {
        const versions = bucket.versioned ? Math.max(1, c.versionsPerObject) : 1;
        for (let v = 0; v < versions; v++) this.put(bucket, key, c.objectBytes);
        if (bucket.versioned && i < c.deleteMarkers) this.mark(bucket, key);
      }
    }
    this.buckets.set(b.name, bucket);
    return bucket;
  }

  /** Creates a repository holding `contents.images` images (every other one tagged). */
  addRepository(r: Omit<SandboxRepository, 'images'>, contents?: ScenarioContents): SandboxRepository {
    const repo: SandboxRepository = { ...r, images: [] };
    for (let i = 0; i < (contents?.images ?? 0); i++) {
      const digest = `sha256:${createHash('sha256').update(`${r.name}/${i}`).digest('hex')}`;
      repo.images.push({
        digest,
        ...(i % 2 === 0 ? { tag: `build-${i}` } : {}),
        size: contents?.imageBytes ?? 10_000_000,
        pushedAt: r.createdAt,
      });
    }
    this.repositories.push(repo);
    return repo;
  }

  /** A region's loose resources (outside stacks), with their failure modes. */
  addLoose(
    r: { buckets: ScenarioLoose[]; repositories: ScenarioLoose[]; logGroups: ScenarioLoose[] },
    loose: (l: ScenarioLoose) => Omit<Base, 'storedBytes'>,
    t: (text: string) => string,
  ): void {
    for (const b of r.buckets) {
      const bucket = this.addBucket(loose(b), b.contents);
      if (b.mfaDelete) bucket.mfaDelete = true;
      if (b.refill) bucket.refill = { ...b.refill };
    }
    for (const b of r.repositories) {
      const repo = this.addRepository(loose(b), b.contents);
      if (b.pulled !== undefined) {
        const at = t(b.pulled);
        repo.images = repo.images.map((i) => ({ ...i, pulledAt: at }));
      }
    }
    for (const g of r.logGroups) this.addLogGroup({ ...loose(g), storedBytes: 4096 });
  }

  addLogGroup(g: SandboxLogGroup): SandboxLogGroup {
    this.logGroups.push(g);
    return g;
  }

  private put(bucket: SandboxBucket, key: string, size: number): S3Entry {
    const seq = ++this.seq;
    const e: S3Entry = {
      key,
      versionId: bucket.versioned ? `v${String(seq).padStart(12, '0')}` : 'null',
      seq,
      size,
      deleteMarker: false,
      lastModified: new Date().toISOString(),
      etag: `"${createHash('md5').update(`${key}/${seq}`).digest('hex')}"`,
    };
    if (!bucket.versioned) bucket.entries = bucket.entries.filter((x) => x.key !== key);
    bucket.entries.push(e);
    return e;
  }

  private mark(bucket: SandboxBucket, key: string): S3Entry {
    const seq = ++this.seq;
    const e: S3Entry = {
      key,
      versionId: `v${String(seq).padStart(12, '0')}`,
      seq,
      size: 0,
      deleteMarker: true,
      lastModified: new Date().toISOString(),
      etag: '',
    };
    bucket.entries.push(e);
    return e;
  }

  /** A live bucket by name, in any account (S3 names are global). */
  bucket(name: string): SandboxBucket | undefined {
    const b = this.buckets.get(name);
    return b && !b.deletedAt ? b : undefined;
  }

  repository(account: string, region: string, name: string): SandboxRepository | undefined {
    return this.repositories.find(
      (r) => r.account === account && r.region === region && r.name === name && !r.deletedAt,
    );
  }

  /**
   * Cost Explorer resource ids → monthly cost: S3 buckets by name, the rest by ARN (as in the cost and
   * usage data).
   */
  costIds(account: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const b of this.buckets.values())
      if (b.account === account && b.monthlyCost !== undefined) out.set(b.name, b.monthlyCost);
    for (const r of this.repositories)
      if (r.account === account && r.monthlyCost !== undefined)
        out.set(`arn:aws:ecr:${r.region}:${r.account}:repository/${r.name}`, r.monthlyCost);
    for (const g of this.logGroups)
      if (g.account === account && g.monthlyCost !== undefined)
        out.set(`arn:aws:logs:${g.region}:${g.account}:log-group:${g.name}`, g.monthlyCost);
    return out;
  }

  /** Everything the tagging API can return (deleted resources too; the caller applies staleness). */
  tagged(): TaggedResource[] {
    const out: TaggedResource[] = [];
    const add = (r: Base, arn: string, type: string) =>
      out.push({
        arn,
        type,
        account: r.account,
        region: r.region,
        tags: r.tags,
        ...(r.deletedAt ? { deletedAt: r.deletedAt } : {}),
      });
    for (const b of this.buckets.values()) add(b, `arn:aws:s3:::${b.name}`, 's3:bucket');
    for (const r of this.repositories)
      add(r, `arn:aws:ecr:${r.region}:${r.account}:repository/${r.name}`, 'ecr:repository');
    for (const g of this.logGroups)
      add(g, `arn:aws:logs:${g.region}:${g.account}:log-group:${g.name}`, 'logs:log-group');
    return out.filter((r) => Object.keys(r.tags).length > 0);
  }

  /** S3 REST on a bucket of this sandbox: HeadBucket, ListObjectVersions, DeleteObjects. */
  s3(
    req: IncomingMessage,
    body: Buffer,
    bucket: SandboxBucket,
  ): { operation: string; status: number; headers: Record<string, string>; body?: string; write?: unknown } {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const rest = url.pathname.split('/').slice(2).join('/');
    if (rest !== '') throw new StorageError(501, 'NotImplemented', 'object operations on this bucket');
    const xml = { 'content-type': 'application/xml' };
    if (req.method === 'HEAD')
      return { operation: 'HeadBucket', status: 200, headers: { 'x-amz-bucket-region': bucket.region } };
    if (req.method === 'GET' && url.searchParams.has('tagging')) {
      const tags = Object.entries(bucket.tags);
      if (tags.length === 0) throw new StorageError(404, 'NoSuchTagSet', 'The TagSet does not exist');
      return {
        operation: 'GetBucketTagging',
        status: 200,
        headers: xml,
        body: `<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="${S3_NS}"><TagSet>${tags
          .map(([k, v]) => `<Tag><Key>${xmlEsc(k)}</Key><Value>${xmlEsc(v)}</Value></Tag>`)
          .join('')}</TagSet></Tagging>`,
      };
    }
    if (req.method === 'GET' && url.searchParams.has('versioning')) {
      // A bucket never versioned answers an empty configuration (no Status).
      const status = bucket.versioned ? '<Status>Enabled</Status>' : '';
      const mfa = bucket.mfaDelete ? '<MfaDelete>Enabled</MfaDelete>' : '';
      return {
        operation: 'GetBucketVersioning',
        status: 200,
        headers: xml,
        body: `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="${S3_NS}">${status}${mfa}</VersioningConfiguration>`,
      };
    }
    if (req.method === 'DELETE' && [...url.searchParams.keys()].length === 0) {
      if (bucket.entries.length > 0)
        throw new StorageError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
      bucket.deletedAt = new Date().toISOString();
      return { operation: 'DeleteBucket', status: 204, headers: {}, write: { bucket: bucket.name } };
    }
    if (req.method === 'GET' && url.searchParams.has('versions')) {
      return {
        operation: 'ListObjectVersions',
        status: 200,
        headers: xml,
        body: this.listVersions(bucket, url.searchParams),
      };
    }
    if (req.method === 'POST' && url.searchParams.has('delete')) {
      const { body: out, removed } = this.deleteObjects(req, body, bucket);
      return { operation: 'DeleteObjects', status: 200, headers: xml, body: out, write: removed };
    }
    throw new StorageError(
      405,
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
    );
  }

  private ordered(bucket: SandboxBucket): S3Entry[] {
    return [...bucket.entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.seq - a.seq));
  }

  private listVersions(bucket: SandboxBucket, q: URLSearchParams): string {
    const max = Math.min(Math.max(Number(q.get('max-keys') ?? 1000) || 1000, 1), 1000);
    const keyMarker = q.get('key-marker') ?? '';
    const versionMarker = q.get('version-id-marker') ?? '';
    const prefix = q.get('prefix') ?? '';
    const url = q.get('encoding-type') === 'url';
    const enc = (k: string) => xmlEsc(url ? encodeURIComponent(k) : k);
    const markerSeq = versionMarker && versionMarker !== 'null' ? Number(versionMarker.slice(1)) : undefined;
    const after = this.ordered(bucket).filter(
      (e) =>
        e.key.startsWith(prefix) &&
        (keyMarker === '' ||
          e.key > keyMarker ||
          (e.key === keyMarker && markerSeq !== undefined && e.seq < markerSeq)),
    );
    const page = after.slice(0, max);
    // The newest seq of each key, in one pass (a bucket may hold 100,000 versions).
    const newest = new Map<string, number>();
    for (const e of bucket.entries) newest.set(e.key, Math.max(newest.get(e.key) ?? 0, e.seq));
    const latest = (e: S3Entry) => newest.get(e.key) === e.seq;
    const truncated = after.length > max;
    const last = page[page.length - 1];
    const items = page
      .map((e) =>
        e.deleteMarker
          ? `<DeleteMarker><Key>${enc(e.key)}</Key><VersionId>${e.versionId}</VersionId><IsLatest>${latest(e)}</IsLatest><LastModified>${e.lastModified}</LastModified></DeleteMarker>`
          : `<Version><Key>${enc(e.key)}</Key><VersionId>${e.versionId}</VersionId><IsLatest>${latest(e)}</IsLatest><LastModified>${e.lastModified}</LastModified><ETag>${xmlEsc(e.etag)}</ETag><Size>${e.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
      )
      .join('');
    const next =
      truncated && last
        ? `<NextKeyMarker>${enc(last.key)}</NextKeyMarker><NextVersionIdMarker>${last.versionId}</NextVersionIdMarker>`
        : '';
    return `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="${S3_NS}"><Name>${xmlEsc(bucket.name)}</Name><Prefix>${enc(prefix)}</Prefix><KeyMarker>${enc(keyMarker)}</KeyMarker><VersionIdMarker>${xmlEsc(versionMarker)}</VersionIdMarker><MaxKeys>${max}</MaxKeys>${url ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${next}${items}</ListVersionsResult>`;
  }

  private deleteObjects(
    req: IncomingMessage,
    body: Buffer,
    bucket: SandboxBucket,
  ): { body: string; removed: { versions: number; markers: number; added: number } } {
    const md5 = req.headers['content-md5'];
    const checksum = Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-'));
    if (!md5 && !checksum)
      throw new StorageError(400, 'InvalidRequest', 'Missing required header for this request: Content-Md5');
    if (typeof md5 === 'string' && md5 !== createHash('md5').update(body).digest('base64'))
      throw new StorageError(
        400,
        'BadDigest',
        'The Content-MD5 you specified did not match what we received.',
      );
    const text = body.toString();
    const objects = [...text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => {
      const inner = m[1] ?? '';
      const key = /<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1];
      const version = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(inner)?.[1];
      return { key: key === undefined ? undefined : xmlUnesc(key), versionId: version && xmlUnesc(version) };
    });
    if (objects.length === 0 || objects.length > 1000 || objects.some((o) => o.key === undefined))
      throw new StorageError(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    // MFA delete: a request that deletes any version without `x-amz-mfa` fails whole (DeleteObjects docs).
    if (bucket.mfaDelete && !req.headers['x-amz-mfa'] && objects.some((o) => o.versionId))
      throw new StorageError(403, 'AccessDenied', 'Mfa Authentication must be used for this request');
    const quiet = /<Quiet>true<\/Quiet>/i.test(text);
    const removed = { versions: 0, markers: 0, added: 0 };
    // Indexed once per request, removed once after it: a batch of 1,000 from 100,000 versions stays cheap.
    const byVersion = new Map(bucket.entries.map((e) => [`${e.key}\u0000${e.versionId}`, e]));
    const gone = new Set<S3Entry>();
    const results = objects.map(({ key, versionId }) => {
      const k = key as string;
      if (versionId) {
        const hit = byVersion.get(`${k}\u0000${versionId}`);
        if (hit && !gone.has(hit)) {
          gone.add(hit);
          if (hit.deleteMarker) removed.markers++;
          else removed.versions++;
        }
        const marker = hit?.deleteMarker
          ? `<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${versionId}</DeleteMarkerVersionId>`
          : '';
        return `<Deleted><Key>${xmlEsc(k)}</Key><VersionId>${xmlEsc(versionId)}</VersionId>${marker}</Deleted>`;
      }
      if (!bucket.versioned) {
        const hit = byVersion.get(`${k}\u0000null`);
        if (hit && !gone.has(hit)) {
          gone.add(hit);
          removed.versions++;
        }
        return `<Deleted><Key>${xmlEsc(k)}</Key></Deleted>`;
      }
      // Versioned, no version id: S3 only adds a delete marker; the data stays.
      const m = this.mark(bucket, k);
      removed.added++;
      return `<Deleted><Key>${xmlEsc(k)}</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>${m.versionId}</DeleteMarkerVersionId></Deleted>`;
    });
    if (gone.size > 0) bucket.entries = bucket.entries.filter((e) => !gone.has(e));
    // Something still writes to the bucket (the review app's workers): new objects arrive meanwhile.
    if (bucket.refill && bucket.refill.times > 0) {
      bucket.refill.times--;
      for (let i = 0; i < bucket.refill.objects; i++) this.put(bucket, `late/${this.seq}-${i}.bin`, 1024);
    }
    return {
      body: `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="${S3_NS}">${quiet ? '' : results.join('')}</DeleteResult>`,
      removed,
    };
  }

  /** ECR (JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.*`): storage-services.ts. */
  ecr(op: string, input: Record<string, unknown>, account: string, region: string) {
    return ecrCall(this, op, input, account, region);
  }

  /** CloudWatch Logs (JSON 1.1, `Logs_20140328.*`): storage-services.ts. */
  logs(op: string, input: Record<string, unknown>, account: string, region: string) {
    return logsCall(this, op, input, account, region);
  }
}
