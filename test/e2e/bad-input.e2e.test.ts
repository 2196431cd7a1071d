import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * No input without effect (issue #33): the built CLI refuses, before any call, an option the command
 * would ignore (naming the commands that take it) and a value it cannot use (naming the flag and what
 * it takes). Each case: the arguments, the exit code, the words that tell the user what to fix.
 */
const CASES: { args: string[]; code: number; says: RegExp; env?: Record<string, string> }[] = [
  {
    args: ['explain', 'review-x', '--output', 'html=r.html'],
    code: 2,
    says: /--output is an option of audit, reap, daemon, report merge/,
  },
  {
    args: ['config', 'validate', '--format', 'html', '--shard', '1/2'],
    code: 2,
    says: /--format is an option of audit, reap, explain, daemon, doctor, report merge/,
  },
  { args: ['doctor', '--shard', '1/2'], code: 2, says: /--shard is an option of audit, reap/ },
  {
    args: ['audit', '--output', 'pdf=x.pdf'],
    code: 2,
    says: /--output: the format is one of table, json, markdown, junit, html, not "pdf"/,
  },
  { args: ['audit', '--output', 'report.json'], code: 2, says: /--output takes format=path/ },
  {
    args: ['audit', '--format', 'yaml'],
    code: 2,
    says: /--format takes one of table, json, markdown, junit, html, not "yaml"/,
  },
  { args: ['doctor', '--format', 'html'], code: 2, says: /--format takes one of table, json, not "html"/ },
  { args: ['audit', '--log-level', 'loud'], code: 2, says: /Allowed choices are/ },
  {
    args: ['audit', '--region', 'eu-wst-1'],
    code: 2,
    says: /aws\.regions: unknown region "eu-wst-1" \(did you mean eu-west-1\?\); for a region newer than this env-reaper, set aws\.allowUnknownRegions: true/,
  },
  { args: ['doctor', '--region', 'mars-north-1'], code: 2, says: /unknown region "mars-north-1"/ },
  {
    args: ['config', 'validate'],
    code: 2,
    says: /unknown variable \(did you mean ENV_REAPER_POLICY_GRACE_MERGED\?\)/,
    env: { ENV_REAPER_POLICY_GRASE_MERGED: '1h' },
  },
  {
    args: ['config', 'validate'],
    code: 2,
    says: /\(set by ENV_REAPER_POLICY_GRACE_MERGED\)/,
    env: { ENV_REAPER_POLICY_GRACE_MERGED: 'abc' },
  },
];

describe('bad input is refused before anything runs', () => {
  it('a region newer than this release is let through with aws.allowUnknownRegions', async () => {
    const r = await runCli(['config', 'validate'], {
      ENV_REAPER_AWS_REGIONS: 'mars-north-1',
      ENV_REAPER_AWS_ALLOW_UNKNOWN_REGIONS: 'true',
    });
    expect(r.code, r.stderr).toBe(0);
  });

  for (const c of CASES)
    it(`env-reaper ${c.args.join(' ')}`, async () => {
      // A GitLab URL nobody serves: a case that got past parsing would fail differently, and slowly.
      const r = await runCli(c.args, { GITLAB_URL: 'http://127.0.0.1:1', GITLAB_TOKEN: 'x', ...c.env });
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr).not.toMatch(/"level"/);
    });

  it('report merge takes every report format, html included, and says so', async () => {
    const r = await runCli(['report', 'merge', '--help'], {});
    expect(r.stdout).toContain('table|json|markdown|junit|html');
  });
});
