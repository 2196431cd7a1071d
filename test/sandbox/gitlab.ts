import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Ctx,
  HttpError,
  MAX_TEXT_BYTES,
  MovedProject,
  malformed,
  notFound,
  paginate,
  rateLimit,
} from './gitlab-answers.js';
import { GitLabGraphqlSandbox } from './gitlab-graphql.js';
import { branchJson, envJson, mrJson, projectJson } from './gitlab-json.js';
import type { SandboxProject, World } from './world.js';

/**
 * GitLab REST v4: projects, branches, merge requests and notes, environments, issues, labels, with
 * GitLab's offset pagination, token auth and the per-token rate limit (`gitlab-answers.ts`).
 */

export class GitLabSandbox {
  private readonly graphql: GitLabGraphqlSandbox;

  constructor(
    private readonly world: World,
    private readonly baseUrl: () => string,
  ) {
    this.graphql = new GitLabGraphqlSandbox(world);
  }

  async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const w = this.world;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v4/, '');
    let status = 200;
    // Route template for the request log: ids become placeholders. It is known before anything can
    // fail, so failed requests are logged by route too.
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const segments = path.split('/').filter(Boolean).map(decode);
    // Its own list, not the product's routeOf: the sandbox counts calls for the bench and the tests,
    // so it must not share a mistake with the code it measures.
    const collections = new Set([
      'projects',
      'branches',
      'merge_requests',
      'environments',
      'issues',
      'notes',
      'labels',
    ]);
    const operation = `${method} /${segments.map((s, i) => (i > 0 && collections.has(segments[i - 1] as string) ? ':id' : s)).join('/')}`;
    try {
      const graphql = url.pathname === '/api/graphql' && method === 'POST';
      if (!url.pathname.startsWith('/api/v4/') && !graphql) throw notFound();
      const token = (req.headers['private-token'] ??
        req.headers['job-token'] ??
        (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')) as string;
      const latency = w.scenario.latency.gitlab + (w.fault('gitlab', path, ['latency'])?.latencyMs ?? 0);
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (
        !token ||
        !w.gitlabTokens.has(token) ||
        w.revokedTokens.has(token) ||
        w.fault('gitlab', path, ['revoke'])
      ) {
        throw new HttpError(401, { message: '401 Unauthorized' });
      }
      rateLimit(this.world, token, res);
      const scopes = w.scenario.gitlab.tokenScopes[token] ?? ['api'];
      // GitLab's API wants `api` or `read_api` for any request (`read_repository` alone is for Git over
      // HTTP); the token's own info answers whatever its scopes, so `doctor` can say which it has.
      const apiScope = scopes.includes('api') || scopes.includes('read_api');
      if (!apiScope && !graphql && path !== '/personal_access_tokens/self')
        throw new HttpError(403, {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: 'api read_api',
        });
      // A GraphQL query reads (its scopes are checked there); mutations are not served.
      if (method !== 'GET' && method !== 'HEAD' && !graphql && !scopes.includes('api')) {
        throw new HttpError(403, {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: 'api',
        });
      }
      const f = w.fault('gitlab', path, ['error', 'throttle', 'hang', 'hold'], 'before', method);
      if (f?.kind === 'hold') await w.hold(`${method} ${path}`);
      if (f?.kind === 'hang') await new Promise((r) => setTimeout(r, 600_000).unref());
      if (f?.kind === 'throttle') {
        res.setHeader('Retry-After', '1');
        throw new HttpError(429, 'Retry later\n');
      }
      if (f?.kind === 'error')
        throw new HttpError(f.status, { message: f.message ?? `${f.status} injected fault` });
      let body: Record<string, unknown> = {};
      if (raw.length > 0) {
        const type = String(req.headers['content-type'] ?? '');
        body = type.includes('json')
          ? (JSON.parse(raw.toString()) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(raw.toString()));
      }
      for (const [k, v] of url.searchParams) if (!(k in body)) body[k] = v;
      // GitLab's text limits: 1 MiB of UTF-8 for descriptions and note bodies, 255 characters for titles.
      for (const field of ['description', 'body'] as const) {
        const text = body[field];
        if (typeof text === 'string' && Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES)
          throw new HttpError(400, {
            message: { [field]: [`is too long (maximum is ${MAX_TEXT_BYTES} characters)`] },
          });
      }
      if (typeof body.title === 'string' && Array.from(body.title).length > 255)
        throw new HttpError(400, { message: { title: ['is too long (maximum is 255 characters)'] } });
      const out = graphql
        ? await this.graphql.handle(body, token)
        : this.route({ method, url, segments, body, token, res });
      if (w.fault('gitlab', path, ['hold'], 'after', method)) await w.hold(`${method} ${path} (answer)`);
      if (out === undefined) {
        status = 204;
        res.writeHead(204).end();
      } else {
        status = method === 'POST' && !graphql ? 201 : 200;
        if (method === 'POST' && segments.at(-1) === 'stop') status = 200;
        const broken = w.fault('gitlab', path, ['malformed'], undefined, method);
        if (broken) {
          const { type, text } = malformed(out, broken.variant);
          res.writeHead(status, { 'content-type': type }).end(text);
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      }
    } catch (e) {
      if (e instanceof MovedProject) {
        // The same route and query, by id: clients follow it (fetch does, as browsers do).
        const to = new URL(
          url.pathname.replace(/^\/api\/v4\/projects\/[^/]+/, `/api/v4/projects/${e.projectId}`),
          this.baseUrl(),
        );
        to.search = url.search;
        status = 301;
        res
          .writeHead(301, { location: to.toString(), 'content-type': 'application/json' })
          .end(JSON.stringify(e.body));
        return;
      }
      const err =
        e instanceof HttpError
          ? e
          : new HttpError(500, { message: `500 Internal Server Error: ${(e as Error).message}` });
      // An error page a proxy turns into a 200 with a broken body (fault kind `malformed`).
      const broken =
        err.status !== 401 && err.status !== 429
          ? w.fault('gitlab', path, ['malformed'], undefined, method)
          : undefined;
      if (broken) {
        const { type, text } = malformed(err.body, broken.variant);
        status = 200;
        res.writeHead(200, { 'content-type': type }).end(text);
        return;
      }
      status = err.status;
      const text = typeof err.body === 'string';
      res
        .writeHead(err.status, { 'content-type': text ? 'text/plain' : 'application/json' })
        .end(text ? (err.body as string) : JSON.stringify(err.body));
    } finally {
      w.logRequest({
        service: 'gitlab',
        operation,
        status,
        target: path,
        agent: String(req.headers['user-agent'] ?? ''),
      });
    }
  }

  /** Fixed one-minute window per token, with GitLab's RateLimit-* headers on every response. */
  private project(idOrPath: string | undefined): SandboxProject {
    const key = (idOrPath ?? '').toLowerCase();
    const all = [...this.world.projects.values()];
    const p = /^\d+$/.test(key)
      ? this.world.projects.get(Number(key))
      : all.find((x) => x.path.toLowerCase() === key);
    const moved = p ? undefined : all.find((x) => x.formerPaths.some((f) => f.toLowerCase() === key));
    if (moved?.visible) throw new MovedProject(moved.id);
    if (!p?.visible) throw notFound('404 Project Not Found');
    return p;
  }

  /** GitLab offset pagination, including the > 10,000 rows behaviour (no totals, no rel=last). */
  private route(ctx: Ctx): unknown {
    const [root, id, sub, subId, subSub, subSubId, tail] = ctx.segments;
    const m = ctx.method;
    if (root === 'personal_access_tokens' && id === 'self' && m === 'GET') {
      // What GitLab says of the token making the request: its scopes decide what it may do.
      return {
        id: 1,
        name: 'sandbox',
        revoked: false,
        active: true,
        scopes: this.world.scenario.gitlab.tokenScopes[ctx.token] ?? ['api'],
        expires_at: null,
      };
    }
    // GitLab's `GET /metadata` (15.2+; `read_api` or `api`): the same version the GraphQL side says.
    if (root === 'metadata' && id === undefined && m === 'GET')
      return { version: '18.6.0', revision: 'sandbox', kas: { enabled: false }, enterprise: false };
    if (root !== 'projects' || id === undefined) throw notFound();
    const p = this.project(id);
    if (sub === undefined && m === 'GET') return projectJson(p, this.baseUrl());
    if (sub === 'repository' && subId === 'branches') {
      if (subSub === undefined && m === 'GET') {
        let names = p.branchNames;
        const search = ctx.body.search as string | undefined;
        if (search) {
          const q = search.toLowerCase();
          names = names.filter((n) => {
            const s = n.toLowerCase();
            if (q.startsWith('^')) return s.startsWith(q.slice(1));
            if (q.endsWith('$')) return s.endsWith(q.slice(0, -1));
            return s.includes(q);
          });
        }
        return paginate(this.world, this.baseUrl(), ctx, names).map((n) =>
          branchJson(p, n, this.baseUrl(), this.world.startedAt),
        );
      }
      if (subSub !== undefined && m === 'GET') {
        if (!p.branchNames.includes(subSub) && !p.branches.has(subSub))
          throw notFound('404 Branch Not Found');
        return branchJson(p, subSub, this.baseUrl(), this.world.startedAt);
      }
      if (subSub !== undefined && m === 'DELETE') {
        p.branches.delete(subSub);
        p.branchNames = p.branchNames.filter((n) => n !== subSub);
        this.world.logWrite({
          service: 'gitlab',
          operation: 'DeleteBranch',
          target: `projects/${p.id}/branches/${subSub}`,
        });
        return undefined;
      }
    }
    if (sub === 'merge_requests') return this.mergeRequests(ctx, p, subId, subSub, subSubId);
    if (sub === 'environments') return this.environments(ctx, p, subId, subSub, tail);
    if (sub === 'issues') return this.issues(ctx, p, subId);
    if (sub === 'labels') {
      if (m === 'GET') return paginate(this.world, this.baseUrl(), ctx, p.labels);
      if (m === 'POST') {
        const name = String(ctx.body.name ?? '');
        if (p.labels.some((l) => l.name === name))
          throw new HttpError(409, { message: 'Label already exists' });
        const label = { id: this.world.id(), name, color: String(ctx.body.color ?? '#428BCA') };
        p.labels.push(label);
        this.world.logWrite({
          service: 'gitlab',
          operation: 'CreateLabel',
          target: `projects/${p.id}/labels/${name}`,
        });
        return label;
      }
    }
    throw notFound();
  }

  private mergeRequests(ctx: Ctx, p: SandboxProject, iid?: string, sub?: string, noteId?: string): unknown {
    const q = ctx.body;
    if (iid === undefined && ctx.method === 'GET') {
      let list = [...p.mergeRequests];
      const state = (q.state as string | undefined) ?? 'all';
      if (state !== 'all') list = list.filter((m) => m.state === state);
      if (q.source_branch) list = list.filter((m) => m.sourceBranch === q.source_branch);
      if (q.target_branch) list = list.filter((m) => m.targetBranch === q.target_branch);
      if (q.updated_after)
        list = list.filter((m) => m.updatedAt > new Date(String(q.updated_after)).toISOString());
      if (q.updated_before)
        list = list.filter((m) => m.updatedAt < new Date(String(q.updated_before)).toISOString());
      if (q.created_after)
        list = list.filter((m) => m.createdAt > new Date(String(q.created_after)).toISOString());
      const iids = Object.entries(q)
        .filter(([k]) => k === 'iids[]' || k === 'iids')
        .flatMap(([, v]) => String(v).split(','))
        .map(Number);
      if (iids.length > 0) list = list.filter((m) => iids.includes(m.iid));
      const labels = q.labels ? String(q.labels).split(',') : [];
      if (labels.length > 0) list = list.filter((m) => labels.every((l) => m.labels.includes(l)));
      const orderBy = (q.order_by as string | undefined) === 'updated_at' ? 'updatedAt' : 'createdAt';
      const dir = (q.sort as string | undefined) === 'asc' ? 1 : -1;
      list.sort((a, b) => (a[orderBy] < b[orderBy] ? -dir : a[orderBy] > b[orderBy] ? dir : b.iid - a.iid));
      return paginate(this.world, this.baseUrl(), ctx, list).map((m) => mrJson(p, m, this.baseUrl()));
    }
    const mr = p.mergeRequests.find((m) => String(m.iid) === iid);
    if (!mr) throw notFound();
    if (sub === undefined && ctx.method === 'GET') return mrJson(p, mr, this.baseUrl());
    if (sub === undefined && ctx.method === 'PUT') {
      const event = q.state_event as string | undefined;
      if (event === 'close') {
        mr.state = 'closed';
        mr.closedAt = this.world.now();
      } else if (event === 'reopen') {
        mr.state = 'opened';
        mr.closedAt = null;
      }
      if (q.labels !== undefined) mr.labels = String(q.labels).split(',').filter(Boolean);
      mr.updatedAt = this.world.now();
      this.world.logWrite({
        service: 'gitlab',
        operation: 'UpdateMergeRequest',
        target: `projects/${p.id}/merge_requests/${mr.iid}`,
        params: q,
      });
      return mrJson(p, mr, this.baseUrl());
    }
    if (sub === 'notes') {
      if (ctx.method === 'GET' && noteId === undefined) {
        const notes = [...mr.notes].sort((a, b) => b.id - a.id);
        return paginate(this.world, this.baseUrl(), ctx, notes).map((n) => ({
          id: n.id,
          body: n.body,
          author: { username: n.author },
          created_at: n.createdAt,
          updated_at: n.createdAt,
          system: n.system,
          noteable_type: 'MergeRequest',
          noteable_iid: mr.iid,
        }));
      }
      if (ctx.method === 'POST') {
        const note = {
          id: this.world.id(),
          body: String(q.body ?? ''),
          author: 'env-reaper',
          createdAt: this.world.now(),
          system: false,
        };
        if (!note.body) throw new HttpError(400, { message: 'body is missing' });
        mr.notes.push(note);
        this.world.logWrite({
          service: 'gitlab',
          operation: 'CreateMergeRequestNote',
          target: `projects/${p.id}/merge_requests/${mr.iid}`,
          params: { body: note.body },
        });
        return {
          id: note.id,
          body: note.body,
          author: { username: note.author },
          created_at: note.createdAt,
          system: false,
        };
      }
    }
    throw notFound();
  }

  private environments(
    ctx: Ctx,
    p: SandboxProject,
    envId?: string,
    action?: string,
    _tail?: string,
  ): unknown {
    const q = ctx.body;
    this.world.advanceStopJobs();
    if (envId === undefined && ctx.method === 'GET') {
      if (q.name !== undefined && q.search !== undefined)
        throw new HttpError(400, { error: 'name, search are mutually exclusive' });
      let list = [...p.environments];
      if (q.name !== undefined) list = list.filter((e) => e.name === q.name);
      if (q.search !== undefined) {
        const s = String(q.search).toLowerCase();
        if (s.length < 3) throw new HttpError(400, { message: 'search must be at least 3 characters' });
        list = list.filter(
          (e) =>
            e.name.toLowerCase().startsWith(s) ||
            e.name.toLowerCase().split('/').slice(1).join('/').startsWith(s),
        );
      }
      if (q.states !== undefined) list = list.filter((e) => e.state === q.states);
      list.sort((a, b) => a.id - b.id);
      return paginate(this.world, this.baseUrl(), ctx, list).map((e) => envJson(e, false));
    }
    const env = p.environments.find((e) => String(e.id) === envId);
    if (!env) throw notFound();
    if (action === undefined && ctx.method === 'GET') return envJson(env, true);
    if (action === 'stop' && ctx.method === 'POST') {
      const force = q.force === true || q.force === 'true';
      // GitLab's state machine: `stop` moves available → stopping (when a stop action waits) or stopped;
      // `force` is `stop_complete`, which moves available or stopping → stopped without the job.
      if (force && (env.state === 'available' || env.state === 'stopping')) env.state = 'stopped';
      else if (env.state === 'available') {
        env.state = env.hasStopAction ? 'stopping' : 'stopped';
        if (env.state === 'stopping') env.stopJobStartedAt = Date.now();
      }
      env.updatedAt = this.world.now();
      this.world.logWrite({
        service: 'gitlab',
        operation: 'StopEnvironment',
        target: `projects/${p.id}/environments/${env.id}`,
        params: { force },
      });
      return envJson(env, false);
    }
    if (action === undefined && ctx.method === 'DELETE') {
      if (env.state !== 'stopped') throw new HttpError(403, { message: '403 Forbidden' });
      p.environments = p.environments.filter((e) => e !== env);
      this.world.logWrite({
        service: 'gitlab',
        operation: 'DeleteEnvironment',
        target: `projects/${p.id}/environments/${env.id}`,
      });
      return undefined;
    }
    throw notFound();
  }

  private issues(ctx: Ctx, p: SandboxProject, iid?: string): unknown {
    const q = ctx.body;
    const json = (i: (typeof p.issues)[number]) => ({
      id: i.id,
      iid: i.iid,
      project_id: p.id,
      title: i.title,
      description: i.description,
      state: i.state,
      labels: i.labels,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      web_url: `${this.baseUrl()}/${p.path}/-/issues/${i.iid}`,
    });
    if (iid === undefined && ctx.method === 'GET') {
      let list = [...p.issues];
      if (q.state && q.state !== 'all') list = list.filter((i) => i.state === q.state);
      if (q.labels)
        list = list.filter((i) =>
          String(q.labels)
            .split(',')
            .every((l) => i.labels.includes(l)),
        );
      if (q.search) list = list.filter((i) => i.title.includes(String(q.search)));
      return paginate(
        this.world,
        this.baseUrl(),
        ctx,
        list.sort((a, b) => b.iid - a.iid),
      ).map(json);
    }
    if (iid === undefined && ctx.method === 'POST') {
      const now = this.world.now();
      const issue = {
        id: this.world.id(),
        iid: p.issues.length + 1,
        projectId: p.id,
        title: String(q.title ?? ''),
        description: String(q.description ?? ''),
        state: 'opened' as const,
        labels: q.labels ? String(q.labels).split(',') : [],
        createdAt: now,
        updatedAt: now,
      };
      if (!issue.title) throw new HttpError(400, { message: 'title is missing' });
      p.issues.push(issue);
      this.world.logWrite({
        service: 'gitlab',
        operation: 'CreateIssue',
        target: `projects/${p.id}/issues/${issue.iid}`,
      });
      return json(issue);
    }
    const issue = p.issues.find((i) => String(i.iid) === iid);
    if (!issue) throw notFound();
    if (ctx.method === 'GET') return json(issue);
    if (ctx.method === 'PUT') {
      if (q.title !== undefined) issue.title = String(q.title);
      if (q.description !== undefined) issue.description = String(q.description);
      if (q.state_event === 'close') issue.state = 'closed' as never;
      if (q.state_event === 'reopen') issue.state = 'opened';
      issue.updatedAt = this.world.now();
      this.world.logWrite({
        service: 'gitlab',
        operation: 'UpdateIssue',
        target: `projects/${p.id}/issues/${issue.iid}`,
      });
      return json(issue);
    }
    throw notFound();
  }
}
