import type { z } from 'zod';
import { trafficOf } from './aws-usage.js';
import {
  type Fault,
  faultSchema,
  resolveTime,
  type Scenario,
  type ScenarioContents,
  type ScenarioLoose,
  type ScenarioStack,
} from './scenario.js';
import { Storage } from './storage.js';
import { gitlabProject, mulberry32, SOME_CONTENTS, stackArn } from './world-build.js';
import type { RequestRecord, SandboxProject, SandboxStack, StackEvent, WriteRecord } from './world-types.js';

export type {
  RequestRecord,
  SandboxEnvironment,
  SandboxIssue,
  SandboxMergeRequest,
  SandboxProject,
  SandboxStack,
  StackEvent,
  WriteRecord,
} from './world-types.js';

/** Resource types the sandbox backs with storage (a non-empty one fails its stack's deletion). */
const STORAGE_TYPES = ['AWS::S3::Bucket', 'AWS::ECR::Repository'];

/** The sandbox's whole mutable state, shared by both servers and readable in-process by tests. */
export class World {
  readonly startedAt = Date.now();
  readonly stacks: SandboxStack[] = [];
  readonly projects = new Map<number, SandboxProject>();
  readonly accessKeys = new Map<string, string>();
  readonly roles = new Map<string, string>();
  readonly requests: RequestRecord[] = [];
  readonly writes: WriteRecord[] = [];
  faults: (Fault & { hits: number; seen?: number })[] = [];
  /** Requests parked by `hold` faults, released by `release()`. */
  held: { operation: string; release: () => void; drop: () => void }[] = [];
  readonly rng: () => number;
  readonly gitlabTokens: Set<string>;
  revokedTokens = new Set<string>();
  readonly defaultAccount: string;
  private seq = 0;
  private nextId = 1000;
  readonly rateWindows = new Map<string, { windowStart: number; count: number }>();
  /** The complexity of every GraphQL request served, as GitLab computed it (the bench prints the highest). */
  readonly graphqlComplexities: number[] = [];
  readonly cfnBuckets = new Map<string, { second: number; count: number }>();
  /** S3 buckets, ECR repositories and log groups: of stacks, and loose ones. */
  readonly storage = new Storage();

  constructor(readonly scenario: Scenario) {
    this.rng = mulberry32(scenario.seed);
    this.gitlabTokens = new Set(scenario.gitlab.tokens);
    this.faults = scenario.faults.map((f) => ({ ...f, hits: 0 }));
    const base = this.startedAt;
    const t = (text: string) => resolveTime(text, base);
    this.defaultAccount = scenario.aws.accounts[0]?.id ?? '000000000000';
    for (const account of scenario.aws.accounts) {
      if (account.accessKeyId) this.accessKeys.set(account.accessKeyId, account.id);
      for (const role of account.roles) {
        this.roles.set(
          role.arn,
          role.account ?? /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(role.arn)?.[1] ?? account.id,
        );
      }
      for (const [region, { stacks }] of Object.entries(account.regions)) {
        const byName = new Map<string, SandboxStack>();
        // Parents first, so nested stacks can point at them and inherit their tags.
        const ordered = [...stacks].sort(
          (a, b) => Number(a.parent !== undefined) - Number(b.parent !== undefined),
        );
        for (const s of ordered) {
          const stack = this.makeStack(account.id, region, s, t, byName);
          byName.set(s.name, stack);
          this.stacks.push(stack);
          this.backResources(stack, s);
        }
        const loose = (l: ScenarioLoose) => ({
          name: l.name,
          account: account.id,
          region,
          createdAt: t(l.created),
          tags: l.tags,
          ...(l.deleted !== undefined ? { deletedAt: t(l.deleted) } : {}),
          ...(l.monthlyCost !== undefined ? { monthlyCost: l.monthlyCost } : {}),
        });
        const r = account.regions[region];
        if (r) this.storage.addLoose(r, loose, t);
      }
    }
    for (const p of scenario.gitlab.projects)
      this.projects.set(
        p.id,
        gitlabProject(p, t, () => this.id()),
      );
  }

