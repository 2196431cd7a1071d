import { beforeAll, describe, expect, it } from 'vitest';
import { type CaseResult, checkCase, type Kind, type Operation, runCase } from '../helpers/fault-matrix.js';

/**
 * GraphQL's paths in the fault matrix (issue #24, after the degraded-runs matrix): a full-featured
 * `reap --apply` with `gitlab.api: auto`, `POST /api/graphql` failing persistently in each way GitLab can
 * fail it. HTTP failures (denied, 5xx, a hung answer, a proxy's HTML page) and GraphQL's own (HTTP 200
 * with `errors` and nulls: a resolver timeout, a complexity overrun) must each be safe, loud and quick
 * as any REST failure: the stacks that depended on the failed path are `unknown`, never a deletion.
 */

const GRAPHQL: Operation = {
  service: 'gitlab',
  logged: 'POST /api/graphql',
  name: 'POST /api/graphql',
  match: '^/api/graphql$',
  method: 'POST',
};

type GraphqlKind = Kind | 'partial';

const CASES: {
  kind: GraphqlKind;
  fault?: Record<string, unknown>;
  gitlab?: (g: Record<string, unknown>) => void;
  code: RegExp;
}[] = [
  {
    kind: 'denied',
    fault: { service: 'gitlab', match: '^/api/graphql$', kind: 'error', status: 403 },
    code: /^ACCESS_DENIED$/,
  },
  {
    kind: 'server',
    fault: { service: 'gitlab', match: '^/api/graphql$', kind: 'error', status: 502 },
    code: /^SERVER_ERROR$/,
  },
  {
    kind: 'timeout',
    fault: { service: 'gitlab', match: '^/api/graphql$', kind: 'hang' },
    code: /^(TIMEOUT|RETRIES_EXHAUSTED)$/,
  },
  {
    kind: 'malformed',
    fault: { service: 'gitlab', match: '^/api/graphql$', kind: 'malformed', variant: 'html' },
    code: /^MALFORMED_RESPONSE$/,
  },
  {
    kind: 'partial',
    // GitLab's 30 s timeout on one resolver: HTTP 200, `errors` with its path, and null there.
    gitlab: (g) => {
      g.graphql = {
        fieldErrors: [{ field: 'Project.mergeRequests', message: 'Timeout on Project.mergeRequests' }],
      };
    },
    code: /^TIMEOUT$/,
  },
];

describe('fault matrix (GraphQL): POST /api/graphql failing persistently', () => {
  let clean: CaseResult;
  beforeAll(async () => {
    clean = await runCase(undefined, { api: 'auto' });
  }, 120_000);

  it('the clean run reads through GraphQL, exit 0, and deletes what the REST run deletes', async () => {
    expect(clean.code, clean.stderr.slice(-3000)).toBe(0);
    expect(clean.called).toContain('gitlab POST /api/graphql');
    const rest = await runCase(undefined, { api: 'rest' });
    expect(clean.deleted.sort()).toEqual(rest.deleted.sort());
    expect(clean.deleted.length).toBeGreaterThan(3);
  }, 120_000);

  /** A run against a GitLab that prices every query `factor` × GitLab's rules: exit 0, the clean deletions. */
  async function pricedAt(factor: number): Promise<CaseResult> {
    const r = await runCase(undefined, {
      api: 'auto',
      gitlab: (g) => {
        g.graphql = { complexityFactor: factor };
      },
    });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.deleted.sort()).toEqual(clean.deleted.sort());
    return r;
  }

  it('a GitLab that prices queries higher than planned: batches planned again; what it refuses even one at a time, REST reads', async () => {
    const r = await pricedAt(1.6);
    // One branch listing alone costs about 178, 285 at this price: branches from REST, and said.
    expect(r.report?.gitlabApi?.fallbacks.branches).toMatch(
      /above its limit of 250|does not fit GitLab's limits/,
    );
    expect(r.report?.gitlabApi?.served.mergeRequests?.graphql).toBeGreaterThan(0);
  }, 120_000);

  it('a 503 (GitLab’s database timeout) on a query is retried as REST’s 5xx are: the same run', async () => {
    // One 503: the first query of a capability goes alone (the probe), and this matrix allows one retry.
    const r = await runCase(
      { service: 'gitlab', match: '^/api/graphql$', kind: 'error', status: 503, count: 1 },
      { api: 'auto' },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.deleted.sort()).toEqual(clean.deleted.sort());
    expect(r.stderr).toMatch(/"route":"POST \/api\/graphql","status":503/);
  }, 120_000);

  it('a GitLab that prices every query far above its limit: REST reads everything, same deletions', async () => {
    const r = await pricedAt(50);
    expect(Object.keys(r.report?.gitlabApi?.fallbacks ?? {}).sort()).toEqual(
      ['branches', 'environments', 'mergeRequests', 'projects'].sort(),
    );
  }, 120_000);

  describe.concurrent('each failure', () => {
    for (const c of CASES)
      it(`POST /api/graphql: ${c.kind}`, async () => {
        const r = await runCase(c.fault, { api: 'auto', ...(c.gitlab ? { gitlab: c.gitlab } : {}) });
        // Safe, loud (exit 1, errors[] naming POST /api/graphql with a project) and quick, as any case.
        const kind: Kind = c.kind === 'partial' ? 'server' : c.kind;
        checkCase(GRAPHQL, kind, r, clean, c.code);
      }, 120_000);
  });
});
