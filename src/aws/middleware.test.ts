import { describe, expect, it } from 'vitest';
import { describeFailure, serviceError } from '../errors/failure.js';
import { awsFailure } from './middleware.js';

/** An SDK error as the client throws it: named by the service's code, with the answer's metadata. */
const sdk = (name: string, message: string, status?: number) =>
  Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('the AWS boundary', () => {
  it.each([
    ['ThrottlingException', 400, 'RATE_LIMITED'],
    ['Throttling', 400, 'RATE_LIMITED'],
    ['SlowDown', 503, 'RATE_LIMITED'],
    ['AccessDenied', 403, 'ACCESS_DENIED'],
    ['AccessDeniedException', 400, 'ACCESS_DENIED'],
    ['ExpiredToken', 403, 'UNAUTHENTICATED'],
    ['OptInRequired', 403, 'REGION_NOT_ENABLED'],
    ['NoSuchBucket', 404, 'NOT_FOUND'],
    ['RepositoryNotFoundException', 400, 'NOT_FOUND'],
    ['PreconditionFailed', 412, 'CONFLICT'],
    ['InternalFailure', 500, 'SERVER_ERROR'],
    ['ValidationError', 400, 'REJECTED'],
    ['SomethingNew', 400, 'REJECTED'],
    ['SomethingNew', 503, 'SERVER_ERROR'],
    ['Unknown', 404, 'NOT_FOUND'],
  ])('%s (HTTP %i) is %s, the AWS code kept beside it', (name, status, code) => {
    const e = awsFailure(sdk(name, 'x', status), 'aws', 'DescribeStacks');
    expect(describeFailure(e)).toMatchObject({ code, status, service: 'aws', operation: 'DescribeStacks' });
    if (name !== 'Unknown') expect(e.serviceCode).toBe(name);
  });

  it("reads CloudFormation's two ValidationErrors that mean 'not there', and only those", () => {
    const code = (message: string) => awsFailure(sdk('ValidationError', message, 400), 'aws', 'X').code;
    expect(code('Stack with id arn:aws:cloudformation:eu-west-1:1:stack/a/b does not exist')).toBe(
      'NOT_FOUND',
    );
    expect(code('Stack [review-a] does not exist')).toBe('NOT_FOUND');
    expect(code("Export 'a-url' is not imported by any stack.")).toBe('NOT_FOUND');
    expect(code('Template format error: unsupported structure.')).toBe('REJECTED');
    expect(code('Parameter StackName does not exist in the template')).toBe('REJECTED');
  });

  it('keeps an error a lower layer already classified, and socket errors are NETWORK', () => {
    const first = awsFailure(sdk('AccessDenied', 'no', 403), 'aws', 'AssumeRole');
    expect(awsFailure(first, 'aws', 'DescribeStacks')).toBe(first);
    expect(first.operation).toBe('AssumeRole');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(awsFailure(refused, 'aws', 'GetCallerIdentity')).toMatchObject({
      code: 'NETWORK',
      serviceCode: 'ECONNREFUSED',
    });
  });
});

describe('an answer that does not parse', () => {
  it('is MALFORMED_RESPONSE at either boundary, whatever the parser', () => {
    let syntax: unknown;
    try {
      JSON.parse('<html>');
    } catch (e) {
      syntax = e;
    }
    expect(awsFailure(syntax, 'aws', 'GetCostAndUsage').code).toBe('MALFORMED_RESPONSE');
    expect(serviceError(new SyntaxError('Unexpected token <'), 'gitlab', 'GET /projects/:id').code).toBe(
      'MALFORMED_RESPONSE',
    );
  });
});
