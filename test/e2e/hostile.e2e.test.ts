import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/json-report.js';
import { configFile, runCli } from '../helpers/cli.js';
import { inspectHtml, inspectMarkdown, isValidBranchName, xmlError } from '../helpers/hostile.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * A world full of names that Git, GitLab and AWS accept and that are written to become live syntax, run
 * through the built CLI against the sandbox with MR notes, advance notices, the dashboard and every
 * report format on, at trace log level. Then every note, the dashboard, every report file, stdout,
 * stderr, state and the audit log are parsed or searched.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

// Refs reach a stack two ways: the `gitlab:ref` tag (AWS allows `@` there) and the MR-iid tag, whose
// source branch may hold anything Git allows.
const HOSTILE_BRANCHES = [
  'fix/@all',
  'x/`@here`|<img/src=x/onerror=alert(1)>',
  'y/--><!--env-reaper-keep--><b>',
  'z/www.evil.example/!1#2"l"%m$3',
  'q/``\'"(@group/sub)',
];
const MERGED = '-5h';

function scenario() {
  const stacks = [
    {
      name: 'review-at-all',
      created: '-3d',
      tags: { 'gitlab:project-id': '1', 'gitlab:ref': 'fix/@all', 'gitlab:environment': 'review/@all' },
    },
    ...HOSTILE_BRANCHES.slice(1).map((_, i) => ({
      name: `review-hostile-${i}`,
      created: '-3d',
      tags: { 'gitlab:project-id': '1', 'gitlab:mr-iid': String(i + 11) },
    })),
    { name: 'review-elsewhere', created: '-3d', tags: { 'gitlab:project-id': '2', 'gitlab:ref': 'b' } },
    {
      name: 'review-waiting',
      created: '-3d',
      tags: { 'gitlab:project-id': '1', 'gitlab:mr-iid': '20' },
    },
  ];
  return {
    aws: { deleteSeconds: 0.2, accounts: [{ id: '111111111111', regions: { 'eu-west-1': { stacks } } }] },
    gitlab: {
      projects: [
        {
          id: 1,
          path: 'acme/shop',
          branches: [{ name: 'main', protected: true }, { name: 'feature/live' }],
          mergeRequests: [
            {
              iid: 10,
              sourceBranch: 'fix/@all',
              state: 'merged',
              mergedAt: MERGED,
              author: 'all',
              title: '@all /close <script>x</script>',
            },
            ...HOSTILE_BRANCHES.slice(1).map((ref, i) => ({
              iid: i + 11,
              sourceBranch: ref,
              state: 'merged',
              mergedAt: MERGED,
              author: 'here',
              title: `\n/merge\n@all ${ref}`,
            })),
            {
              iid: 20,
              sourceBranch: 'w/@all-waiting`|',
              state: 'merged',
              mergedAt: '-10m',
              author: 'all',
            },
            { iid: 30, sourceBranch: 'feature/live', state: 'opened' },
          ],
          environments: [],
        },
        { id: 2, path: 'acme/other', branches: [{ name: 'main', protected: true }] },
      ],
    },
  };
}

