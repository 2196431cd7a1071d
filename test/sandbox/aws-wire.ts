import type { IncomingMessage } from 'node:http';
import type { SandboxStack, World } from './world.js';

/** AWS wire formats of the sandbox: awsQuery XML, pagination tokens, SigV4 scopes, errors. */

export const CFN_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** JSON 1.1 target prefixes → the service names the request log (and IAM) use. */
export const JSON_SERVICES: Record<string, string> = {
  ResourceGroupsTaggingAPI_20170126: 'tagging',
  AWSInsightsIndexService: 'ce',
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
  Logs_20140328: 'logs',
  GraniteServiceVersion20100801: 'cloudwatch',
};
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export function esc(v: unknown): string {
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `{A: 1, B: [..]}` → XML; arrays become `<member>` lists, undefined is skipped. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return esc(value);
}

export function token(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64');
}

export function offsetOf(text: string | undefined): number {
  if (!text) return 0;
  try {
    return (JSON.parse(Buffer.from(text, 'base64').toString()) as { o: number }).o;
  } catch {
    throw new AwsError(400, 'ValidationError', 'Invalid NextToken');
  }
}

/** `Name.member.1=…` lists from a form body. */
export function list(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.member.${i}`); i++) out.push(form.get(`${name}.member.${i}`) as string);
  return out;
}

export interface Scope {
  accessKeyId: string;
  region: string;
  service: string;
}

export function scopeOf(req: IncomingMessage): Scope {
  const auth = req.headers.authorization ?? '';
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  return { accessKeyId: m?.[1] ?? '', region: m?.[2] ?? 'us-east-1', service: m?.[3] ?? '' };
}

export function stackXml(s: SandboxStack): Record<string, unknown> {
  return {
    ...summaryXml(s),
    DisableRollback: 'false',
    EnableTerminationProtection: String(s.terminationProtection),
    Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
    Outputs: s.exports.map((e) => ({ OutputKey: e.name, OutputValue: e.value, ExportName: e.name })),
  };
}

export function summaryXml(s: SandboxStack): Record<string, unknown> {
  return {
    StackId: s.stackId,
    StackName: s.name,
    CreationTime: s.createdAt,
    LastUpdatedTime: s.updatedAt,
    DeletionTime: s.deletedAt,
    StackStatus: s.status,
    StackStatusReason: s.statusReason,
    ParentId: s.parentId,
    RootId: s.rootId,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

/** The account a request acts in: the one its access key belongs to, else the scenario's first. */
export function accountOf(world: World, scope: Scope): string {
  return world.accessKeys.get(scope.accessKeyId) ?? world.defaultAccount;
}

/** The S3 operation a bucket-level request is (named before it runs, so a refused one is logged by name). */
export function bucketOperation(req: IncomingMessage): string {
  const q = new URL(req.url ?? '/', 'http://sandbox').searchParams;
  if (req.method === 'HEAD') return 'HeadBucket';
  if (req.method === 'DELETE') return 'DeleteBucket';
  if (req.method === 'POST' && q.has('delete')) return 'DeleteObjects';
  if (q.has('tagging')) return 'GetBucketTagging';
  if (q.has('versioning')) return 'GetBucketVersioning';
  if (q.has('versions')) return 'ListObjectVersions';
  return String(req.method);
}
