import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AwsLeftoverReader, Existence, TaggedHit } from '../aws/ports.js';
import { parseConfig } from '../config/load.js';
import type { RunError, RunResult } from '../core/run-result.js';
import { emptyState, type State } from '../state/state.js';
import { findLeftovers } from './leftovers.js';

const now = Date.parse('2026-11-29T12:00:00Z');
const day = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function stateWith(
  deleted: { id: string; name: string; env?: string; at: number; status?: string }[],
): State {
  const state = emptyState();
  for (const d of deleted)
    state.stacks[d.id] = {
      name: d.name,
      firstSeen: {},
      lastSeen: iso(d.at),
      deletion: {
        status: (d.status ?? 'deleted') as 'deleted',
        runId: 'r',
        token: 't',
        attempts: 1,
        startedAt: iso(d.at),
        finishedAt: iso(d.at),
        account: '111111111111',
        region: 'eu-west-1',
        name: d.name,
        tags: { 'gitlab:project-id': '1', ...(d.env ? { 'gitlab:environment': d.env } : {}) },
        verdict: 'merged',
        reasons: [],
      },
    };
  return state;
}

const run = (live: string[] = []) =>
  ({
    now,
    environments: live.map((stackId) => ({ stack: { stackId } })),
    unmanaged: [],
  }) as unknown as RunResult;

function reader(
  hits: Record<string, TaggedHit[] | Error>,
  exists: (hit: TaggedHit) => Existence | Error,
): AwsLeftoverReader & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async tagged(_t, _r, filters) {
      const env = filters.find((f) => f.key === 'gitlab:environment')?.value ?? '';
      queries.push(env);
      const h = hits[env] ?? [];
      if (h instanceof Error) throw h;
      return h;
    },
    async exists(_t, _r, hit) {
      const e = exists(hit);
      if (e instanceof Error) throw e;
      return e;
    },
  };
}

const deps = (leftovers: AwsLeftoverReader) => ({
  leftovers,
  logger: pino({ level: 'silent' }),
  targetOf: () => ({ regions: ['eu-west-1'] }),
});
const hit = (arn: string, type: string, tags: Record<string, string> = {}): TaggedHit => ({
  arn,
  type,
  tags,
});

