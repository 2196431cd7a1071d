import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Coverage, numRuns, record } from '../../test/helpers/core-arbitraries.js';
import { freeText, inspectMarkdown, tagValue } from '../../test/helpers/hostile.js';
import { RUN_EVENT_TYPE, type RunEventData, runEventDataSchema, shouldSend } from './event.js';
import { runMessage, slackCode, teamsText, webhookBody } from './render.js';

/**
 * The webhook messages (issue #36): each target's rendering of a run, and the text safety of every
 * outside string in it (stack names, ARNs, error codes and messages) for Slack mrkdwn, Mattermost
 * Markdown and Teams Adaptive Cards.
 */

function event(over: Partial<RunEventData> = {}): RunEventData {
  return {
    schemaVersion: 1,
    runId: 'run-1',
    generatedAt: '2026-12-05T10:00:00.000Z',
    mode: 'apply',
    outcome: 'ok',
    deleted: { stacks: [], leftovers: [] },
    failed: { stacks: [], leftovers: [] },
    degraded: { errors: 0, operations: [] },
    due: { stacks: 0, leftovers: 0 },
    waiting: { stacks: 0, leftovers: 0 },
    savedMonthlyUsd: 0,
    brake: null,
    links: {},
    ...over,
  };
}

const full = event({
  outcome: 'degraded',
  deleted: {
    stacks: [
      {
        name: 'review-shop-a',
        account: '111111111111',
        region: 'eu-west-1',
        verdict: 'merged',
        action: 'delete',
        monthlyCost: 10,
      },
      {
        name: 'review-shop-b',
        account: '111111111111',
        region: 'eu-west-1',
        verdict: 'unused',
        action: 'stop',
        monthlyCost: 2.5,
      },
    ],
    leftovers: [
      {
        arn: 'arn:aws:s3:::review-shop-a-uploads',
        type: 's3:bucket',
        stackName: 'review-shop-a',
        removed: 12,
        monthlyCost: 1,
      },
    ],
  },
  failed: {
    stacks: [{ name: 'review-shop-c', error: { code: 'DELETE_FAILED', message: 'x' } }],
    leftovers: [],
  },
  degraded: {
    errors: 2,
    operations: [{ service: 'aws', operation: 'DeleteObjects', code: 'OBJECT_NOT_DELETED', count: 2 }],
  },
  due: { stacks: 3, leftovers: 1 },
  waiting: { stacks: 2, leftovers: 1 },
  savedMonthlyUsd: 13.5,
  links: {
    pipeline: 'https://gitlab.example.com/acme/ops/-/pipelines/7',
    job: 'https://gitlab.example.com/acme/ops/-/jobs/9',
    artifacts: 'https://gitlab.example.com/acme/ops/-/jobs/9/artifacts/browse',
  },
});

describe('the run message', () => {
  it('says mode, deleted, failed, degraded, due next run, saved per month and links', () => {
    const m = runMessage(full);
    expect(m.title).toBe('env-reaper reap (apply) · DEGRADED');
    const text = m.lines.map((l) => l.map((p) => p.text).join('')).join('\n');
    expect(text).toBe(
      [
        'Deleted: 2 stacks, 1 leftover',
        '• review-shop-a merged (111111111111/eu-west-1)',
        '• review-shop-b stopped (111111111111/eu-west-1)',
        '• arn:aws:s3:::review-shop-a-uploads left by review-shop-a',
        'Failed: 1 stack, 0 leftovers',
        '• review-shop-c: DELETE_FAILED',
        'Degraded: 2 errors (the run did less than asked)',
        '• aws DeleteObjects OBJECT_NOT_DELETED ×2',
        'Due next run: 3 stacks, 1 leftover · waiting: 3',
        'Saved per month: $13.50',
        'pipeline · report',
      ].join('\n'),
    );
    expect(
      runMessage(event({ mode: 'dry-run', savedMonthlyUsd: null })).lines.map((l) =>
        l.map((p) => p.text).join(''),
      ),
    ).toEqual([
      'Would delete: 0 stacks, 0 leftovers',
      'Due next run: 0 stacks, 0 leftovers · waiting: 0',
      'Saved per month: unknown (cost not known for every deletion)',
    ]);
    const braked = runMessage(
      event({ outcome: 'braked', brake: { kind: 'max-deletions', due: 12, inScope: 40, limit: 10 } }),
    );
    expect(braked.title).toBe('env-reaper reap (apply) · BRAKED');
    expect(braked.lines[1]?.[0]?.text).toBe(
      'Brake max-deletions: 12 deletions due of 40, limit 10: nothing of them deleted',
    );
  });

  it('lists ten names per section and counts the rest', () => {
    const stacks = Array.from({ length: 13 }, (_, i) => ({
      name: `s${i}`,
      account: 'a',
      region: 'r',
      verdict: 'merged',
      action: 'delete' as const,
    }));
    const m = runMessage(event({ deleted: { stacks, leftovers: [] } }));
    expect(m.lines.filter((l) => l[0]?.text === '• ')).toHaveLength(10);
    expect(m.lines.some((l) => l[0]?.text === '• and 3 more')).toBe(true);
  });

  it('a job link when no report artifact was written', () => {
    const m = runMessage(event({ links: { job: 'https://g.example/j/1' } }));
    expect(m.lines.at(-1)).toEqual([{ kind: 'link', text: 'job', url: 'https://g.example/j/1' }]);
  });
});

