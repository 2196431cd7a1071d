import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsSandbox } from './aws.js';
import { GitLabSandbox } from './gitlab.js';
import { faultSchema, loadScenario, parseScenario, type Scenario } from './scenario.js';
import { handleHook, hooksOf } from './webhooks.js';
import { World } from './world.js';

export { hooksOf } from './webhooks.js';
export type { RequestRecord, WriteRecord } from './world.js';
export { World } from './world.js';

/** A running sandbox: both servers on 127.0.0.1, and the world they share. */
export interface Sandbox {
  awsEndpoint: string;
  gitlabUrl: string;
  gitlabToken: string;
  world: World;
  /** Environment for a child process (the CLI) to reach the sandbox with the real clients. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return true;
}

/** `/__sandbox/*`: observability and run-time control, on both ports, no auth (loopback only). */
function control(world: World, req: IncomingMessage, res: ServerResponse, body: Buffer): true {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const path = url.pathname.replace(/^\/__sandbox/, '');
  const input = body.length > 0 ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
  if (req.method === 'GET' && path === '/requests') return sendJson(res, 200, world.requests);
  if (req.method === 'GET' && path === '/writes') return sendJson(res, 200, world.writes);
  if (req.method === 'GET' && path === '/hooks') return sendJson(res, 200, hooksOf(world).received);
  if (req.method === 'GET' && path === '/counts') return sendJson(res, 200, world.counts());
  if (req.method === 'GET' && path === '/stacks') {
    return sendJson(
      res,
      200,
      world.allStacks().map((s) => ({
        name: s.name,
        stackId: s.stackId,
        account: s.account,
        region: s.region,
        status: s.status,
        statusReason: s.statusReason,
      })),
    );
  }
  if (req.method === 'POST' && path === '/faults') {
    const parsed = faultSchema.safeParse(input);
    if (!parsed.success) return sendJson(res, 400, { message: parsed.error.message });
    world.faults.push({ ...parsed.data, hits: 0 });
    return sendJson(res, 201, parsed.data);
  }
  if (req.method === 'DELETE' && path === '/faults') {
    world.faults = [];
    return sendJson(res, 200, {});
  }
  if (req.method === 'POST' && path === '/gitlab/merge-request') {
    const p = world.projects.get(Number(input.projectId));
    const mr = p?.mergeRequests.find((m) => m.iid === Number(input.iid));
    if (!mr) return sendJson(res, 404, { message: 'no such merge request' });
    const state = input.state as typeof mr.state;
    mr.state = state;
    mr.updatedAt = world.now();
    mr.mergedAt = state === 'merged' ? world.now() : null;
    mr.closedAt = state === 'closed' ? world.now() : null;
    return sendJson(res, 200, { iid: mr.iid, state: mr.state });
  }
  if (req.method === 'POST' && path === '/gitlab/revoke') {
    world.revokedTokens.add(String(input.token));
    return sendJson(res, 200, {});
  }
  if (req.method === 'POST' && path === '/release')
    return sendJson(res, 200, { released: world.release(input.drop === true) });
  if (req.method === 'GET' && path === '/held')
    return sendJson(
      res,
      200,
      world.held.map((h) => h.operation),
    );
  if (req.method === 'POST' && path === '/reset-logs') {
    world.requests.length = 0;
    return sendJson(res, 200, {});
  }
  return sendJson(res, 404, { message: `no control route ${req.method} ${path}` });
}

function serve(
  world: World,
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>,
): Server {
  return createServer((req, res) => {
    readBody(req)
      .then((body) => {
        if ((req.url ?? '').startsWith('/__sandbox/')) {
          control(world, req, res, body);
          return;
        }
        if ((req.url ?? '').startsWith('/hooks/') && handleHook(world, req, res, body)) return;
        return handler(req, res, body);
      })
      .catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: (e as Error).message });
      });
  });
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Options for startSandbox. */
export interface SandboxOptions {
  /** A scenario object, or the path of a scenario YAML file. */
  scenario: Scenario | string | Record<string, unknown>;
  awsPort?: number;
  gitlabPort?: number;
}

/** Starts both emulators on loopback ports (0 = any free port). */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const scenario =
    typeof options.scenario === 'string'
      ? await loadScenario(options.scenario)
      : parseScenario(options.scenario);
  const world = new World(scenario);
  let gitlabUrl = '';
  const aws = new AwsSandbox(world);
  const gitlab = new GitLabSandbox(world, () => gitlabUrl);
  const awsServer = serve(world, (req, res, body) => aws.handle(req, res, body));
  const gitlabServer = serve(world, (req, res, body) => gitlab.handle(req, res, body));
  const awsPort = await listen(awsServer, options.awsPort ?? 0);
  const gitlabPort = await listen(gitlabServer, options.gitlabPort ?? 0);
  const awsEndpoint = `http://127.0.0.1:${awsPort}`;
  gitlabUrl = `http://127.0.0.1:${gitlabPort}`;
  const gitlabToken = scenario.gitlab.tokens[0] ?? '';
  const accessKeyId = scenario.aws.accounts.find((a) => a.accessKeyId)?.accessKeyId ?? 'AKIASANDBOX';
  return {
    awsEndpoint,
    gitlabUrl,
    gitlabToken,
    world,
    env: () => ({
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'sandbox-secret',
      AWS_REGION: Object.keys(scenario.aws.accounts[0]?.regions ?? {})[0] ?? 'us-east-1',
      // Never let an SDK look for instance metadata outside loopback.
      AWS_EC2_METADATA_DISABLED: 'true',
      GITLAB_URL: gitlabUrl,
      GITLAB_TOKEN: gitlabToken,
    }),
    close: async () => {
      world.release();
      for (const s of [awsServer, gitlabServer]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