describe('findLeftovers', () => {
  it('reports confirmed and unconfirmable hits, drops gone ones, and skips what it cannot look for', async () => {
    const r = reader(
      {
        'review/a': [
          hit('arn:aws:s3:::kept', 's3:bucket'),
          hit('arn:aws:s3:::gone', 's3:bucket'),
          hit('arn:aws:sqs:eu-west-1:1:q', 'sqs'),
          hit('arn:aws:logs:eu-west-1:1:log-group:/x', 'logs:log-group'),
          hit('arn:aws:cloudformation:eu-west-1:1:stack/a/1', 'cloudformation:stack'),
        ],
        'review/b': new Error('AccessDenied'),
      },
      (h) =>
        h.arn.endsWith(':::gone')
          ? { state: 'gone' }
          : h.type === 'sqs'
            ? { state: 'unverified' }
            : h.type === 'logs:log-group'
              ? new Error('Throttled')
              : { state: 'exists', createdAt: '2026-11-01T00:00:00.000Z' },
    );
    const state = stateWith([
      { id: 'arn:a', name: 'review-a', env: 'review/a', at: now - day },
      { id: 'arn:b', name: 'review-b', env: 'review/b', at: now - day },
      { id: 'arn:c', name: 'review-c', at: now - day },
    ]);
    const out = await findLeftovers(parseConfig({}), deps(r), state, run());
    expect(out.checked).toBe(1);
    // A failed existence check (the log group) is not listed: no proof it exists. It is said instead.
    expect(out.resources.map((l) => [l.arn, l.confirmed, l.createdAt ?? null])).toEqual([
      ['arn:aws:s3:::kept', true, '2026-11-01T00:00:00.000Z'],
      ['arn:aws:sqs:eu-west-1:1:q', false, null],
    ]);
    expect(out.resources[0]).toMatchObject({
      stackId: 'arn:a',
      stackName: 'review-a',
      deletedAt: iso(now - day),
    });
    expect(out.skipped).toEqual([
      {
        stackName: 'review-a',
        reason: 'arn:aws:logs:eu-west-1:1:log-group:/x could not be checked: Error: Throttled',
      },
      { stackName: 'review-b', reason: 'Error: AccessDenied' },
      { stackName: 'review-c', reason: 'no project and environment tag to look for' },
    ]);
  });

  it('looks only at deletions within leftovers.watchFor that finished', async () => {
    const r = reader({}, () => ({ state: 'exists' }));
    const state = stateWith([
      { id: 'arn:new', name: 'new', env: 'review/new', at: now - 2 * day },
      { id: 'arn:old', name: 'old', env: 'review/old', at: now - 8 * day },
      { id: 'arn:failed', name: 'failed', env: 'review/failed', at: now - day, status: 'failed' },
    ]);
    await findLeftovers(parseConfig({}), deps(r), state, run());
    expect(r.queries).toEqual(['review/new']);
    const r3 = reader({}, () => ({ state: 'exists' }));
    await findLeftovers(parseConfig({ leftovers: { watchFor: '1d' } }), deps(r3), state, run());
    expect(r3.queries).toEqual([]);
  });

  it('reports a resource once, and never one that belongs to a live stack', async () => {
    const shared = hit('arn:aws:s3:::shared', 's3:bucket');
    const r = reader(
      {
        'review/a': [
          shared,
          hit('arn:aws:s3:::redeployed', 's3:bucket', { 'aws:cloudformation:stack-id': 'arn:live' }),
        ],
        'review/b': [shared],
      },
      () => ({ state: 'exists' }),
    );
    const state = stateWith([
      { id: 'arn:a', name: 'a', env: 'review/a', at: now - day },
      { id: 'arn:b', name: 'b', env: 'review/b', at: now - day },
    ]);
    const out = await findLeftovers(parseConfig({}), deps(r), state, run(['arn:live', 'arn:a']));
    expect(out.resources.map((l) => l.arn)).toEqual(['arn:aws:s3:::shared']);
    expect(out.checked).toBe(2);
  });

  it('says which lookups failed, and never looks up an account the credentials do not reach', async () => {
    const r = reader(
      {
        'review/a': [hit('arn:aws:s3:::maybe', 's3:bucket')],
        'review/b': Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
      },
      () => Object.assign(new Error(''), { name: 'Unknown', $metadata: { httpStatusCode: 503 } }),
    );
    const errors: RunError[] = [];
    const state = stateWith([
      { id: 'arn:a', name: 'review-a', env: 'review/a', at: now - day },
      { id: 'arn:b', name: 'review-b', env: 'review/b', at: now - day },
    ]);
    const out = await findLeftovers(
      parseConfig({}),
      { ...deps(r), onError: (e) => errors.push(e) },
      state,
      run(),
    );
    // A 5xx on HeadBucket proves nothing: the bucket is not listed, and the failure is an error.
    expect(out.resources).toEqual([]);
    expect(errors.map((e) => [e.code, e.stacks, e.effect]).sort()).toEqual([
      ['ACCESS_DENIED', ['review-b'], 'less-reported'],
      ['SERVER_ERROR', ['review-a'], 'less-reported'],
    ]);

    const other = stateWith([{ id: 'arn:x', name: 'review-x', env: 'review/a', at: now - day }]);
    const r2 = reader(
      { 'review/a': [hit('arn:aws:logs:eu-west-1:2:log-group:/mine', 'logs:log-group')] },
      () => ({
        state: 'exists',
      }),
    );
    const out2 = await findLeftovers(parseConfig({}), { ...deps(r2), reaches: () => false }, other, run());
    expect(r2.queries).toEqual([]);
    expect(out2.resources).toEqual([]);
    expect(out2.skipped).toEqual([
      {
        stackName: 'review-x',
        reason: 'account 111111111111 is not reached by the configured credentials: not looked up',
      },
    ]);
  });
});