describe('each target', () => {
  it('slack: a header and one mrkdwn section, names in code spans, links as <url|label>', () => {
    const b = webhookBody('slack', full, 'urn:x');
    expect(b.contentType).toBe('application/json');
    const body = JSON.parse(b.body);
    expect(body.text).toBe('env-reaper reap (apply) · DEGRADED');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: body.text, emoji: false },
    });
    expect(body.blocks[1].text.type).toBe('mrkdwn');
    expect(body.blocks[1].text.text).toContain('• `review-shop-a` merged');
    expect(body.blocks[1].text.text).toContain(
      '<https://gitlab.example.com/acme/ops/-/pipelines/7|pipeline>',
    );
  });

  it('mattermost: Markdown with a heading, code spans and links', () => {
    const body = JSON.parse(webhookBody('mattermost', full, 'urn:x').body);
    expect(body.text.split('\n')[0]).toBe('#### env-reaper reap (apply) · DEGRADED');
    expect(body.text).toContain('• `review-shop-c`: `DELETE_FAILED`');
    expect(body.text).toContain('[report](https://gitlab.example.com/acme/ops/-/jobs/9/artifacts/browse)');
  });

  it('teams: a message with one Adaptive Card 1.4; outside strings in monospace TextRuns', () => {
    const body = JSON.parse(webhookBody('teams', full, 'urn:x').body);
    expect(body.type).toBe('message');
    const a = body.attachments[0];
    expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(a.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(a.content.body[0]).toMatchObject({
      type: 'TextBlock',
      text: 'env-reaper reap (apply) · DEGRADED',
    });
    const runs = a.content.body.slice(1).flatMap((b: { inlines: unknown[] }) => b.inlines);
    expect(runs).toContainEqual({ type: 'TextRun', text: 'review-shop-a', fontType: 'Monospace' });
    expect(runs).toContainEqual({
      type: 'TextRun',
      text: 'pipeline',
      selectAction: { type: 'Action.OpenUrl', url: 'https://gitlab.example.com/acme/ops/-/pipelines/7' },
    });
  });

  it('json: a CloudEvents 1.0 structured event whose data is the run event', () => {
    const b = webhookBody('json', full, 'https://gitlab.example.com/acme/ops/-/pipelines/7');
    expect(b.contentType).toBe('application/cloudevents+json; charset=utf-8');
    const body = JSON.parse(b.body);
    expect(body).toEqual({
      specversion: '1.0',
      id: 'run-1',
      source: 'https://gitlab.example.com/acme/ops/-/pipelines/7',
      type: RUN_EVENT_TYPE,
      time: '2026-12-05T10:00:00.000Z',
      subject: 'apply',
      datacontenttype: 'application/json',
      data: full,
    });
    expect(runEventDataSchema.parse(body.data)).toEqual(full);
  });
});