  private makeStack(
    account: string,
    region: string,
    s: ScenarioStack,
    t: (x: string) => string,
    byName: Map<string, SandboxStack>,
  ): SandboxStack {
    const parent = s.parent !== undefined ? byName.get(s.parent) : undefined;
    if (s.parent !== undefined && !parent)
      throw new Error(`scenario: parent stack ${s.parent} of ${s.name} not found`);
    const stack: SandboxStack = {
      account,
      region,
      stackId: stackArn(account, region, s.name),
      name: s.name,
      status: s.status,
      createdAt: t(s.created),
      // Nested stacks inherit the root's tags (as CloudFormation propagates them).
      tags: { ...(parent ? this.rootOf(parent).tags : {}), ...s.tags },
      terminationProtection: s.terminationProtection,
      exports: s.exports,
      imports: s.imports,
      resources: [
        ...s.resources.map((r) => ({
          logicalId: r.logicalId,
          type: r.type,
          status: r.status,
          retain: r.retain,
          physicalId: r.physicalId ?? `${s.name}-${r.logicalId}`.toLowerCase().slice(0, 63),
          usage: trafficOf(r, t),
        })),
        // A stack fails only on resources it has: a scripted failure names one, so it exists.
        ...(s.deletion?.failedResources ?? [])
          .filter((f) => !s.resources.some((r) => r.logicalId === f.logicalId))
          .map((f) => ({
            logicalId: f.logicalId,
            type: f.type,
            status: 'CREATE_COMPLETE',
            retain: false,
            physicalId: `${s.name}-${f.logicalId}`.toLowerCase().slice(0, 63),
          })),
      ],
      deletion: {
        outcome: s.deletion?.outcome ?? 'complete',
        ms: (s.deletion?.seconds ?? this.scenario.aws.deleteSeconds) * 1000,
        failedResources: s.deletion?.failedResources ?? [],
      },
      events: [],
    };
    if (s.statusReason) stack.statusReason = s.statusReason;
    if (s.updated) stack.updatedAt = t(s.updated);
    if (s.monthlyCost !== undefined) stack.monthlyCost = s.monthlyCost;
    if (parent) {
      stack.parentId = parent.stackId;
      stack.rootId = this.rootOf(parent).stackId;
    }
    if (s.status === 'DELETE_COMPLETE') stack.deletedAt = stack.updatedAt ?? stack.createdAt;
    return stack;
  }

  /** Buckets and repositories of a live stack, tagged as CloudFormation tags what it creates. */
  private backResources(stack: SandboxStack, s: ScenarioStack): void {
    if (stack.status === 'DELETE_COMPLETE') return;
    for (const r of stack.resources) {
      const declared = s.resources.find((x) => x.logicalId === r.logicalId);
      // A scripted failure of a bucket or repository means it holds data (BucketNotEmpty): give it some.
      const scripted =
        s.deletion?.outcome === 'failed' &&
        s.deletion.failedResources.some((f) => f.logicalId === r.logicalId);
      const contents: ScenarioContents | undefined =
        declared?.contents ?? (scripted ? { ...SOME_CONTENTS } : undefined);
      const base = {
        name: r.physicalId,
        account: stack.account,
        region: stack.region,
        createdAt: stack.createdAt,
        tags: {
          ...stack.tags,
          'aws:cloudformation:stack-name': stack.name,
          'aws:cloudformation:stack-id': stack.stackId,
          'aws:cloudformation:logical-id': r.logicalId,
        },
        ...(declared?.monthlyCost !== undefined ? { monthlyCost: declared.monthlyCost } : {}),
      };
      if (r.type === 'AWS::S3::Bucket') this.storage.addBucket(base, contents);
      if (r.type === 'AWS::ECR::Repository') this.storage.addRepository(base, contents);
    }
  }

  /** Why a resource of a deleting stack cannot go, as CloudFormation reports it; undefined when it can. */
  private blocker(stack: SandboxStack, r: SandboxStack['resources'][number]): string | undefined {
    if (r.type === 'AWS::S3::Bucket' && (this.storage.bucket(r.physicalId)?.entries.length ?? 0) > 0)
      return 'The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Error Code: BucketNotEmpty)';
    if (
      r.type === 'AWS::ECR::Repository' &&
      (this.storage.repository(stack.account, stack.region, r.physicalId)?.images.length ?? 0) > 0
    )
      return `Resource handler returned message: "The repository with name '${r.physicalId}' in registry with id '${stack.account}' cannot be deleted because it still contains images (Service: Ecr, Status Code: 400)"`;
    return undefined;
  }

  /** The stack's buckets and repositories go with it, unless retained or skipped. */
  private removeResources(stack: SandboxStack, keep: Set<string>, at: string): void {
    for (const r of stack.resources) {
      if (r.retain || keep.has(r.logicalId)) continue;
      const b = r.type === 'AWS::S3::Bucket' ? this.storage.bucket(r.physicalId) : undefined;
      if (b) b.deletedAt = at;
      const repo =
        r.type === 'AWS::ECR::Repository'
          ? this.storage.repository(stack.account, stack.region, r.physicalId)
          : undefined;
      if (repo) repo.deletedAt = at;
    }
  }

  private rootOf(stack: SandboxStack): SandboxStack {
    return stack.rootId ? (this.stacks.find((s) => s.stackId === stack.rootId) ?? stack) : stack;
  }

  /** A fresh numeric id. */
  id(): number {
    return this.nextId++;
  }

