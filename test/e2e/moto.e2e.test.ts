import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli } from '../helpers/cli.js';
import { type Moto, mustHaveMoto, startMoto } from '../helpers/moto.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * A second, third-party AWS implementation: moto (`python3 -m moto.server`, installed with the
 * machines' Python) serves CloudFormation and STS, real templates are deployed to it with the AWS CLI
 * exactly as a GitLab deploy job does (`aws cloudformation deploy --tags …`), GitLab is the sandbox, and
 * the built CLI audits and reaps. Where moto departs from AWS the test says so; every departure it works
 * around is listed in docs/testing.md with which side is right.
 */

const available = await mustHaveMoto('moto e2e');

/** Templates as a deploy job would have them: plain resources, one with an export. */
const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env:
    Type: String
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "\${Env}-topic"
  Queue:
    Type: AWS::SQS::Queue
`;
const EXPORTING = `${TEMPLATE}Outputs:
  QueueUrl:
    Value: !Ref Queue
    Export:
      Name: !Sub "\${Env}-queue-url"
`;

/** The GitLab side: one project, a live branch with an open MR, a merged MR; other branches are gone. */
const SCENARIO = {
  aws: { accounts: [] },
  gitlab: {
    projects: [
      {
        id: 101,
        path: 'acme/shop',
        branches: [
          { name: 'main', protected: true },
          { name: 'feature/live', committed: '-1h' },
        ],
        mergeRequests: [
          { iid: 1, sourceBranch: 'feature/merged', state: 'merged', mergedAt: '-2d' },
          { iid: 2, sourceBranch: 'feature/live', state: 'opened' },
        ],
      },
    ],
  },
};

describe.skipIf(!available)('moto: audit and reap against a third-party AWS implementation', () => {
  let moto: Moto;
  let sb: Sandbox;
  let dir: string;
  let config: string;
  const aws = (...args: string[]) => moto.aws(...args);
  const statuses = async (): Promise<Record<string, string>> => {
    const out = JSON.parse(await aws('cloudformation', 'list-stacks')) as {
      StackSummaries: { StackName: string; StackStatus: string }[];
    };
    // list-stacks keeps deleted stacks; a name redeployed would appear twice (not here).
    return Object.fromEntries(out.StackSummaries.map((s) => [s.StackName, s.StackStatus]));
  };
  const cli = (args: string[]) =>
    runCli([...args, '--config', config, '--format', 'json'], { ...sb.env(), ...moto.env });

  beforeAll(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'env-reaper-moto-'));
    await writeFile(join(dir, 'review.yaml'), TEMPLATE);
    await writeFile(join(dir, 'exporting.yaml'), EXPORTING);
    const deploy = (name: string, ref: string, template = 'review.yaml', extra: string[] = []) =>
      aws(
        'cloudformation',
        'deploy',
        '--stack-name',
        name,
        '--template-file',
        join(dir, template),
        '--parameter-overrides',
        `Env=${name}`,
        '--tags',
        'gitlab:project-id=101',
        `gitlab:ref=${ref}`,
        `gitlab:ref-slug=${ref.replace(/[^a-z0-9]/g, '-')}`,
        `gitlab:environment=review/${ref}`,
        ...extra,
      );
    await deploy('review-shop-feature-live', 'feature/live');
    await deploy('review-shop-feature-gone', 'feature/gone');
    await deploy('review-shop-feature-merged', 'feature/merged', 'review.yaml', ['gitlab:mr-iid=1']);
    // Two stacks go through CreateStack instead of `deploy` (docs/testing.md, moto's departures): moto's
    // change sets drop a template's Outputs, so its exports, and moto does not implement
    // UpdateTerminationProtection, so protection is set at creation.
    const create = async (name: string, ref: string, template: string, extra: string[]) => {
      await aws(
        'cloudformation',
        'create-stack',
        '--stack-name',
        name,
        '--template-body',
        `file://${join(dir, template)}`,
        '--parameters',
        `ParameterKey=Env,ParameterValue=${name}`,
        '--tags',
        'Key=gitlab:project-id,Value=101',
        `Key=gitlab:ref,Value=${ref}`,
        ...extra,
      );
      await aws('cloudformation', 'wait', 'stack-create-complete', '--stack-name', name);
    };
    await create('review-shop-feature-exporter', 'feature/exporter', 'exporting.yaml', []);
    await create('review-shop-feature-protected', 'feature/protected', 'review.yaml', [
      '--enable-termination-protection',
    ]);
    const exports = JSON.parse(await aws('cloudformation', 'list-exports')) as { Exports: unknown[] };
    expect(exports.Exports).toHaveLength(1);
    await aws(
      'cloudformation',
      'deploy',
      '--stack-name',
      'shared-network',
      '--template-file',
      join(dir, 'review.yaml'),
      '--parameter-overrides',
      'Env=shared-network',
    );
    sb = await startSandbox({ scenario: SCENARIO });
    config = await configFile({
      aws: { regions: ['eu-west-1'], timeout: '10s', maxAttempts: 2 },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      // The stacks were just deployed: no minimum age and no grace, so they are due now.
      policy: { minAgeHours: 0, grace: { merged: '0s', branchDeleted: '0s' } },
      limits: { maxDeletionPercent: 100 },
    });
  }, 120_000);

  afterAll(async () => {
    moto?.stop();
    await sb?.close();
  });

  it('audit classifies the stacks moto lists: live, merged, branch gone, protected, unmanaged', async () => {
    const r = await cli(['audit']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const verdicts = Object.fromEntries(report.environments.map((e) => [e.stack.name, e.verdict]));
    expect(verdicts).toEqual({
      'review-shop-feature-live': 'active',
      'review-shop-feature-gone': 'branch-deleted',
      'review-shop-feature-merged': 'merged',
      'review-shop-feature-exporter': 'branch-deleted',
      'review-shop-feature-protected': 'protected',
    });
    expect(report.unmanaged.map((u) => u.name)).toEqual(['shared-network']);
    expect(report.scanned).toEqual([{ account: '123456789012', region: 'eu-west-1' }]);
  }, 60_000);

  it('reap --apply deletes the dead stacks; the exporter is kept, loudly, because moto has no ListImports', async () => {
    const out = join(dir, 'reap.json');
    const r = await cli(['reap', '--apply', '--output', `json=${out}`]);
    const report = JSON.parse(await readFile(out, 'utf8')) as Report;
    // moto answers ListImports with a 500: the check cannot be made, so only the stack that exports is
    // kept (PRECHECK_FAILED), the run exits 1 and says which call failed. Never EXPORT_IN_USE, never 0.
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const byName = Object.fromEntries(report.environments.map((e) => [e.stack.name, e]));
    expect(byName['review-shop-feature-gone']?.result).toBe('deleted');
    expect(byName['review-shop-feature-merged']?.result).toBe('deleted');
    expect(byName['review-shop-feature-exporter']).toMatchObject({
      result: 'cancelled',
      error: { code: 'PRECHECK_FAILED' },
    });
    expect(report.errors).toEqual([
      expect.objectContaining({
        service: 'aws',
        operation: 'ListImports',
        account: '123456789012',
        region: 'eu-west-1',
        stacks: ['review-shop-feature-exporter'],
        effect: 'kept',
      }),
    ]);
    expect(await statuses()).toEqual({
      'review-shop-feature-live': 'CREATE_COMPLETE',
      'review-shop-feature-gone': 'DELETE_COMPLETE',
      'review-shop-feature-merged': 'DELETE_COMPLETE',
      'review-shop-feature-exporter': 'CREATE_COMPLETE',
      'review-shop-feature-protected': 'CREATE_COMPLETE',
      'shared-network': 'CREATE_COMPLETE',
    });
    // The note on the merged MR, through the sandbox's GitLab.
    const mr = sb.world.projects.get(101)?.mergeRequests.find((m) => m.iid === 1);
    expect(mr?.notes.filter((n) => n.body.includes('env-reaper:deleted'))).toHaveLength(1);

    // A second run finds nothing more to delete, and still says why the exporter stays.
    const again = await cli(['reap', '--apply']);
    expect(again.code).toBe(1);
    const second = JSON.parse(again.stdout) as Report;
    expect(second.environments.map((e) => e.stack.name).sort()).toEqual([
      'review-shop-feature-exporter',
      'review-shop-feature-live',
      'review-shop-feature-protected',
    ]);
  }, 90_000);
});
