import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeFailure, runErrorOf } from '../errors/failure.js';
import { silentLogger } from '../log/logger.js';
import { ApiStats } from '../util/api-stats.js';
import { createGitLabApi, createGitLabGraphql } from './api.js';
import { createGitLabRequestHandler } from './http.js';
import { createGitLabReader, toEvidenceError } from './reader.js';
import { createGitLabExecutorReader, createGitLabWriter } from './writer.js';

/**
 * A GitLab 429 that outlives its retries has one code on every path: the audit's REST reads and GraphQL
 * queries (evidence errors), the executor's reads and writes and the dashboard update (run errors).
 * Before the closed vocabulary the audit said `RATE_LIMITED` (read from the message text) and the
 * executor `GitbeakerRetryError`.
 */
describe('a GitLab 429 after its retries', () => {
  it('is RATE_LIMITED with status 429 on every path', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' })
        .end('{"message":"429 Too Many Requests"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = {
      url,
      token: 'glpat-test',
      rateLimitReserve: 0,
      concurrency: 2,
      timeoutMs: 2_000,
      maxRetries: 2,
      logger: silentLogger(),
      stats: new ApiStats(),
      sleep: async () => {},
    };
    const handler = createGitLabRequestHandler(options);
    const api = createGitLabApi(options, handler);
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => expect.fail('should have failed'),
        (e: unknown) => e,
      );
    try {
      const paths: [string, unknown][] = [
        ['audit: REST read', await failure(createGitLabReader(api).branchesPage(1, 1))],
        [
          'audit: GraphQL query',
          await failure(createGitLabGraphql(options, handler)?.query('{ x }', {}) ?? Promise.reject()),
        ],
        [
          'executor: MR notes read',
          await failure(createGitLabExecutorReader(api).mergeRequestNoteBodies(1, 2)),
        ],
        [
          'executor: dashboard issue read',
          await failure(createGitLabExecutorReader(api).findIssue(1, 'env-reaper')),
        ],
        ['executor: dashboard update', await failure(createGitLabWriter(api).updateIssue(1, 3, 'body'))],
        ['executor: environment stop', await failure(createGitLabWriter(api).stopEnvironment(1, 5))],
      ];
      for (const [label, error] of paths) {
        expect(toEvidenceError(error), label).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
        expect(runErrorOf(error, { what: label, stacks: [], effect: 'not-done' }), label).toMatchObject({
          code: 'RATE_LIMITED',
          status: 429,
          service: 'gitlab',
        });
        expect(describeFailure(error).operation, label).toMatch(/^(GET|POST|PUT) \//);
      }
      // Each read was tried three times (two retries), each POST/PUT too: 429 says nothing was done.
      expect(calls).toBe(paths.length * 3);
    } finally {
      server.close();
    }
  });
});
