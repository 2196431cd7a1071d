import { describe, expect, it } from 'vitest';
import { emptyRun } from '../../test/helpers/fixtures.js';
import { upgrade } from '../errors/versioned.js';
import { buildReport, REPORT_MAX_ERROR_STACKS, REPORT_VERSIONING, reportSchema } from './json-report.js';
import { render } from './output.js';

describe('errors in the report', () => {
  it('carry what failed, where, and a bounded list of the stacks it affected', () => {
    const stacks = Array.from({ length: REPORT_MAX_ERROR_STACKS + 50 }, (_, i) => `review-${i}`);
    const report = buildReport(
      emptyRun({
        errors: [
          {
            scope: 'gitlab:project acme/shop branches',
            code: 'SERVER_ERROR',
            status: 503,
            message: 'Service Unavailable',
            service: 'gitlab',
            operation: 'GET /projects/:id/repository/branches',
            project: 'acme/shop',
            stacks,
            effect: 'kept',
          },
        ],
      }),
      { calls: {}, errors: {} },
    );
    expect(reportSchema.safeParse(report).success).toBe(true);
    const [e] = report.errors;
    expect(e?.stacks).toHaveLength(REPORT_MAX_ERROR_STACKS);
    expect(e?.moreStacks).toBe(50);
    // Every format says the run was degraded, and what it cost.
    expect(render(report, 'table', { colour: false, now: 0 })).toMatch(
      /DEGRADED: 1 error\(s\)[\s\S]*GET \/projects\/:id\/repository\/branches SERVER_ERROR \(HTTP 503\)[\s\S]*kept: review-0, [^\n]* and 50 more/,
    );
    expect(render(report, 'markdown', { colour: false, now: 0 })).toMatch(/a degraded run/);
  });
});

describe('reports of schemaVersion 1', () => {
  it('are read with the closed failure codes, the old word kept as status or serviceCode', () => {
    const v1 = {
      schemaVersion: 1,
      errors: [
        { scope: 'a', code: 'HTTP_503', message: 'm' },
        { scope: 'b', code: 'AccessDenied', message: 'm' },
        { scope: 'c', code: 'RETRIES_EXHAUSTED', message: 'm' },
        { scope: 'd', code: 'TIMEOUT', message: 'm' },
        { scope: 'e', code: 'SomethingNobodyKnew', message: 'm' },
      ],
    };
    const up = upgrade(v1, REPORT_VERSIONING) as { schemaVersion: number; errors: unknown[] };
    expect(up.schemaVersion).toBe(2);
    expect(up.errors).toEqual([
      { scope: 'a', code: 'SERVER_ERROR', status: 503, message: 'm' },
      { scope: 'b', code: 'ACCESS_DENIED', serviceCode: 'AccessDenied', message: 'm' },
      { scope: 'c', code: 'SERVER_ERROR', serviceCode: 'RETRIES_EXHAUSTED', message: 'm' },
      { scope: 'd', code: 'TIMEOUT', message: 'm' },
      { scope: 'e', code: 'INTERNAL', serviceCode: 'SomethingNobodyKnew', message: 'm' },
    ]);
  });
});
