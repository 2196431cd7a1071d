import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { leftoverDeletePermissions, webhookChecks } from './doctor-checks.js';

describe('doctor: leftover deletion and webhooks', () => {
  it('lists the IAM actions of each opted-in type, never proven by a deletion', () => {
    expect(leftoverDeletePermissions([])).toEqual([]);
    const perms = leftoverDeletePermissions(['ecr:repository', 'logs:log-group']);
    expect(perms.map((p) => p.action)).toEqual([
      'ecr:ListTagsForResource',
      'ecr:DescribeImages',
      'ecr:DeleteRepository',
      'logs:ListTagsForResource',
      'logs:DeleteLogGroup',
    ]);
    for (const p of perms) {
      expect(p.sid).toBe('LeftoverDeletionOptIn');
      expect(p.read).toBeUndefined();
      expect(p.unprovable).toContain('proving a deletion would delete');
    }
    expect(leftoverDeletePermissions(['s3:bucket']).map((p) => p.action)).toContain('s3:DeleteBucket');
  });

  it('says whether each webhook has its URL, never showing it', () => {
    const config = parseConfig({
      notify: {
        webhooks: [
          { type: 'slack', urlEnv: 'SLACK_URL' },
          { type: 'json', name: 'finops', urlEnv: 'FINOPS_URL', on: 'always' },
          { type: 'teams', url: 'https://example.invalid/workflows/XYZSIG' },
        ],
      },
    });
    const checks = webhookChecks(config, { SLACK_URL: 'https://hooks.example.invalid/T/B/XYZSIG' });
    expect(checks).toEqual([
      { id: 'notify.webhooks.slack#0', ok: true, detail: 'slack: URL from $SLACK_URL; sends changes' },
      {
        id: 'notify.webhooks.finops',
        ok: false,
        detail: 'json: $FINOPS_URL is not set: no message would be sent (SECRET_MISSING)',
        fix: 'set FINOPS_URL (a masked CI/CD variable) to the webhook URL',
      },
      {
        id: 'notify.webhooks.teams#2',
        ok: true,
        detail:
          'warning: teams: the URL is written in the config file; it is a secret: prefer urlEnv and a masked CI/CD variable',
      },
    ]);
    expect(JSON.stringify(checks)).not.toContain('XYZSIG');
  });
});
