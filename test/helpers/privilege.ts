import { appendFile, readFile } from 'node:fs/promises';

/**
 * What env-reaper is documented to call, per mode, and what the sandbox saw it call. The IAM policies
 * (`deploy/iam/*.json`) and the GitLab route table of `docs/deploy.md` are the documentation.
 */

export type Mode = 'audit' | 'reap';

/** The mode a CLI command runs in, as far as permissions go (`explain` reads like audit). */
export function modeOf(command: string | undefined): Mode | undefined {
  if (command === 'audit' || command === 'explain') return 'audit';
  if (command === 'reap' || command === 'daemon') return 'reap';
  return undefined;
}

/** Sandbox log names → IAM actions. */
export function iamAction(operation: string): string {
  const s3 = /^s3:(GET|HEAD|PUT|DELETE)$/.exec(operation);
  if (s3)
    return { GET: 's3:GetObject', HEAD: 's3:GetObject', PUT: 's3:PutObject', DELETE: 's3:DeleteObject' }[
      s3[1] as 'GET'
    ];
  if (operation.startsWith('tagging:')) return operation.replace(/^tagging:/, 'tag:');
  // Bucket-level S3 operations are authorised by differently named IAM actions.
  const bucketOps: Record<string, string> = {
    's3:ListObjectVersions': 's3:ListBucketVersions',
    's3:DeleteObjects': 's3:DeleteObjectVersion',
    's3:HeadBucket': 's3:ListBucket',
    // API Gateway's management API is authorised by HTTP method on the resource path.
    'apigateway:GetRestApis': 'apigateway:GET',
  };
  return bucketOps[operation] ?? operation;
}

/** Actions granted by a documented policy. */
export async function policyActions(mode: Mode): Promise<Set<string>> {
  const policy = JSON.parse(await readFile(`deploy/iam/${mode}.json`, 'utf8')) as {
    Statement: { Action: string[] }[];
  };
  return new Set(policy.Statement.flatMap((s) => s.Action));
}

/** The GitLab route table of docs/deploy.md: route → modes. */
export async function documentedRoutes(): Promise<Map<string, Set<string>>> {
  const doc = await readFile('docs/deploy.md', 'utf8');
  const section = doc.slice(doc.indexOf('### GitLab API routes'));
  const out = new Map<string, Set<string>>();
  for (const m of section.matchAll(/^\| `([A-Z]+ [^`]+)` +\| ([a-z, ]+?) +\|/gm)) {
    out.set(m[1] as string, new Set((m[2] as string).split(',').map((x) => x.trim())));
  }
  return out;
}

interface LoggedRequest {
  service: string;
  operation: string;
  status: number;
  agent?: string;
}

/**
 * Records, for the whole suite, which calls each CLI process made against a sandbox: the requests the
 * sandbox logged between the process's start and its exit, tagged with its mode. `test/global-setup.ts`
 * checks them against the documentation when the suite ends.
 */
export async function recordCalls(
  env: Record<string, string>,
  command: string | undefined,
  since: number,
): Promise<void> {
  const file = process.env.SANDBOX_CALLS_LOG;
  const mode = modeOf(command);
  if (!file || !mode) return;
  const lines = new Set<string>();
  // Both emulators share one world: one log holds the AWS and the GitLab requests.
  // Only env-reaper's own requests (its User-Agent): a test may call the sandbox while the CLI runs.
  const own = (await requestsAt(sandboxOf(env))).slice(since).filter((r) => r.agent?.includes('env-reaper/'));
  for (const r of own) {
    if (r.service === 'aws') lines.add(JSON.stringify({ mode, kind: 'aws', name: iamAction(r.operation) }));
    // 401: a request without a valid token never reached the API it names.
    if (r.service === 'gitlab' && r.status !== 401)
      lines.add(JSON.stringify({ mode, kind: 'gitlab', name: r.operation }));
  }
  if (lines.size > 0) await appendFile(file, `${[...lines].join('\n')}\n`);
}

/** The sandbox a CLI environment points at, if any. */
export function sandboxOf(env: Record<string, string>): string | undefined {
  return env.AWS_ENDPOINT_URL ?? env.GITLAB_URL;
}

/** The sandbox's request log through its control route; empty when there is no sandbox there. */
export async function requestsAt(base: string | undefined): Promise<LoggedRequest[]> {
  if (!base?.startsWith('http://127.0.0.1')) return [];
  try {
    return (await (await fetch(`${base}/__sandbox/requests`)).json()) as LoggedRequest[];
  } catch {
    return [];
  }
}
