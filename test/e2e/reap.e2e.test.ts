import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, readJsonLines, runCli, startCli, until } from '../helpers/cli.js';
import {
  byName,
  closeSandboxes,
  deletesOf,
  MAIN,
  type StackSpec,
  setup,
  statusOf,
  world,
} from '../helpers/reap-e2e.js';

/**
 * reap end to end: the built CLI against the sandbox. Assertions read the sandbox's own write log,
 * never only our output.
 */

afterEach(closeSandboxes);

describe('reap e2e', () => {
  it('deletes exactly the merged and branch-deleted stacks past grace, proves it, and is idempotent', async () => {
    const { sb, dir, reap } = await setup(world(MAIN));
    const first = await reap();
    const report = JSON.parse(first.stdout) as Report;
    const envs = byName(report);
    expect(first.code).toBe(1); // review-failing ends DELETE_FAILED
    expect(deletesOf(sb).sort()).toEqual(['review-failing', 'review-gone', 'review-merged']);
    expect(statusOf(sb, 'review-merged')).toBe('DELETE_COMPLETE');
    expect(statusOf(sb, 'review-gone')).toBe('DELETE_COMPLETE');
    expect(envs['review-merged']?.result).toBe('deleted');
    // Inside grace: planned for later, not deleted.
    expect(envs['review-fresh']?.plan).toMatchObject({ status: 'waiting', waitingFor: 'grace' });
    for (const name of ['review-fresh', 'review-protected', 'review-keep', 'review-busy', 'review-live-0']) {
      expect(statusOf(sb, name)).not.toMatch(/DELETE/);
    }
    // DELETE_FAILED: the failed resource and its reason are in the report.
    expect(statusOf(sb, 'review-failing')).toBe('DELETE_FAILED');
    expect(envs['review-failing']).toMatchObject({ result: 'failed', error: { code: 'DELETE_FAILED' } });
    expect(envs['review-failing']?.error?.message).toMatch(/AssetsBucket.*BucketNotEmpty/);
    expect(report.summary).toMatchObject({ deleted: 2, failed: 1 });
    // Run-derived request tokens.
    for (const w of sb.world.writes.filter((x) => x.operation === 'DeleteStack')) {
      expect(String(w.params?.clientRequestToken)).toMatch(
        new RegExp(`^env-reaper-${report.runId}-[0-9a-f]{16}$`),
      );
    }
    // GitLab side: environment stopped with force, one note on the MR with the hidden marker.
    const gitlabWrites = sb.world.writes.filter((w) => w.service === 'gitlab');
    expect(gitlabWrites.filter((w) => w.operation === 'StopEnvironment')).toHaveLength(2);
    expect(gitlabWrites.every((w) => w.operation !== 'StopEnvironment' || w.params?.force === true)).toBe(
      true,
    );
    const notes = sb.world.projects.get(1)?.mergeRequests.find((m) => m.iid === 2)?.notes ?? [];
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toMatch(
      /<!-- env-reaper:deleted arn:aws:cloudformation:eu-west-1:111111111111:stack\/review-merged\//,
    );
    expect(notes[0]?.body).toMatch(/MR_MERGED/);
    // Audit log: JSON lines for every attempt and outcome.
    const audit = await readJsonLines(join(dir, 'audit.jsonl'));
    expect(audit.filter((a) => a.event === 'delete-attempt')).toHaveLength(3);
    expect(audit.filter((a) => a.event === 'delete-complete')).toHaveLength(2);
    // A second run changes nothing: no new DeleteStack, no new note.
    const writes = sb.world.writes.length;
    const second = await reap();
    expect(second.code).toBe(0);
    expect(sb.world.writes.length).toBe(writes);
  }, 60_000);

  it('reports the trend against the previous run: new, resolved, still flagged', async () => {
    const { reap, dir } = await setup(world(MAIN));
    const first = JSON.parse((await reap()).stdout) as Report;
    expect(first.trend?.previousRunId).toBeNull();
    expect(first.trend?.new).toEqual(['review-failing', 'review-fresh', 'review-gone', 'review-merged']);
    const second = JSON.parse((await reap(['--output', `markdown=${join(dir, 'r.md')}`])).stdout) as Report;
    expect(await readFile(join(dir, 'r.md'), 'utf8')).toMatch(
      /### trend since the previous run[\s\S]*resolved: `review-gone`, `review-merged`/,
    );
    expect(second.trend?.previousRunId).toBe(first.runId);
    expect(second.trend?.resolved).toEqual(['review-gone', 'review-merged']);
    expect(second.trend?.stillFlagged).toEqual([
      { name: 'review-failing', runs: 2 },
      { name: 'review-fresh', runs: 2 },
    ]);
  });

  it('stops ghost environments (review/, stack gone) when the policy says so, and only those', async () => {
    const scenario = world(MAIN.slice(0, 1), {
      environments: [
        { name: 'review/feature/merged', lastDeployment: { ref: 'feature/merged' } },
        { name: 'review/feature/long-gone', updated: '-9d' },
        { name: 'staging', tier: 'staging' },
      ],
    });
    const dry = await setup(scenario, { notify: { ghostEnvironments: true } });
    const r = JSON.parse(
      (await runCli(['reap', '--config', dry.file, '--format', 'json'], dry.env)).stdout,
    ) as Report;
    expect(r.gitlabEnvironments).toMatchObject({
      ghosts: [{ name: 'review/feature/long-gone' }],
      stuck: [],
      stopped: 0,
    });
    expect(dry.sb.world.writes).toEqual([]);
    const { sb, reap } = await setup(scenario, {
      notify: { ghostEnvironments: true },
      policy: { stopGhostEnvironments: true },
    });
    const applied = JSON.parse((await reap()).stdout) as Report;
    expect(applied.gitlabEnvironments?.stopped).toBe(1);
    const stops = sb.world.writes.filter((w) => w.operation === 'StopEnvironment');
    const ghostId = sb.world.projects
      .get(1)
      ?.environments.find((e) => e.name === 'review/feature/long-gone')?.id;
    expect(stops.map((w) => w.target)).toContain(`projects/1/environments/${ghostId}`);
    expect(sb.world.projects.get(1)?.environments.find((e) => e.name === 'staging')?.state).toBe('available');
  });

  it('keeps one dashboard issue true over three runs, and a ticked checkbox keeps its stack', async () => {
    const { sb, reap } = await setup(world(MAIN), { notify: { dashboard: { project: 'acme/shop' } } });
    const issues = () => sb.world.projects.get(1)?.issues ?? [];
    await reap();
    expect(issues()).toHaveLength(1);
    const first = issues()[0]?.description ?? '';
    expect(issues()[0]?.labels).toEqual(['env-reaper-dashboard']);
    expect(first).toMatch(
      /### Recently deleted \(2\)[\s\S]*`review-(gone|merged)`[\s\S]*`review-(gone|merged)`/,
    );
    expect(first).toMatch(
      /^- \[ \] keep `review-fresh` \(`acme\/shop`, branch `feature\/fresh`, !3 by `@dev`, 3 days old\): merged, .*<!-- env-reaper:keep arn:\S+ -->$/m,
    );
    // A person ticks "keep" for review-fresh.
    const ticked = first.replace(/^- \[ \] (keep `review-fresh`)/m, '- [x] $1');
    await fetch(`${sb.gitlabUrl}/api/v4/projects/1/issues/${issues()[0]?.iid}`, {
      method: 'PUT',
      headers: { 'PRIVATE-TOKEN': sb.gitlabToken, 'content-type': 'application/json' },
      body: JSON.stringify({ description: ticked }),
    });
    const second = JSON.parse((await reap()).stdout) as Report;
    expect(byName(second)['review-fresh']).toMatchObject({
      verdict: 'protected',
      reasons: [{ code: 'DASHBOARD_KEEP' }],
    });
    const body2 = issues()[0]?.description ?? '';
    expect(body2).toMatch(
      /### Kept from this dashboard \(1\)[\s\S]*- \[x\] keep `review-fresh`: kept until \d{4}-/,
    );
    expect(body2).toMatch(/### Stuck: DELETE_FAILED \(1\)\n\n- `review-failing` \(for 2 runs\)/);
    expect(body2).not.toMatch(/- \[ \] keep `review-fresh`/);
    await reap();
    expect(issues()).toHaveLength(1);
    const body3 = issues()[0]?.description ?? '';
    expect(body3).toMatch(/- \[x\] keep `review-fresh`/);
    expect(body3).toMatch(/### Trend\n\n0 new, 0 resolved, \d+ still flagged/);
    expect(statusOf(sb, 'review-fresh')).toBe('CREATE_COMPLETE');
  });

  it('a brake deletes nothing (exit 3) when half the stacks look dead', async () => {
    const dead = Array.from({ length: 8 }, (_, i) => ({
      name: `review-dead-${i}`,
      ref: `feature/dead-${i}`,
    }));
    const { sb, reap } = await setup(world(dead));
    const r = await reap();
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.summary.brake).toMatchObject({ kind: 'max-percent', due: 8, inScope: 16 });
    expect(sb.world.writes).toEqual([]);
    const count = await reap([
      '--config',
      await configFile({
        aws: { regions: ['eu-west-1'] },
        limits: { maxDeletionsPerRun: 5, maxDeletionPercent: 100 },
      }),
    ]);
    expect(count.code).toBe(3);
    expect(sb.world.writes).toEqual([]);
  });

  it('cancels a deletion when the MR is reopened between plan and delete', async () => {
    const { sb, file, env } = await setup({
      ...world(MAIN.slice(0, 3)),
      // Park the executor's account guard (the 2nd GetCallerIdentity), after the plan was made.
      faults: [{ service: 'aws', match: 'GetCallerIdentity', kind: 'hold', after: 1 }],
    });
    const run = startCli(['reap', '--apply', '--config', file, '--format', 'json'], env);
    await until(() => sb.world.held.length > 0, 'the executor to start');
    const reopened = await fetch(`${sb.gitlabUrl}/__sandbox/gitlab/merge-request`, {
      method: 'POST',
      body: JSON.stringify({ projectId: 1, iid: 2, state: 'opened' }),
    });
    expect(reopened.status).toBe(200);
    await fetch(`${sb.awsEndpoint}/__sandbox/release`, { method: 'POST' });
    const r = await run.done;
    const envs = byName(JSON.parse(r.stdout) as Report);
    expect(envs['review-merged']).toMatchObject({ result: 'cancelled', error: { code: 'EVIDENCE_CHANGED' } });
    expect(deletesOf(sb)).toEqual(['review-gone']);
    expect(statusOf(sb, 'review-merged')).toBe('CREATE_COMPLETE');
  });

  it('an env-reaper::keep label put on the MR before the delete keeps the stack', async () => {
    const { sb, file, env } = await setup({
      ...world(MAIN.slice(0, 3)),
      faults: [{ service: 'aws', match: 'GetCallerIdentity', kind: 'hold', after: 1 }],
    });
    const run = startCli(['reap', '--apply', '--config', file, '--format', 'json'], env);
    await until(() => sb.world.held.length > 0, 'the executor to start');
    const labelled = await fetch(`${sb.gitlabUrl}/api/v4/projects/1/merge_requests/2`, {
      method: 'PUT',
      headers: { 'PRIVATE-TOKEN': sb.gitlabToken, 'content-type': 'application/json' },
      body: JSON.stringify({ labels: 'env-reaper::keep' }),
    });
    expect(labelled.status).toBe(200);
    sb.world.release();
    const envs = byName(JSON.parse((await run.done).stdout) as Report);
    expect(envs['review-merged']).toMatchObject({ result: 'cancelled', error: { code: 'EVIDENCE_CHANGED' } });
    expect(envs['review-merged']?.error?.message).toMatch(/protected.*MR_KEEP_LABEL/);
    expect(deletesOf(sb)).toEqual(['review-gone']);
  });

  it('posts exactly one advance notice on the MR of a stack inside its grace, never again on reruns', async () => {
    const { sb, reap } = await setup(world(MAIN.slice(0, 2)));
    await reap();
    await reap();
    const notes = sb.world.projects.get(1)?.mergeRequests.find((m) => m.iid === 3)?.notes ?? [];
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toMatch(
      /<!-- env-reaper:notice arn:aws:cloudformation:eu-west-1:111111111111:stack\/review-fresh\/\S+ merged -->/,
    );
    expect(notes[0]?.body).toMatch(/will be deleted after \*\*\d{4}-\d\d-\d\dT/);
    expect(notes[0]?.body).toMatch(/env-reaper::keep/);
    expect(statusOf(sb, 'review-fresh')).toBe('CREATE_COMPLETE');
  });

  it('with a notice window: notice first, deletion only after the window, then the closing note; a keep label saves it', async () => {
    const stacks = [
      { name: 'review-merged', ref: 'feature/merged', tags: { 'gitlab:mr-iid': '2' } },
      { name: 'review-failing', ref: 'feature/failing', tags: { 'gitlab:mr-iid': '4' } },
    ];
    const { sb, reap } = await setup(world(stacks), { notify: { beforeDeleteHours: 0.0005 } });
    const first = JSON.parse((await reap()).stdout) as Report;
    expect(byName(first)['review-merged']?.plan).toMatchObject({ status: 'waiting', waitingFor: 'notice' });
    expect(deletesOf(sb)).toEqual([]);
    const notesOf = (iid: number) =>
      sb.world.projects.get(1)?.mergeRequests.find((m) => m.iid === iid)?.notes ?? [];
    expect(notesOf(2)).toHaveLength(1);
    expect(notesOf(4)).toHaveLength(1);
    // The owner of !4 says "keep" within the window.
    await fetch(`${sb.gitlabUrl}/api/v4/projects/1/merge_requests/4`, {
      method: 'PUT',
      headers: { 'PRIVATE-TOKEN': sb.gitlabToken, 'content-type': 'application/json' },
      body: JSON.stringify({ labels: 'env-reaper::keep' }),
    });
    await until(
      async () => {
        await reap();
        return statusOf(sb, 'review-merged') === 'DELETE_COMPLETE';
      },
      'the deletion after the notice window',
      30_000,
    );
    expect(deletesOf(sb)).toEqual(['review-merged']);
    expect(notesOf(2).map((n) => n.body.split(' ')[1])).toEqual(['env-reaper:notice', 'env-reaper:deleted']);
    expect(notesOf(4)).toHaveLength(1);
    expect(statusOf(sb, 'review-failing')).toBe('CREATE_COMPLETE');
  }, 60_000);

  it('detects the export-in-use fallback before the deadline, and never deletes an exporter whose importer lives', async () => {
    const stacks: StackSpec[] = [
      { name: 'review-exporter', ref: 'feature/exporter', extra: { exports: [{ name: 'shop-url' }] } },
      { name: 'review-importer', ref: 'feature/live-0', extra: { imports: ['shop-url'] } },
    ];
    // Pre-check: ListImports names a live importer → no DeleteStack at all.
    const pre = await setup(world(stacks));
    const r1 = await pre.reap();
    expect(byName(JSON.parse(r1.stdout) as Report)['review-exporter']).toMatchObject({
      result: 'cancelled',
      error: { code: 'EXPORT_IN_USE' },
    });
    expect(pre.sb.world.writes).toEqual([]);
    // Fallback: ListImports misses the importer; CloudFormation rolls the stack back; polling sees it.
    const fallback = await setup({
      ...world(stacks),
      faults: [
        {
          service: 'aws',
          match: 'ListImports',
          kind: 'error',
          status: 400,
          code: 'ValidationError',
          message: "Export 'shop-url' is not imported by any stack.",
        },
      ],
    });
    const started = Date.now();
    const r2 = await fallback.reap();
    expect(Date.now() - started).toBeLessThan(15_000);
    const exporter = byName(JSON.parse(r2.stdout) as Report)['review-exporter'];
    expect(exporter, JSON.stringify(exporter?.error)).toMatchObject({
      result: 'failed',
      error: { code: 'EXPORT_IN_USE' },
    });
    expect(exporter?.error?.message).toMatch(/in use by review-importer/);
    expect(deletesOf(fallback.sb)).toEqual(['review-exporter']);
    expect(statusOf(fallback.sb, 'review-exporter')).toBe('CREATE_COMPLETE');
  });

  it('onDeleteFailed retain retries with the failed resources retained', async () => {
    const { sb, reap } = await setup(world([MAIN[6] as StackSpec]), { policy: { onDeleteFailed: 'retain' } });
    const r = await reap();
    expect(r.code).toBe(0);
    const deletes = sb.world.writes.filter((w) => w.operation === 'DeleteStack');
    expect(deletes).toHaveLength(2);
    expect(deletes[1]?.params?.retain).toEqual(['AssetsBucket']);
    expect(statusOf(sb, 'review-failing')).toBe('DELETE_COMPLETE');
  });

  it('two concurrent runs: one holds the lock, the other does nothing', async () => {
    const { sb, file, env } = await setup({
      ...world(MAIN.slice(0, 3)),
      faults: [{ service: 'gitlab', match: '^/projects/1$', kind: 'hold', count: 1 }],
    });
    const a = startCli(['reap', '--apply', '--config', file], env);
    await until(() => sb.world.held.length > 0, 'run A to hold the lock');
    const requestsBefore = sb.world.requests.length;
    const b = await runCli(['reap', '--apply', '--config', file], env);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/another env-reaper run holds the lock/);
    expect(sb.world.requests.length).toBe(requestsBefore);
    sb.world.release();
    expect((await a.done).code).toBe(0);
    expect(deletesOf(sb).sort()).toEqual(['review-gone', 'review-merged']);
    // --wait-lock waits for the holder instead of giving up.
    const c = startCli(['reap', '--apply', '--config', file, '--wait-lock'], env);
    expect((await c.done).code).toBe(0);
  });

  /**
   * Deterministic crash points: the sandbox parks one request (`hold`, before it is applied or after it
   * was applied and before its answer), the test kills the CLI while it waits, and reruns. No timing luck:
   * the kill lands exactly where it is named.
   */
  const KILL_POINTS: {
    name: string;
    fault: Record<string, unknown>;
    /** Drop the parked request (the client died before it got anywhere) or let it finish (it was applied). */
    drop: boolean;
    /** A second fault for the first rerun, killed too (a crash while resuming). */
    resume?: Record<string, unknown>;
  }[] = [
    {
      name: 'before DeleteStack',
      fault: { service: 'aws', match: 'DeleteStack', kind: 'hold', count: 1 },
      drop: true,
    },
    {
      name: 'after DeleteStack, before its answer',
      fault: { service: 'aws', match: 'DeleteStack', kind: 'hold', phase: 'after', count: 1 },
      drop: false,
    },
    {
      name: 'between the MR note posted and state saved',
      fault: {
        service: 'gitlab',
        match: '/merge_requests/2/notes$',
        method: 'POST',
        kind: 'hold',
        phase: 'after',
        count: 1,
      },
      drop: false,
    },
    {
      name: 'during the resume of a killed deletion',
      fault: { service: 'aws', match: 'DeleteStack', kind: 'hold', phase: 'after', count: 1 },
      drop: false,
      // The rerun first lists stacks (one DescribeStacks page), then re-reads the interrupted deletion.
      resume: { service: 'aws', match: 'DescribeStacks', kind: 'hold', after: 1, count: 1 },
    },
  ];

  it.each(KILL_POINTS)(
    'SIGKILL $name: reruns converge, each dead stack deleted once, one note per stack, valid state and log',
    async ({ fault, drop, resume }) => {
      const dead = Array.from({ length: 3 }, (_, i) => ({
        name: `review-dead-${i}`,
        ref: 'feature/merged',
        tags: { 'gitlab:mr-iid': '2' },
      }));
      const { sb, dir, file, env } = await setup(
        world([...dead, { name: 'review-gone', ref: 'feature/gone' }]),
        {
          limits: { deleteTimeout: '30s', maxDeletionPercent: 50 },
        },
      );
      const killAt = async (f: Record<string, unknown>, dropHeld: boolean) => {
        sb.world.addFault(f as never);
        const victim = startCli(['reap', '--apply', '--config', file], env);
        await until(() => sb.world.held.length > 0, 'the CLI to reach the kill point');
        victim.child.kill('SIGKILL');
        expect((await victim.done).code).toBe(137);
        sb.world.release(dropHeld);
        sb.world.faults = [];
      };
      await killAt(fault, drop);
      if (resume) await killAt(resume, true);
      // Rerun until nothing is left to do (at most twice more).
      for (let i = 0; i < 2; i++) await runCli(['reap', '--apply', '--config', file], env);
      const names = ['review-dead-0', 'review-dead-1', 'review-dead-2', 'review-gone'];
      for (const name of names) expect(statusOf(sb, name), name).toBe('DELETE_COMPLETE');
      const deletes = deletesOf(sb);
      for (const name of names)
        expect(
          deletes.filter((d) => d === name),
          name,
        ).toHaveLength(1);
      const notes = sb.world.projects.get(1)?.mergeRequests.find((m) => m.iid === 2)?.notes ?? [];
      // One note per stack on the MR (three stacks share !2), never a duplicate.
      expect(notes).toHaveLength(3);
      expect(new Set(notes.map((n) => n.body.split('\n')[0])).size).toBe(3);
      // The shared environment ends stopped (stopping again is harmless; GitLab answers 200).
      expect(
        sb.world.projects.get(1)?.environments.find((e) => e.name === 'review/feature/merged')?.state,
      ).toBe('stopped');
      const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as {
        stacks: Record<string, { deletion?: { status: string } }>;
      };
      expect(Object.values(state.stacks).filter((s) => s.deletion?.status === 'deleted')).toHaveLength(4);
      const lines = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    },
    90_000,
  );
});
