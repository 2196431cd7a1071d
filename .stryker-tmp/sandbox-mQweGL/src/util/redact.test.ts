// @ts-nocheck
import { describe, expect, it } from 'vitest';
import { redactText, secretValues } from './redact.js';

describe('redactText', () => {
  it.each([
    ['GET https://gitlab.example.com/api/v4/projects?private_token=abc123def&page=2 failed', 'abc123def'],
    ['request to https://gitlab.example.com/api/v4/x?access_token=tok-xyz-1 returned 401', 'tok-xyz-1'],
    ['headers: {"PRIVATE-TOKEN": "s3cr3tvalue"}', 's3cr3tvalue'],
    ['Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9', 'eyJhbGciOi.JIUzI1NiJ9'],
    [
      'https://bucket.s3.amazonaws.com/k?X-Amz-Credential=AKIAXX%2F20261129&X-Amz-Signature=deadbeef00',
      'deadbeef00',
    ],
    ['https://user:hunter22@gitlab.example.com/api/v4', 'hunter22'],
    ['token glpat-AbCdEfGhIjKlMnOpQrSt was revoked', 'glpat-AbCdEfGhIjKlMnOpQrSt'],
  ])('scrubs %s', (text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('scrubs the exact values it was given, and leaves ordinary text alone', () => {
    expect(redactText('x my-secret-key y', ['my-secret-key'])).toBe('x [redacted] y');
    expect(redactText('branch feature/token-refresh not found')).toBe(
      'branch feature/token-refresh not found',
    );
  });

  it('takes the secret values from the environment, ignoring short ones', () => {
    expect(
      secretValues({ GITLAB_TOKEN: 'glpat-long-enough', AWS_SECRET_ACCESS_KEY: 'x', HOME: '/root' }),
    ).toEqual(['glpat-long-enough']);
  });
});
