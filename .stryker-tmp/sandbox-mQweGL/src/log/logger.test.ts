// @ts-nocheck
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from './logger.js';

describe('logger redaction', () => {
  it('never writes tokens, secrets or auth headers', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info(
      {
        token: 'glpat-secret',
        headers: { 'private-token': 'glpat-secret', authorization: 'Bearer x' },
        creds: { secretAccessKey: 'aws-secret' },
      },
      'msg',
    );
    expect(out).not.toMatch(/glpat-secret|aws-secret|Bearer x/);
    expect(out).toMatch(/\[redacted\]/);
  });
});
