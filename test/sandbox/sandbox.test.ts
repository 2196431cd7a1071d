import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListExportsCommand,
  ListImportsCommand,
  ListStacksCommand,
  paginateDescribeStacks,
} from '@aws-sdk/client-cloudformation';
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from './index.js';

const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'x' };

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met before deadline: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sandbox: AWS through the real SDK', () => {
  let sb: Sandbox;
  let cfn: CloudFormationClient;
  beforeAll(async () => {
    sb = await startSandbox({
      scenario: {
        aws: {
          deleteSeconds: 0.2,
          describePageSize: 3,
          accounts: [
            {
              id: '111111111111',
              accessKeyId: 'AKIATEST',
              roles: [{ arn: 'arn:aws:iam::222222222222:role/reaper' }],
              regions: {
                'eu-west-1': {
                  stacks: [
                    ...Array.from({ length: 7 }, (_, i) => ({
                      name: `s${i}`,
                      tags: { 'gitlab:project-id': '1', n: String(i) },
                    })),
                    { name: 'protected', terminationProtection: true, tags: { 'gitlab:project-id': '1' } },
                    { name: 'exporter', exports: [{ name: 'ex-1' }] },
                    { name: 'importer', imports: ['ex-1'] },
                    {
                      name: 'failing',
                      deletion: { outcome: 'failed', failedResources: [{ logicalId: 'Bucket' }] },
                    },
                    { name: 'nested', parent: 's0' },
                  ],
                },
              },
            },
            { id: '222222222222', regions: { 'eu-west-1': { stacks: [{ name: 'other-account' }] } } },
          ],
        },
      },
    });
    cfn = new CloudFormationClient({
      region: 'eu-west-1',
      endpoint: sb.awsEndpoint,
      credentials,
      maxAttempts: 1,
    });
  });
  afterAll(() => sb.close());

  it('pages DescribeStacks with NextToken', async () => {
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeStacks({ client: cfn }, {})) {
      pages++;
      names.push(...(page.Stacks ?? []).map((s) => s.StackName as string));
    }
    expect(pages).toBe(4); // 12 stacks, 3 a page
    expect(names).toContain('s6');
    expect(names).toContain('nested');
    const nested = (await cfn.send(new DescribeStacksCommand({ StackName: 'nested' }))).Stacks?.[0];
    expect(nested?.ParentId).toMatch(/stack\/s0\//);
    expect(nested?.Tags).toEqual(expect.arrayContaining([{ Key: 'gitlab:project-id', Value: '1' }]));
  });

  it('answers ValidationError for a missing stack by name', async () => {
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'nope' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id nope does not exist',
    });
  });

  it('moves a deleted stack through DELETE_IN_PROGRESS to DELETE_COMPLETE, findable only by id', async () => {
    const id = (await cfn.send(new DescribeStacksCommand({ StackName: 's1' }))).Stacks?.[0]
      ?.StackId as string;
    await cfn.send(new DeleteStackCommand({ StackName: id, ClientRequestToken: 'run-1-s1' }));
    const status = async () =>
      (await cfn.send(new DescribeStacksCommand({ StackName: id }))).Stacks?.[0]?.StackStatus;
    expect(await status()).toBe('DELETE_IN_PROGRESS');
    await until(status, (s) => s === 'DELETE_COMPLETE');
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 's1' }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
    const listed = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));
    expect(listed.StackSummaries?.map((s) => s.StackName)).toContain('s1');
    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: id }));
    expect(events.StackEvents?.[0]?.ClientRequestToken).toBe('run-1-s1');
    expect(sb.world.writes.filter((w) => w.operation === 'DeleteStack').map((w) => w.target)).toContain(id);
  });

  it('deleting a missing stack is a no-op', async () => {
    await expect(cfn.send(new DeleteStackCommand({ StackName: 'never-existed' }))).resolves.toBeDefined();
  });

  it('refuses termination-protected stacks with the real message', async () => {
    await expect(cfn.send(new DeleteStackCommand({ StackName: 'protected' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack [protected] cannot be deleted while TerminationProtection is enabled',
    });
  });

  it('rolls an exporter back to its previous status while its export is imported', async () => {
    const exports = await cfn.send(new ListExportsCommand({}));
    expect(exports.Exports?.[0]?.Name).toBe('ex-1');
    expect((await cfn.send(new ListImportsCommand({ ExportName: 'ex-1' }))).Imports).toEqual(['importer']);
    await cfn.send(new DeleteStackCommand({ StackName: 'exporter' }));
    const s = await until(
      async () => (await cfn.send(new DescribeStacksCommand({ StackName: 'exporter' }))).Stacks?.[0],
      (x) => x?.StackStatus === 'CREATE_COMPLETE',
    );
    expect(s?.StackStatusReason).toBe('Export ex-1 cannot be deleted as it is in use by importer');
  });

  it('fails a deletion with resource reasons, then succeeds retaining them', async () => {
    await cfn.send(new DeleteStackCommand({ StackName: 'failing' }));
    const failed = await until(
      async () => (await cfn.send(new DescribeStacksCommand({ StackName: 'failing' }))).Stacks?.[0],
      (x) => x?.StackStatus === 'DELETE_FAILED',
    );
    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: failed?.StackId }));
    expect(events.StackEvents?.find((e) => e.LogicalResourceId === 'Bucket')?.ResourceStatusReason).toMatch(
      /BucketNotEmpty/,
    );
    await cfn.send(new DeleteStackCommand({ StackName: failed?.StackId, RetainResources: ['Bucket'] }));
    await until(
      async () =>
        (await cfn.send(new DescribeStacksCommand({ StackName: failed?.StackId }))).Stacks?.[0]?.StackStatus,
      (x) => x === 'DELETE_COMPLETE',
    );
  });

  it('serves the tagging API with filters and pages', async () => {
    const tagging = new ResourceGroupsTaggingAPIClient({
      region: 'eu-west-1',
      endpoint: sb.awsEndpoint,
      credentials,
    });
    const arns: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await tagging.send(
        new GetResourcesCommand({
          TagFilters: [{ Key: 'gitlab:project-id' }],
          ResourceTypeFilters: ['cloudformation:stack'],
          ResourcesPerPage: 2,
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      pages++;
      arns.push(...(page.ResourceTagMappingList ?? []).map((r) => r.ResourceARN as string));
      token = page.PaginationToken;
    } while (token);
    expect(pages).toBeGreaterThan(2);
    expect(arns.some((a) => a.includes('stack/protected/'))).toBe(true);
  });

  it('keeps returning a deleted stack from the tagging API while told to', async () => {
    const stale = await startSandbox({
      scenario: {
        aws: {
          deleteSeconds: 0,
          taggingStaleSeconds: 60,
          accounts: [
            {
              id: '111111111111',
              regions: { 'eu-west-1': { stacks: [{ name: 'ghost', tags: { a: '1' } }] } },
            },
          ],
        },
      },
    });
    try {
      const c = new CloudFormationClient({ region: 'eu-west-1', endpoint: stale.awsEndpoint, credentials });
      await c.send(new DeleteStackCommand({ StackName: 'ghost' }));
      await until(
        async () => (await c.send(new DescribeStacksCommand({}))).Stacks?.length,
        (n) => n === 0,
      );
      const tagging = new ResourceGroupsTaggingAPIClient({
        region: 'eu-west-1',
        endpoint: stale.awsEndpoint,
        credentials,
      });
      const hits = await tagging.send(
        new GetResourcesCommand({
          TagFilters: [{ Key: 'a' }],
          ResourceTypeFilters: ['cloudformation:stack'],
        }),
      );
      expect(hits.ResourceTagMappingList?.map((r) => r.ResourceARN?.split('/')[1])).toEqual(['ghost']);
      // The stack's bucket went with it, and lingers in the index too (tagged as its stack was).
      const all = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'a' }] }));
      expect(all.ResourceTagMappingList?.map((r) => r.ResourceARN)).toContain('arn:aws:s3:::ghost-bucket');
    } finally {
      await stale.close();
    }
  });

  it('answers STS with the account of the credentials and of an assumed role', async () => {
    const sts = new STSClient({ region: 'eu-west-1', endpoint: sb.awsEndpoint, credentials });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111111111111');
    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/reaper', RoleSessionName: 'test' }),
    );
    const c = assumed.Credentials;
    const other = new CloudFormationClient({
      region: 'eu-west-1',
      endpoint: sb.awsEndpoint,
      credentials: {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      },
    });
    const stacks = await other.send(new DescribeStacksCommand({}));
    expect(stacks.Stacks?.map((s) => s.StackName)).toEqual(['other-account']);
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::333333333333:role/x', RoleSessionName: 't' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('throttling is survived by the SDK retry', async () => {
    sb.world.addFault({
      service: 'aws',
      match: 'DescribeStacks',
      kind: 'throttle',
      status: 400,
      count: 2,
    });
    const retrying = new CloudFormationClient({
      region: 'eu-west-1',
      endpoint: sb.awsEndpoint,
      credentials,
      maxAttempts: 3,
    });
    const out = await retrying.send(new DescribeStacksCommand({ StackName: 's2' }));
    expect(out.$metadata.attempts).toBe(3);
    expect(out.$metadata.requestId).toBeTruthy();
  });
});