describe('when a webhook sends', () => {
  it('always, changes (deleted, failed or degraded), degraded (or braked) only', () => {
    const quiet = event();
    const deleted = event({
      deleted: { stacks: [], leftovers: [{ arn: 'a', type: 's3:bucket', stackName: 's', removed: 0 }] },
    });
    const failed = event({ failed: { stacks: [{ name: 's', error: null }], leftovers: [] } });
    const degraded = event({ outcome: 'degraded' });
    const braked = event({ outcome: 'braked' });
    expect([quiet, deleted, failed, degraded, braked].map((e) => shouldSend('always', e))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([quiet, deleted, failed, degraded, braked].map((e) => shouldSend('changes', e))).toEqual([
      false,
      true,
      true,
      true,
      true,
    ]);
    expect([quiet, deleted, failed, degraded, braked].map((e) => shouldSend('degraded', e))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is checked.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
const outsideArb = fc.oneof(freeText, tagValue);

describe('text safety of outside strings (fast-check)', () => {
  it('slack: one code span that no outside string can end, no raw < > &, no control character', ({
    task,
  }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(outsideArb, (s) => {
        cov.hit('cases');
        cov.hit('has < > & or `', /[<>&`]/.test(s));
        const out = slackCode(s);
        expect(out).not.toMatch(CONTROL);
        expect(out.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[<>&]/);
        if (out === '—') return;
        expect(out.startsWith('`') && out.endsWith('`')).toBe(true);
        expect(out.slice(1, -1)).not.toContain('`');
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('has < > & or `', 0.2);
  });

  it('mattermost: the whole message is inert Markdown (no link, mention, HTML or quick action from outside)', ({
    task,
  }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(outsideArb, outsideArb, outsideArb, (name, arn, message) => {
        cov.hit('cases');
        const data = event({
          outcome: 'degraded',
          deleted: {
            stacks: [{ name, account: '1', region: 'r', verdict: 'merged', action: 'delete' }],
            leftovers: [{ arn, type: 's3:bucket', stackName: name, removed: 1 }],
          },
          failed: { stacks: [{ name, error: { code: message, message } }], leftovers: [] },
          degraded: { errors: 1, operations: [{ service: 'aws', operation: message, code: 'X', count: 1 }] },
        });
        const text = JSON.parse(webhookBody('mattermost', data, 'urn:x').body).text as string;
        const found = inspectMarkdown(text, [/\$\d+\.\d{2}/]);
        cov.hit('mention or link in the input', /@|https?:|\[/.test(name + arn + message));
        expect(found.problems).toEqual([]);
      }),
      { numRuns: Math.min(numRuns, 300) },
    );
    record(task, cov);
    cov.require('mention or link in the input', 0.2);
  });

  it('teams: outside strings only in plain TextRuns, no scheme left whole, links only ours', ({ task }) => {
    const cov = new Coverage();
    fc.assert(
      fc.property(outsideArb, (name) => {
        cov.hit('cases');
        cov.hit('a URL in the input', /:\/\//.test(name));
        const data = event({
          deleted: {
            stacks: [{ name, account: '1', region: 'r', verdict: 'merged', action: 'delete' }],
            leftovers: [],
          },
        });
        const body = JSON.parse(webhookBody('teams', data, 'urn:x').body);
        const card = body.attachments[0].content;
        // The only TextBlock (the one element that renders Markdown) is the title, our words.
        expect(card.body.filter((b: { type: string }) => b.type === 'TextBlock')).toHaveLength(1);
        const runs = card.body
          .slice(1)
          .flatMap(
            (b: { inlines: { text: string; fontType?: string; selectAction?: unknown }[] }) => b.inlines,
          );
        const mono = runs.filter((r: { fontType?: string }) => r.fontType === 'Monospace');
        expect(mono.map((r: { text: string }) => r.text)).toEqual([teamsText(name)]);
        expect(mono[0].text).not.toMatch(/:\/\//);
        expect(mono[0].text).not.toMatch(CONTROL);
        expect(runs.some((r: { selectAction?: unknown }) => r.selectAction)).toBe(false);
      }),
      { numRuns },
    );
    record(task, cov);
    cov.require('a URL in the input', 0.02);
  });
});