  /** Sandbox "now" as ISO. */
  now(): string {
    return new Date().toISOString();
  }

  /** Records a served request. */
  logRequest(r: Omit<RequestRecord, 'seq' | 'at'>): void {
    this.requests.push({ seq: ++this.seq, at: this.now(), ...r });
  }

  /** Records an accepted write. */
  logWrite(w: Omit<WriteRecord, 'seq' | 'at'>): void {
    this.writes.push({ seq: ++this.seq, at: this.now(), ...w });
  }

  /** Requests per service and operation. */
  counts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const r of this.requests) {
      const svc = out[r.service] ?? {};
      out[r.service] = svc;
      svc[r.operation] = (svc[r.operation] ?? 0) + 1;
    }
    return out;
  }

  /** Adds a fault rule (defaults filled in as for the `/__sandbox/faults` control route). */
  addFault(input: z.input<typeof faultSchema>): void {
    this.faults.push({ ...faultSchema.parse(input), hits: 0 });
  }

  /** The first fault rule that applies to this request, if any (and counts the hit). */
  fault(
    service: 'aws' | 'gitlab',
    subject: string,
    kinds?: Fault['kind'][],
    phase?: Fault['phase'],
    method?: string,
  ): Fault | undefined {
    for (const f of this.faults) {
      if (f.service !== service || (kinds && !kinds.includes(f.kind))) continue;
      if (f.method !== undefined && method !== undefined && f.method !== method) continue;
      if (phase !== undefined && f.kind === 'hold' && f.phase !== phase) continue;
      const matches =
        service === 'aws' ? f.match === '*' || f.match === subject : new RegExp(f.match).test(subject);
      if (!matches) continue;
      f.seen = (f.seen ?? 0) + 1;
      if (f.seen <= f.after) continue;
      if (f.count !== undefined && f.hits >= f.count) continue;
      if (f.probability !== undefined && this.rng() >= f.probability) continue;
      f.hits++;
      return f;
    }
    return undefined;
  }

  /** Parks a request until release(). */
  hold(operation: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.held.push({ operation, release: resolve, drop: () => reject(new Error('dropped')) }),
    );
  }

  /**
   * Lets every held request go on; with `drop`, fails them instead, so a request parked before it was
   * applied never is (its client died before the request got anywhere).
   */
  release(drop = false): number {
    const n = this.held.length;
    for (const h of this.held.splice(0)) (drop ? h.drop : h.release)();
    return n;
  }

  /** Moves a deleting stack on, lazily, according to the clock: no timers to leak. */
  advance(stack: SandboxStack): void {
    const d = stack.deleting;
    if (!d || stack.status !== 'DELETE_IN_PROGRESS') return;
    if (stack.deletion.outcome === 'hang' && !d.force) return;
    if (Date.now() - d.startedAt < stack.deletion.ms) return;
    const at = this.now();
    const importers = this.importersOf(stack);
    if (importers.length > 0) {
      // CloudFormation does not fail here: it rolls back to the previous status (AWS's API documentation).
      const exp = stack.exports.find((e) => importers.some((i) => i.imports.includes(e.name)));
      stack.status = d.previousStatus;
      stack.statusReason = `Export ${exp?.name} cannot be deleted as it is in use by ${importers.map((i) => i.name).join(' and ')}`;
      this.event(
        stack,
        stack.name,
        stack.stackId,
        'AWS::CloudFormation::Stack',
        d.previousStatus,
        stack.statusReason,
        d.token,
      );
      delete stack.deleting;
      return;
    }
    // A scripted failure of a bucket or repository holds only while it holds data: once emptied, the
    // resource deletes, as on AWS.
    const scripted =
      stack.deletion.outcome === 'failed'
        ? stack.deletion.failedResources
            .filter((r) => !d.retain.includes(r.logicalId))
            .filter((f) => {
              const r = stack.resources.find((x) => x.logicalId === f.logicalId);
              return !r || this.blocker(stack, r) !== undefined || !STORAGE_TYPES.includes(r.type);
            })
        : [];
    // A bucket or repository still holding data fails like on AWS (retained ones are skipped).
    const blocked = stack.resources
      .filter((r) => !r.retain && !d.retain.includes(r.logicalId))
      .filter((r) => !scripted.some((f) => f.logicalId === r.logicalId))
      .flatMap((r) => {
        const reason = this.blocker(stack, r);
        return reason ? [{ logicalId: r.logicalId, type: r.type, reason }] : [];
      });
    const failing = [...scripted, ...blocked];
    if (failing.length > 0 && !d.force) {
      for (const r of failing)
        this.event(
          stack,
          r.logicalId,
          stack.resources.find((x) => x.logicalId === r.logicalId)?.physicalId ??
            `${stack.name}-${r.logicalId}`,
          r.type,
          'DELETE_FAILED',
          r.reason,
          d.token,
        );
      stack.failedNow = failing.map((r) => r.logicalId);
      stack.status = 'DELETE_FAILED';
      stack.statusReason = `The following resource(s) failed to delete: [${failing.map((r) => r.logicalId).join(', ')}]. `;
      this.event(
        stack,
        stack.name,
        stack.stackId,
        'AWS::CloudFormation::Stack',
        'DELETE_FAILED',
        stack.statusReason,
        d.token,
      );
      delete stack.deleting;
      return;
    }
    // FORCE_DELETE_STACK skips what failed: those resources stay, like retained ones.
    this.removeResources(
      stack,
      new Set([...d.retain, ...(d.force ? failing.map((r) => r.logicalId) : [])]),
      at,
    );
    delete stack.failedNow;
    stack.status = 'DELETE_COMPLETE';
    delete stack.statusReason;
    stack.deletedAt = at;
    this.event(
      stack,
      stack.name,
      stack.stackId,
      'AWS::CloudFormation::Stack',
      'DELETE_COMPLETE',
      undefined,
      d.token,
    );
    delete stack.deleting;
    // Nested stacks go with their root.
    for (const child of this.stacks.filter(
      (s) => s.rootId === stack.stackId && s.status !== 'DELETE_COMPLETE',
    )) {
      child.status = 'DELETE_COMPLETE';
      child.deletedAt = at;
    }
  }

  /** Live stacks (other than `stack` and its nested ones) importing one of its exports. */
  importersOf(stack: SandboxStack): SandboxStack[] {
    const names = stack.exports.map((e) => e.name);
    if (names.length === 0) return [];
    return this.stacks.filter(
      (s) =>
        s.account === stack.account &&
        s.region === stack.region &&
        s.status !== 'DELETE_COMPLETE' &&
        s.rootId !== stack.stackId &&
        s.stackId !== stack.stackId &&
        s.imports.some((i) => names.includes(i)),
    );
  }

  /** Appends a stack event. */
  event(
    stack: SandboxStack,
    logicalId: string,
    physicalId: string,
    resourceType: string,
    status: string,
    reason?: string,
    token?: string,
  ): void {
    const e: StackEvent = {
      eventId: `${logicalId}-${status}-${this.id()}`,
      logicalId,
      physicalId,
      resourceType,
      status,
      timestamp: this.now(),
    };
    if (reason !== undefined) e.reason = reason;
    if (token !== undefined) e.clientRequestToken = token;
    stack.events.unshift(e);
  }

  /** Every stack after advancing the deleting ones (and the stop jobs that delete stacks). */
  allStacks(): SandboxStack[] {
    this.advanceStopJobs();
    for (const s of this.stacks) this.advance(s);
    return this.stacks;
  }

  /**
   * Moves `on_stop` jobs on, lazily: when one is due it deletes its stacks the way DeleteStack does
   * (logged as a write by the job, not by the client) and stops the environment, or fails.
   */
  advanceStopJobs(): void {
    for (const p of this.projects.values()) {
      for (const env of p.environments) {
        const job = env.onStop;
        if (env.state !== 'stopping' || !job || env.stopJobStartedAt === undefined) continue;
        if (job.outcome === 'never-start') continue;
        if (Date.now() - env.stopJobStartedAt < job.afterSeconds * 1000) continue;
        delete env.stopJobStartedAt;
        env.updatedAt = this.now();
        if (job.outcome === 'fail') {
          env.state = 'available';
          continue;
        }
        const targets = this.stacks.filter(
          (s) =>
            s.status !== 'DELETE_COMPLETE' &&
            !s.parentId &&
            (job.stacks ? job.stacks.includes(s.name) : s.tags['gitlab:environment'] === env.name),
        );
        for (const s of targets) {
          this.logWrite({
            service: 'aws',
            operation: 'DeleteStack',
            target: s.stackId,
            params: { name: s.name, by: 'on_stop job' },
          });
          s.deleting = { startedAt: Date.now(), previousStatus: s.status, retain: [], force: false };
          s.status = 'DELETE_IN_PROGRESS';
          this.event(
            s,
            s.name,
            s.stackId,
            'AWS::CloudFormation::Stack',
            'DELETE_IN_PROGRESS',
            'User Initiated',
          );
        }
        env.state = 'stopped';
      }
    }
  }

  /** Finds a stack by name (live only) or by ARN (also deleted). */
  findStack(account: string, region: string, nameOrId: string): SandboxStack | undefined {
    const stacks = this.allStacks().filter((s) => s.account === account && s.region === region);
    if (nameOrId.startsWith('arn:')) return stacks.find((s) => s.stackId === nameOrId);
    return stacks.find((s) => s.name === nameOrId && s.status !== 'DELETE_COMPLETE');
  }
}