describe('sandbox: standalone', () => {
  it('npm run sandbox prints one JSON line when ready and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      'test/sandbox/cli.ts',
      '--scenario',
      'test/scenarios/demo.yaml',
    ]);
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      child.on('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    });
    const ready = JSON.parse(line) as { awsEndpoint: string; gitlabUrl: string; gitlabToken: string };
    expect(ready.awsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const project = await fetch(`${ready.gitlabUrl}/api/v4/projects/acme%2Fshop`, {
      headers: { 'PRIVATE-TOKEN': ready.gitlabToken },
    });
    expect(((await project.json()) as { id: number }).id).toBe(101);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('sandbox: GitLab through @gitbeaker/rest', () => {
  let sb: Sandbox;
  let api: InstanceType<typeof Gitlab>;
  beforeAll(async () => {
    sb = await startSandbox({
      scenario: {
        gitlab: {
          requestsPerMinute: 0,
          projects: [
            {
              id: 7,
              path: 'acme/big',
              branches: [{ name: 'main', protected: true }],
              syntheticBranches: { count: 12_000 },
              mergeRequests: [
                { iid: 1, sourceBranch: 'feature/a', state: 'merged', mergedAt: '-2h' },
                { iid: 2, sourceBranch: 'feature/b', state: 'opened' },
              ],
              environments: [{ name: 'review/feature-a', lastDeployment: { ref: 'feature/a' } }],
            },
            { id: 8, path: 'acme/hidden', visible: false },
          ],
        },
      },
    });
    api = new Gitlab({ host: sb.gitlabUrl, token: sb.gitlabToken });
  });
  afterAll(() => sb.close());

  it('paginates over 10,000 rows without x-total, following Link rel=next', async () => {
    const first = await api.Branches.all(7, { perPage: 100, page: 1, showExpanded: true });
    expect(first.paginationInfo.total).toBeNaN();
    expect(first.paginationInfo.next).toBe(2);
    const all = await api.Branches.all(7, { perPage: 100 });
    expect(all).toHaveLength(12_001);
    expect(
      sb.world.requests.filter((r) => r.operation === 'GET /projects/:id/repository/branches').length,
    ).toBeGreaterThanOrEqual(121);
  });

  it('reports totals below 10,000 rows', async () => {
    const mrs = await api.MergeRequests.all({ projectId: 7, perPage: 1, page: 1, showExpanded: true });
    expect(mrs.paginationInfo.total).toBe(2);
  });

  it('answers 404 Branch Not Found and 404 for an invisible project', async () => {
    await expect(api.Branches.show(7, 'nope')).rejects.toMatchObject({
      cause: { description: '404 Branch Not Found' },
    });
    await expect(api.Projects.show(8)).rejects.toMatchObject({ cause: { response: { status: 404 } } });
    expect((await api.Projects.show('acme/big')).id).toBe(7);
  });

  it('filters MRs by state and source branch', async () => {
    expect((await api.MergeRequests.all({ projectId: 7, state: 'merged' })).map((m) => m.iid)).toEqual([1]);
    expect(
      (await api.MergeRequests.all({ projectId: 7, sourceBranch: 'feature/b' })).map((m) => m.iid),
    ).toEqual([2]);
  });

  it('lists environments without last_deployment and shows one with it; stop with force', async () => {
    const [env] = await api.Environments.all(7);
    expect(env).not.toHaveProperty('last_deployment');
    const full = await api.Environments.show(7, env?.id as number);
    expect((full.last_deployment as { ref?: string } | undefined)?.ref).toBe('feature/a');
    const stopped = await api.Environments.stop(7, env?.id as number, { force: 'true' });
    expect(stopped.state).toBe('stopped');
  });

  it('creates, edits and lists issues and labels', async () => {
    const issue = await api.Issues.create(7, 'env-reaper dashboard', {
      description: 'v1',
      labels: 'env-reaper',
    });
    await api.Issues.edit(7, issue.iid, { description: 'v2' });
    const listed = await api.Issues.all({ projectId: 7, labels: 'env-reaper' });
    expect(listed.map((i) => [i.iid, i.description])).toEqual([[issue.iid, 'v2']]);
    await api.ProjectLabels.create(7, 'env-reaper::keep', '#FF0000');
    expect((await api.ProjectLabels.all(7)).map((l) => l.name)).toEqual(['env-reaper::keep']);
    expect(sb.world.writes.map((w) => w.operation)).toEqual(
      expect.arrayContaining(['CreateIssue', 'UpdateIssue', 'CreateLabel']),
    );
  });

  it('answers 401 without a token', async () => {
    const anon = await fetch(`${sb.gitlabUrl}/api/v4/projects/7`);
    expect(anon.status).toBe(401);
    const variants: Record<string, string>[] = [
      { 'PRIVATE-TOKEN': sb.gitlabToken },
      { Authorization: `Bearer ${sb.gitlabToken}` },
      { 'JOB-TOKEN': sb.gitlabToken },
    ];
    for (const headers of variants) {
      expect((await fetch(`${sb.gitlabUrl}/api/v4/projects/7`, { headers })).status).toBe(200);
    }
  });

  it('rate limits per token with RateLimit-* headers and 429 + Retry-After', async () => {
    const limited = await startSandbox({
      scenario: { gitlab: { requestsPerMinute: 3, projects: [{ id: 1, path: 'a/b' }] } },
    });
    try {
      const headers = { 'PRIVATE-TOKEN': limited.gitlabToken };
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${limited.gitlabUrl}/api/v4/projects/1`, { headers });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.headers.get('ratelimit-remaining')).toBe('0');
      expect(await last?.text()).toBe('Retry later\n');
    } finally {
      await limited.close();
    }
  });
});
