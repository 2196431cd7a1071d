import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { costAndUsage, costWithResources, getResources } from './aws-services.js';
import { getMetricData, getRestApis } from './aws-usage.js';
import {
  AwsError,
  accountOf,
  bucketOperation,
  CFN_NS,
  esc,
  JSON_SERVICES,
  list,
  offsetOf,
  type Scope,
  STS_NS,
  scopeOf,
  stackXml,
  summaryXml,
  token,
  toXml,
} from './aws-wire.js';
import { StorageError } from './storage.js';
import type { World } from './world.js';

/**
 * AWS on one port: CloudFormation and STS (awsQuery: form POST, XML), Resource Groups Tagging API and
 * Cost Explorer (JSON 1.1 with X-Amz-Target), S3 (REST, path style). The wire formats follow
 * AWS's API documentation; signatures are not checked, but the SigV4 scope picks region and service.
 */

/** S3 objects (bucket/key → body and ETag); the text of one, for the state backend's tests. */
const s3Objects = new WeakMap<World, Map<string, { body: Buffer; etag: string; modified: string }>>();

export function s3ObjectText(world: World, path: string): string | undefined {
  return s3Objects.get(world)?.get(path)?.body.toString('utf8');
}

export class AwsSandbox {
  constructor(private readonly world: World) {}

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    const scope = scopeOf(req);
    const target = req.headers['x-amz-target'] as string | undefined;
    let operation = 'unknown';
    let status = 200;
    try {
      if (scope.service === 's3') {
        const bucketName = decodeURIComponent(
          new URL(req.url ?? '/', 'http://sandbox').pathname.split('/')[1] ?? '',
        );
        const bucket = this.world.storage.bucket(bucketName);
        if (bucket) {
          // A bucket of the world (a stack's or a loose one): the bucket-level operations.
          operation = `s3:${bucketOperation(req)}`;
          // Faults before the call is applied: a refused or parked request changes nothing.
          await this.inject(bucketOperation(req), scope, 'query');
          const answer = this.world.storage.s3(req, body, bucket);
          operation = `s3:${answer.operation}`;
          if (answer.write)
            this.world.logWrite({
              service: 'aws',
              operation: answer.operation,
              target: bucket.name,
              params: answer.write as Record<string, unknown>,
            });
          status = answer.status;
          res.writeHead(answer.status, answer.headers).end(answer.body);
          return;
        }
        // A bucket-level call to a bucket that is not (or no longer) there: 404, as S3 answers.
        const deleted = this.world.storage.buckets.get(bucketName)?.deletedAt !== undefined;
        if (
          (deleted || req.method === 'HEAD') &&
          /^\/[^/]+\/?$/.test(new URL(req.url ?? '/', 'http://sandbox').pathname)
        ) {
          operation = `s3:${bucketOperation(req)}`;
          if (req.method === 'HEAD') throw new AwsError(404, 'NotFound', 'Not Found');
          throw new AwsError(404, 'NoSuchBucket', 'The specified bucket does not exist');
        }
        operation = `s3:${req.method}`;
        status = await this.s3(req, res, body, scope);
        return;
      }
      if (target) {
        const [prefix, op] = target.split('.');
        operation = `${JSON_SERVICES[prefix ?? ''] ?? prefix}:${op}`;
        const input = body.length > 0 ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
        await this.inject(op ?? '', scope, 'json');
        const out = this.json(prefix ?? '', op ?? '', input, scope);
        const write = (out as { __write?: unknown }).__write;
        if (write !== undefined) {
          delete (out as { __write?: unknown }).__write;
          this.world.logWrite({
            service: 'aws',
            operation: op ?? '',
            target: String(input.repositoryName ?? input.logGroupName ?? ''),
            params: write as Record<string, unknown>,
          });
        }
        const json = prefix === 'GraniteServiceVersion20100801' ? '1.0' : '1.1';
        res.writeHead(200, { 'content-type': `application/x-amz-json-${json}` }).end(JSON.stringify(out));
        return;
      }
      if (scope.service === 'apigateway') {
        const url = new URL(req.url ?? '/', 'http://sandbox');
        if (req.method !== 'GET' || url.pathname !== '/restapis')
          throw new AwsError(404, 'NotFoundException', `Invalid request path ${url.pathname}`);
        operation = 'apigateway:GetRestApis';
        await this.inject('GetRestApis', scope, 'json');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(getRestApis(this.world, url, scope)));
        return;
      }
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        throw new AwsError(
          400,
          'UnsupportedProtocol',
          `unsupported content-type ${req.headers['content-type']}`,
        );
      }
      const form = new URLSearchParams(body.toString());
      const action = form.get('Action') ?? '';
      const version = form.get('Version');
      const ns = version === '2011-06-15' ? STS_NS : CFN_NS;
      operation = `${version === '2011-06-15' ? 'sts' : 'cloudformation'}:${action}`;
      await this.inject(action, scope, 'query');
      const result = version === '2011-06-15' ? this.sts(action, form, scope) : this.cfn(action, form, scope);
      const after = this.world.fault('aws', action, ['hold'], 'after');
      if (after) await this.world.hold(`${action} (answer)`);
      const xml = `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${ns}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
    } catch (e) {
      const err =
        e instanceof AwsError
          ? e
          : e instanceof StorageError
            ? new AwsError(e.status, e.code, e.message)
            : new AwsError(500, 'InternalFailure', (e as Error).message, 'Receiver');
      status = err.status;
      if (target || scope.service === 'apigateway') {
        res
          .writeHead(err.status, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-errortype': err.code,
          })
          .end(JSON.stringify({ __type: err.code, Message: err.message }));
      } else if (scope.service === 's3') {
        res.writeHead(err.status, { 'content-type': 'application/xml' });
        res.end(
          req.method === 'HEAD'
            ? undefined
            : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${err.code}</Code><Message>${esc(err.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
        );
      } else {
        const ns = operation.startsWith('sts:') ? STS_NS : CFN_NS;
        res
          .writeHead(err.status, { 'content-type': 'text/xml' })
          .end(
            `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${ns}"><Error><Type>${err.type}</Type><Code>${err.code}</Code><Message>${esc(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
          );
      }
    } finally {
      this.world.logRequest({
        service: 'aws',
        operation,
        status,
        target: `${accountOf(this.world, scope)}/${scope.region}`,
        agent: String(req.headers['user-agent'] ?? ''),
      });
    }
  }

  /** Injected faults and the CloudFormation rate limit. */
  private async inject(op: string, scope: Scope, protocol: 'json' | 'query'): Promise<void> {
    const w = this.world;
    const latency = w.scenario.latency.aws + (w.fault('aws', op, ['latency'])?.latencyMs ?? 0);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const throttleCode = protocol === 'json' ? 'ThrottledException' : 'Throttling';
    const limit = w.scenario.aws.cfnRequestsPerSecond;
    if (limit > 0 && protocol === 'query' && op !== 'GetCallerIdentity' && op !== 'AssumeRole') {
      const key = `${accountOf(this.world, scope)}/${scope.region}`;
      const second = Math.floor(Date.now() / 1000);
      const bucket = w.cfnBuckets.get(key);
      if (!bucket || bucket.second !== second) w.cfnBuckets.set(key, { second, count: 1 });
      else if (++bucket.count > limit) throw new AwsError(400, throttleCode, 'Rate exceeded');
    }
    const f = w.fault('aws', op, ['error', 'throttle', 'hang', 'hold'], 'before');
    if (!f) return;
    if (f.kind === 'hold') return w.hold(op);
    if (f.kind === 'throttle') throw new AwsError(400, throttleCode, 'Rate exceeded');
    if (f.kind === 'hang') await new Promise((r) => setTimeout(r, 600_000).unref());
    throw new AwsError(
      f.status,
      f.code ?? (f.status >= 500 ? 'InternalFailure' : 'ValidationError'),
      f.message ?? 'injected fault',
      f.status >= 500 ? 'Receiver' : 'Sender',
    );
  }

  private sts(action: string, form: URLSearchParams, scope: Scope): Record<string, unknown> {
    const account = accountOf(this.world, scope);
    if (action === 'GetCallerIdentity') {
      return {
        Arn: `arn:aws:sts::${account}:assumed-role/sandbox/${scope.accessKeyId}`,
        UserId: scope.accessKeyId,
        Account: account,
      };
    }
    if (action === 'AssumeRole') {
      const roleArn = form.get('RoleArn') ?? '';
      const lands = this.world.roles.get(roleArn);
      if (!lands) {
        throw new AwsError(
          403,
          'AccessDenied',
          `User: arn:aws:sts::${account}:user/sandbox is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
      }
      const key = `ASIA${createHash('sha256').update(`${roleArn}${this.world.id()}`).digest('hex').slice(0, 16).toUpperCase()}`;
      this.world.accessKeys.set(key, lands);
      const session = form.get('RoleSessionName') ?? 'session';
      return {
        Credentials: {
          AccessKeyId: key,
          SecretAccessKey: 'sandbox-secret',
          SessionToken: `sandbox-session-${key}`,
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        },
        AssumedRoleUser: {
          Arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${session}`,
          AssumedRoleId: `AROA:${session}`,
        },
      };
    }
    throw new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }

  private cfn(action: string, form: URLSearchParams, scope: Scope): Record<string, unknown> {
    const w = this.world;
    const account = accountOf(this.world, scope);
    const region = scope.region;
    const mine = () => w.allStacks().filter((s) => s.account === account && s.region === region);
    const pageSize = w.scenario.aws.describePageSize;
    switch (action) {
      case 'DescribeStacks': {
        const name = form.get('StackName');
        if (name) {
          const s = w.findStack(account, region, name);
          if (!s) throw new AwsError(400, 'ValidationError', `Stack with id ${name} does not exist`);
          return { Stacks: [stackXml(s)] };
        }
        const live = mine().filter((s) => s.status !== 'DELETE_COMPLETE');
        const offset = offsetOf(form.get('NextToken') ?? undefined);
        const page = live.slice(offset, offset + pageSize);
        return {
          Stacks: page.map(stackXml),
          NextToken: offset + pageSize < live.length ? token(offset + pageSize) : undefined,
        };
      }
      case 'ListStacks': {
        const filter = list(form, 'StackStatusFilter');
        const all = mine().filter((s) => filter.length === 0 || filter.includes(s.status));
        const offset = offsetOf(form.get('NextToken') ?? undefined);
        const page = all.slice(offset, offset + 100);
        return {
          StackSummaries: page.map(summaryXml),
          NextToken: offset + 100 < all.length ? token(offset + 100) : undefined,
        };
      }
      case 'DeleteStack':
        return this.deleteStack(form, account, region);
      case 'DescribeStackEvents': {
        const name = form.get('StackName') ?? '';
        const s = w.findStack(account, region, name);
        if (!s) throw new AwsError(400, 'ValidationError', `Stack [${name}] does not exist`);
        const offset = offsetOf(form.get('NextToken') ?? undefined);
        const page = s.events.slice(offset, offset + 100);
        return {
          StackEvents: page.map((e) => ({
            StackId: s.stackId,
            EventId: e.eventId,
            StackName: s.name,
            LogicalResourceId: e.logicalId,
            PhysicalResourceId: e.physicalId,
            ResourceType: e.resourceType,
            Timestamp: e.timestamp,
            ResourceStatus: e.status,
            ResourceStatusReason: e.reason,
            ClientRequestToken: e.clientRequestToken,
          })),
          NextToken: offset + 100 < s.events.length ? token(offset + 100) : undefined,
        };
      }
      case 'ListStackResources': {
        const name = form.get('StackName') ?? '';
        const s = w.findStack(account, region, name);
        if (!s) throw new AwsError(400, 'ValidationError', `Stack with id ${name} does not exist`);
        const failed = new Set(
          s.status === 'DELETE_FAILED'
            ? (s.failedNow ?? s.deletion.failedResources.map((r) => r.logicalId))
            : [],
        );
        return {
          StackResourceSummaries: s.resources.map((r) => ({
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            LastUpdatedTimestamp: s.updatedAt ?? s.createdAt,
            ResourceStatus: failed.has(r.logicalId)
              ? 'DELETE_FAILED'
              : s.status === 'DELETE_COMPLETE'
                ? 'DELETE_COMPLETE'
                : r.status,
          })),
        };
      }
      case 'ListExports': {
        const exports = mine()
          .filter((s) => s.status !== 'DELETE_COMPLETE')
          .flatMap((s) =>
            s.exports.map((e) => ({ ExportingStackId: s.stackId, Name: e.name, Value: e.value })),
          );
        const offset = offsetOf(form.get('NextToken') ?? undefined);
        return {
          Exports: exports.slice(offset, offset + 100),
          NextToken: offset + 100 < exports.length ? token(offset + 100) : undefined,
        };
      }
      case 'ListImports': {
        const exportName = form.get('ExportName') ?? '';
        const importers = mine().filter(
          (s) => s.status !== 'DELETE_COMPLETE' && s.imports.includes(exportName),
        );
        if (importers.length === 0)
          throw new AwsError(400, 'ValidationError', `Export '${exportName}' is not imported by any stack.`);
        return { Imports: importers.map((s) => s.name) };
      }
      default:
        throw new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-15`);
    }
  }

  private deleteStack(form: URLSearchParams, account: string, region: string): Record<string, unknown> {
    const w = this.world;
    const name = form.get('StackName') ?? '';
    const s = w.findStack(account, region, name);
    const force = form.get('DeletionMode') === 'FORCE_DELETE_STACK';
    const retain = list(form, 'RetainResources');
    const tokenValue = form.get('ClientRequestToken') ?? undefined;
    // Deleting a missing (or already deleted) stack succeeds and does nothing (aws-cli#6302).
    if (!s || s.status === 'DELETE_COMPLETE') return {};
    if (s.terminationProtection) {
      throw new AwsError(
        400,
        'ValidationError',
        `Stack [${s.name}] cannot be deleted while TerminationProtection is enabled`,
      );
    }
    if (force && s.status !== 'DELETE_FAILED') {
      throw new AwsError(
        400,
        'ValidationError',
        `Invalid operation on stack [${s.stackId}]. You can activate DeletionMode FORCE_DELETE_STACK in a delete stack operation only when the stack is in the DELETE_FAILED state.`,
      );
    }
    if (retain.length > 0 && s.status !== 'DELETE_FAILED') {
      throw new AwsError(
        400,
        'ValidationError',
        `Invalid operation on stack [${s.stackId}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state.`,
      );
    }
    if (s.status === 'DELETE_IN_PROGRESS') {
      // Same token: an idempotent retry. Otherwise AWS also accepts it as a no-op while deleting.
      return {};
    }
    if (s.status.endsWith('_IN_PROGRESS')) {
      throw new AwsError(
        400,
        'ValidationError',
        `Stack [${s.name}] cannot be deleted while in status ${s.status}`,
      );
    }
    w.logWrite({
      service: 'aws',
      operation: 'DeleteStack',
      target: s.stackId,
      params: {
        name: s.name,
        ...(tokenValue ? { clientRequestToken: tokenValue } : {}),
        ...(retain.length ? { retain } : {}),
        ...(force ? { force } : {}),
      },
    });
    const previous = s.status === 'DELETE_FAILED' ? 'DELETE_FAILED' : s.status;
    s.deleting = {
      startedAt: Date.now(),
      previousStatus: previous,
      retain,
      force,
      ...(tokenValue ? { token: tokenValue } : {}),
    };
    s.status = 'DELETE_IN_PROGRESS';
    delete s.statusReason;
    w.event(
      s,
      s.name,
      s.stackId,
      'AWS::CloudFormation::Stack',
      'DELETE_IN_PROGRESS',
      'User Initiated',
      tokenValue,
    );
    return {};
  }

  private json(
    prefix: string,
    op: string,
    input: Record<string, unknown>,
    scope: Scope,
  ): Record<string, unknown> {
    if (prefix === 'ResourceGroupsTaggingAPI_20170126' && op === 'GetResources')
      return getResources(this.world, input, scope);
    if (prefix === 'AWSInsightsIndexService' && op === 'GetCostAndUsage')
      return costAndUsage(this.world, input, scope);
    if (prefix === 'AWSInsightsIndexService' && op === 'GetCostAndUsageWithResources')
      return costWithResources(this.world, input, scope);
    const account = accountOf(this.world, scope);
    if (prefix === 'AmazonEC2ContainerRegistry_V20150921') {
      const { out, write } = this.world.storage.ecr(op, input, account, scope.region);
      return write === undefined ? out : { ...out, __write: write };
    }
    if (prefix === 'Logs_20140328') return this.world.storage.logs(op, input, account, scope.region);
    if (prefix === 'GraniteServiceVersion20100801' && op === 'GetMetricData')
      return getMetricData(this.world, input, scope);
    throw new AwsError(400, 'UnknownOperationException', `unknown operation ${prefix}.${op}`);
  }

  /** Daily cost per resource id over the period (at most 14 days back, as AWS keeps). */
  private async s3(req: IncomingMessage, res: ServerResponse, body: Buffer, scope: Scope): Promise<number> {
    await this.inject(`s3:${req.method}`, scope, 'query');
    const store = s3Objects.get(this.world) ?? new Map();
    s3Objects.set(this.world, store);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const key = decodeURIComponent(url.pathname.slice(1));
    const obj = store.get(key);
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    const send = (status: number, headers: Record<string, string> = {}, payload?: Buffer) => {
      res.writeHead(status, headers).end(payload);
      return status;
    };
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (!obj) throw new AwsError(404, 'NoSuchKey', 'The specified key does not exist.');
      if (ifMatch && ifMatch !== obj.etag)
        throw new AwsError(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      if (ifNoneMatch && ifNoneMatch === obj.etag) return send(304);
      const headers = {
        etag: obj.etag,
        'content-length': String(obj.body.length),
        'last-modified': new Date(obj.modified).toUTCString(),
      };
      return send(200, headers, req.method === 'GET' ? obj.body : undefined);
    }
    if (req.method === 'PUT') {
      if (ifNoneMatch === '*' && obj)
        throw new AwsError(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      if (ifMatch && (!obj || ifMatch !== obj.etag)) {
        throw new AwsError(
          obj ? 412 : 404,
          obj ? 'PreconditionFailed' : 'NoSuchKey',
          'At least one of the pre-conditions you specified did not hold',
        );
      }
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      store.set(key, { body, etag, modified: new Date().toISOString() });
      this.world.logWrite({ service: 'aws', operation: 'PutObject', target: key });
      return send(200, { etag });
    }
    if (req.method === 'DELETE') {
      store.delete(key);
      this.world.logWrite({ service: 'aws', operation: 'DeleteObject', target: key });
      return send(204);
    }
    throw new AwsError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}