describe('hostile names end to end', () => {
  it('posts no live mention, quick action, link or HTML anywhere, keeps every report well-formed, and leaks no secret', async () => {
    for (const b of HOSTILE_BRANCHES) expect(isValidBranchName(b), b).toBe(true);
    const sb = await startSandbox({ scenario: scenario() });
    running.push(sb);
    // A server error that echoes the credentials back, as misconfigured proxies do.
    sb.world.addFault({
      service: 'gitlab',
      match: '/projects/2',
      kind: 'error',
      status: 502,
      message: `bad gateway for ${sb.gitlabUrl}/api/v4/projects/2?private_token=${sb.gitlabToken} (PRIVATE-TOKEN: ${sb.gitlabToken})`,
    });
    const dir = await mkdtemp(join(tmpdir(), 'env-reaper-hostile-'));
    const file = await configFile({
      aws: { regions: ['eu-west-1'] },
      state: { path: join(dir, 'state.json'), auditLog: join(dir, 'audit.jsonl') },
      limits: { deleteTimeout: '30s', maxDeletionPercent: 100 },
      notify: { dashboard: { project: 'acme/shop' } },
    });
    const run = (out: string) =>
      runCli(
        [
          'reap',
          '--apply',
          '--config',
          file,
          '--format',
          'json',
          '--output',
          `markdown=${out}/report.md`,
          '--output',
          `html=${out}/report.html`,
          '--output',
          `junit=${out}/report.xml`,
        ],
        // REST: the injected failure is on a REST route.
        { ...sb.env(), ENV_REAPER_LOG_LEVEL: 'trace', ENV_REAPER_GITLAB_API: 'rest' },
      );
    const out = join(dir, 'first');
    const first = await run(out);
    // Exit 1: project 2's lookups failed (its stack is kept as unknown); everything else went through.
    expect(first.code, first.stderr.slice(-2000)).toBe(1);
    const second = await run(join(dir, 'second'));
    expect(second.code).toBe(1);
    const report = JSON.parse(first.stdout) as Report;
    expect(report.environments.find((e) => e.stack.name === 'review-elsewhere')?.verdict).toBe('unknown');
    expect(report.errors.map((e) => e.message).join('\n')).toContain('private_token=[redacted]');
    // The hostile stacks were really reaped, so every text path (notes, dashboard lists) was taken.
    const deleted = report.environments.filter((e) => e.result === 'deleted').map((e) => e.stack.name);
    expect(deleted.sort()).toEqual([
      'review-at-all',
      'review-hostile-0',
      'review-hostile-1',
      'review-hostile-2',
      'review-hostile-3',
    ]);
    // The hostile source branch reached the evidence (resolved through the MR-iid tag).
    const evidence = report.environments.find((e) => e.stack.name === 'review-hostile-0')?.reasons ?? [];
    expect(JSON.stringify(evidence)).toContain(JSON.stringify(HOSTILE_BRANCHES[1]).slice(1, -1));

    const project = sb.world.projects.get(1);
    const notes = (project?.mergeRequests ?? []).flatMap((m) => m.notes.map((n) => n.body));
    // One deletion note per reaped MR, one advance notice for the MR still inside grace.
    expect(notes).toHaveLength(6);
    const issue = project?.issues[0];
    expect(issue?.description).toContain('review-waiting');
    const ours = [/^\[( |x)\] keep /, /!\d+\b/g];
    for (const body of [...notes, issue?.description ?? '', await readFile(join(out, 'report.md'), 'utf8')]) {
      expect(inspectMarkdown(body, ours).problems, body).toEqual([]);
    }
    // The branch is shown, whole, as code.
    expect(notes.join('\n')).toContain('``!11 from x/`@here`|<img/src=x/onerror=alert(1)> merged``');
    const html = inspectHtml(await readFile(join(out, 'report.html'), 'utf8'));
    expect(html.problems).toEqual([]);
    expect(html.elements).not.toContain('img');
    expect(html.texts.join('')).toContain(HOSTILE_BRANCHES[1]);
    expect(xmlError(await readFile(join(out, 'report.xml'), 'utf8'))).toBeUndefined();

    // No secret in anything this run wrote or printed, at trace level.
    const secrets = [sb.gitlabToken, sb.env().AWS_SECRET_ACCESS_KEY ?? 'sandbox-secret'];
    const artifacts = [
      first.stdout,
      first.stderr,
      second.stdout,
      second.stderr,
      ...notes,
      issue?.description ?? '',
      await readFile(join(dir, 'state.json'), 'utf8'),
      await readFile(join(dir, 'audit.jsonl'), 'utf8'),
      ...(await Promise.all(
        ['first', 'second'].flatMap((d) =>
          ['report.md', 'report.html', 'report.xml'].map((f) => readFile(join(dir, d, f), 'utf8')),
        ),
      )),
    ];
    expect(first.stderr.length).toBeGreaterThan(1000); // trace really logged
    for (const s of secrets)
      for (const [i, a] of artifacts.entries())
        expect(
          a.includes(s),
          `secret ${s.slice(0, 6)}… in artifact ${i}: ${a.slice(Math.max(0, a.indexOf(s) - 300), a.indexOf(s) + 50)}`,
        ).toBe(false);
  }, 90_000);
});
