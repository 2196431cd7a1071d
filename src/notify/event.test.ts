import { describe, expect, it } from 'vitest';
import type { Report } from '../report/json-report.js';
import { ciLinks, runEventData } from './event.js';

type Env = Report['environments'][number];
const env = (name: string, over: Partial<Env> = {}): Env =>
  ({
    stack: {
      name,
      id: `id-${name}`,
      account: '111111111111',
      region: 'eu-west-1',
      status: 'CREATE_COMPLETE',
      createdAt: '',
    },
    verdict: 'merged',
    action: 'delete',
    result: 'skipped',
    plan: { status: 'keep' },
    error: null,
    ...over,
  }) as Env;

function report(over: Partial<Report> = {}): Report {
  return {
    runId: 'run-1',
    generatedAt: '2026-12-05T10:00:00.000Z',
    mode: 'apply',
    summary: { brake: null },
    environments: [],
    errors: [],
    ...over,
  } as unknown as Report;
}

describe('runEventData', () => {
  it('deleted, failed, due next run, waiting and the money saved', () => {
    const data = runEventData(
      report({
        summary: { brake: null, cost: { known: true } } as Report['summary'],
        environments: [
          env('a', { result: 'deleted', plan: { status: 'due' }, monthlyCost: 10.004 }),
          env('b', {
            result: 'deleted',
            action: 'stop',
            verdict: 'unused',
            plan: { status: 'due' },
            monthlyCost: 2,
          }),
          env('c', {
            result: 'failed',
            plan: { status: 'due' },
            error: { code: 'DELETE_FAILED', message: 'm' },
          }),
          env('d', { result: 'cancelled', plan: { status: 'due' } }),
          env('e', { plan: { status: 'waiting' } }),
        ],
        leftovers: {
          checked: 1,
          skipped: [],
          resources: [
            {
              arn: 'arn:aws:s3:::x',
              type: 's3:bucket',
              stackName: 'a',
              result: { result: 'deleted', removed: 4 },
              monthlyCost: 1,
            },
            {
              arn: 'arn:aws:s3:::y',
              type: 's3:bucket',
              stackName: 'a',
              decision: { status: 'due' },
              result: { result: 'failed', error: { code: 'X', message: 'm' } },
            },
            { arn: 'arn:aws:s3:::z', type: 's3:bucket', stackName: 'a', decision: { status: 'waiting' } },
          ],
        } as unknown as Report['leftovers'],
      }),
      {},
    );
    expect(data.outcome).toBe('degraded');
    expect(data.deleted.stacks.map((s) => [s.name, s.action])).toEqual([
      ['a', 'delete'],
      ['b', 'stop'],
    ]);
    expect(data.deleted.leftovers).toEqual([
      { arn: 'arn:aws:s3:::x', type: 's3:bucket', stackName: 'a', removed: 4, monthlyCost: 1 },
    ]);
    expect(data.failed.stacks).toEqual([{ name: 'c', error: { code: 'DELETE_FAILED', message: 'm' } }]);
    expect(data.failed.leftovers).toEqual([
      { arn: 'arn:aws:s3:::y', stackName: 'a', error: { code: 'X', message: 'm' } },
    ]);
    expect(data.due).toEqual({ stacks: 2, leftovers: 1 });
    expect(data.waiting).toEqual({ stacks: 1, leftovers: 1 });
    expect(data.savedMonthlyUsd).toBe(13);
  });

  it('saved is 0 with nothing deleted, unknown without known cost', () => {
    expect(runEventData(report(), {}).savedMonthlyUsd).toBe(0);
    const deleted = [env('a', { result: 'deleted', plan: { status: 'due' } })];
    expect(runEventData(report({ environments: deleted }), {}).savedMonthlyUsd).toBeNull();
    const known = { brake: null, cost: { known: true } } as Report['summary'];
    expect(runEventData(report({ environments: deleted, summary: known }), {}).savedMonthlyUsd).toBeNull();
  });

  it('outcome: ok, degraded by an error, braked by either brake', () => {
    expect(runEventData(report(), {}).outcome).toBe('ok');
    expect(
      runEventData(
        report({ errors: [{ scope: 's', code: 'TIMEOUT', message: 'm' }] as Report['errors'] }),
        {},
      ).outcome,
    ).toBe('degraded');
    const brake = { kind: 'max-deletions' as const, due: 5, inScope: 6, limit: 1 };
    expect(runEventData(report({ summary: { brake } as Report['summary'] }), {})).toMatchObject({
      outcome: 'braked',
      brake,
    });
    const leftovers = { checked: 1, resources: [], skipped: [], plan: { due: 0, brake } };
    expect(runEventData(report({ leftovers }), {}).outcome).toBe('braked');
  });

  it('groups the failed operations, most frequent first', () => {
    const errors = [
      { scope: 'a', code: 'TIMEOUT', message: 'm', service: 'aws', operation: 'ListImports' },
      { scope: 'b', code: 'SERVER_ERROR', message: 'm', service: 'gitlab', operation: 'GET /projects/:id' },
      { scope: 'c', code: 'SERVER_ERROR', message: 'm', service: 'gitlab', operation: 'GET /projects/:id' },
      { scope: 'lock', code: 'INTERNAL', message: 'm' },
    ] as Report['errors'];
    expect(runEventData(report({ errors }), {}).degraded).toEqual({
      errors: 4,
      operations: [
        { service: 'gitlab', operation: 'GET /projects/:id', code: 'SERVER_ERROR', count: 2 },
        { service: 'aws', operation: 'ListImports', code: 'TIMEOUT', count: 1 },
        { service: 'env-reaper', operation: 'lock', code: 'INTERNAL', count: 1 },
      ],
    });
  });
});

describe('ciLinks', () => {
  it('only http(s) URLs; artifacts only with a job and report files', () => {
    expect(ciLinks({}, true)).toEqual({});
    expect(ciLinks({ CI_PIPELINE_URL: 'javascript:alert(1)', CI_JOB_URL: 'not a url' }, true)).toEqual({});
    expect(
      ciLinks({ CI_PIPELINE_URL: 'https://g.example/p/1', CI_JOB_URL: 'https://g.example/j/2' }, false),
    ).toEqual({
      pipeline: 'https://g.example/p/1',
      job: 'https://g.example/j/2',
    });
    expect(ciLinks({ CI_JOB_URL: 'http://g.example/j/2' }, true)).toEqual({
      job: 'http://g.example/j/2',
      artifacts: 'http://g.example/j/2/artifacts/browse',
    });
  });
});
