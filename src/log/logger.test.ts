import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** The process logger as the CLI builds it, its lines captured through the `write` hook. */
function capture(options: { pretty?: boolean; secrets?: string[]; level?: string } = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    level: options.level ?? 'info',
    pretty: options.pretty ?? false,
    secrets: options.secrets ?? [],
    write: (text) => lines.push(text),
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('redacts secret fields: tokens, AWS keys, auth headers, at any depth the paths name', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        token: 'glpat-field',
        headers: { 'private-token': 'glpat-header', authorization: 'Bearer x' },
        creds: { secretAccessKey: 'aws-secret' },
      },
      'msg',
    );
    const out = lines.join('');
    expect(out).not.toMatch(/glpat-field|glpat-header|aws-secret|Bearer x/);
    expect(out.match(/\[redacted\]/g)).toHaveLength(4);
  });

  it('scrubs secret values inside text (an error message, a URL), not only named fields', () => {
    const { logger, lines } = capture({ secrets: ['s3cr3t-value-123'] });
    logger.error({ err: new Error('GET https://x/?private_token=s3cr3t-value-123 failed') }, 'a call failed');
    expect(lines.join('')).not.toContain('s3cr3t-value-123');
    expect(lines.join('')).toContain('a call failed');
  });

  it('writes one JSON line per entry with a static message and fields, errors with their type', () => {
    const { logger, lines } = capture();
    const err = Object.assign(new TypeError('boom'), { code: 'E_X' });
    logger.warn({ stack: 'review-a', err }, 'stack kept');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, msg: 'stack kept', stack: 'review-a' });
    expect(line.err).toMatchObject({ type: 'TypeError', message: 'boom', code: 'E_X' });
  });

  it('honours the level, and pretty output is not JSON but still scrubbed', () => {
    const quiet = capture({ level: 'error' });
    quiet.logger.info('not shown');
    expect(quiet.lines).toEqual([]);
    const pretty = capture({ pretty: true, secrets: ['hunter2-secret'] });
    pretty.logger.info({ detail: 'pw hunter2-secret' }, 'pretty line');
    const text = pretty.lines.join('');
    expect(text).toContain('pretty line');
    expect(text).not.toContain('hunter2-secret');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('logs an SDK error by what an operator acts on: no stack, no $metadata, no SDK advice (issue #33)', () => {
    const sdk = Object.assign(
      new Error(
        'Unexpected token < in JSON. Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      ),
      {
        name: 'SyntaxError',
        $metadata: { httpStatusCode: 502, requestId: 'req-123', attempts: 1 },
        $response: { body: '<html>…</html>' },
        $fault: 'client',
      },
    );
    const { logger, lines } = capture();
    logger.error({ code: 'SERVER_ERROR', status: 502, err: sdk }, 'a call failed: the run is degraded');
    const line = JSON.parse(lines[0] as string) as { err: Record<string, unknown> };
    expect(line.err).toEqual({
      type: 'SyntaxError',
      message: 'Unexpected token < in JSON.',
      status: 502,
      requestId: 'req-123',
    });
    expect(lines[0]).not.toMatch(/node_modules|\$metadata|\$response|hidden field|at /);
    // --verbose (debug) keeps the whole error, stack included.
    const verbose = capture({ level: 'debug' });
    verbose.logger.error({ err: sdk }, 'a call failed: the run is degraded');
    expect(verbose.lines[0]).toMatch(/"stack":"SyntaxError/);
  });
});
