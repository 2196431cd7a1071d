import type { WebhookType } from '../config/schema-notify.js';
import { MAX_OUTSIDE_TEXT, mdCode } from '../util/safe-text.js';
import { RUN_EVENT_TYPE, type RunEventData } from './event.js';

/**
 * The message of each webhook target, from the run event. A message is lines of parts: our own words
 * (`text`), outside strings (`outside`: stack names, ARNs, error codes and messages) and links (`link`,
 * only the CI URLs). Each target renders outside strings so that its markup cannot act on them
 * (docs/webhooks.md, "Text safety"): Slack mrkdwn escapes `&`, `<`, `>` (its only control characters,
 * the ones mentions and links need) inside a code span; Mattermost uses the same unbreakable CommonMark
 * code span as GitLab notes; Teams puts them in Adaptive Card `TextRun`s, which render no Markdown.
 * Hand-written: no maintained library escapes for these three markups.
 */

/** One part of a message line. */
export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'outside'; text: string }
  | { kind: 'link'; text: string; url: string };

/** A message: a title and lines of parts. */
export interface Message {
  title: string;
  lines: Part[][];
}

/** Names listed per section; the rest are counted. */
const LIST_MAX = 10;

const t = (text: string): Part => ({ kind: 'text', text });
const o = (text: string): Part => ({ kind: 'outside', text });

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The message of a run, target-neutral. */
export function runMessage(data: RunEventData): Message {
  const state = data.outcome === 'ok' ? '' : data.outcome === 'braked' ? ' · BRAKED' : ' · DEGRADED';
  const lines: Part[][] = [];
  const d = data.deleted;
  const verb = data.mode === 'apply' ? 'Deleted' : 'Would delete';
  lines.push([t(`${verb}: ${plural(d.stacks.length, 'stack')}, ${plural(d.leftovers.length, 'leftover')}`)]);
  for (const s of d.stacks.slice(0, LIST_MAX))
    lines.push([
      t('• '),
      o(s.name),
      t(` ${s.action === 'stop' ? 'stopped' : s.verdict} (${s.account}/${s.region})`),
    ]);
  for (const l of d.leftovers.slice(0, LIST_MAX))
    lines.push([t('• '), o(l.arn), t(' left by '), o(l.stackName)]);
  const more = Math.max(0, d.stacks.length - LIST_MAX) + Math.max(0, d.leftovers.length - LIST_MAX);
  if (more > 0) lines.push([t(`• and ${more} more`)]);
  const f = data.failed;
  if (f.stacks.length + f.leftovers.length > 0) {
    lines.push([t(`Failed: ${plural(f.stacks.length, 'stack')}, ${plural(f.leftovers.length, 'leftover')}`)]);
    for (const s of f.stacks.slice(0, LIST_MAX))
      lines.push([t('• '), o(s.name), t(': '), o(s.error?.code ?? 'error')]);
    for (const l of f.leftovers.slice(0, LIST_MAX))
      lines.push([t('• '), o(l.arn), t(': '), o(l.error?.code ?? 'error')]);
  }
  if (data.degraded.errors > 0) {
    lines.push([t(`Degraded: ${plural(data.degraded.errors, 'error')} (the run did less than asked)`)]);
    for (const op of data.degraded.operations.slice(0, LIST_MAX))
      lines.push([
        t('• '),
        o(`${op.service} ${op.operation} ${op.code}`),
        t(op.count > 1 ? ` ×${op.count}` : ''),
      ]);
  }
  if (data.brake)
    lines.push([
      t(
        `Brake ${data.brake.kind}: ${data.brake.due} deletions due of ${data.brake.inScope}, limit ${data.brake.limit}: nothing of them deleted`,
      ),
    ]);
  lines.push([
    t(
      `Due next run: ${plural(data.due.stacks, 'stack')}, ${plural(data.due.leftovers, 'leftover')} · waiting: ${data.waiting.stacks + data.waiting.leftovers}`,
    ),
  ]);
  lines.push([
    t(
      `Saved per month: ${data.savedMonthlyUsd === null ? 'unknown (cost not known for every deletion)' : `$${data.savedMonthlyUsd.toFixed(2)}`}`,
    ),
  ]);
  const links: Part[] = [];
  if (data.links.pipeline) links.push({ kind: 'link', text: 'pipeline', url: data.links.pipeline });
  if (data.links.artifacts) links.push({ kind: 'link', text: 'report', url: data.links.artifacts });
  else if (data.links.job) links.push({ kind: 'link', text: 'job', url: data.links.job });
  if (links.length > 0) lines.push(links.flatMap((l, i) => (i === 0 ? [l] : [t(' · '), l])));
  return { title: `env-reaper reap (${data.mode})${state}`, lines };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;

function clip(text: string): string {
  const chars = Array.from(text.replace(CONTROL, ' '));
  return chars.length > MAX_OUTSIDE_TEXT
    ? `${chars.slice(0, MAX_OUTSIDE_TEXT - 1).join('')}…`
    : chars.join('');
}

/** Slack's three escapes (api.slack.com, "Escaping text"): the only characters its mrkdwn acts on in a code span. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * An outside string in Slack mrkdwn: escaped, in a code span. Slack has no longer fences, so a backtick
 * becomes `ˋ` (U+02CB) and cannot end the span; an empty string is `—`.
 */
export function slackCode(text: string): string {
  const t0 = clip(text).replace(/`/g, '\u02CB');
  return t0.trim() === '' ? '—' : `\`${slackEscape(t0)}\``;
}

/** A URL Slack links: `<url|label>`, the URL's `|` and `>` percent-encoded. */
function slackLink(url: string, label: string): string {
  return `<${url.replace(/[|<>]/g, (c) => encodeURIComponent(c))}|${slackEscape(label)}>`;
}

/** A URL for a Markdown link: characters that could end it percent-encoded. */
function mdUrl(url: string): string {
  return url.replace(/[()<>\s[\]]/g, (c) => encodeURIComponent(c));
}

/**
 * An outside string for a Teams `TextRun` (plain text, no Markdown): clipped, control characters out,
 * and `://` broken by a zero-width space so no client turns it into a link.
 */
export function teamsText(text: string): string {
  return clip(text).replace(/:\/\//g, ':/\u200B/');
}

function renderText(
  lines: Part[][],
  outside: (s: string) => string,
  link: (url: string, label: string) => string,
) {
  return lines
    .map((parts) =>
      parts
        .map((p) =>
          p.kind === 'text' ? p.text : p.kind === 'outside' ? outside(p.text) : link(p.url, p.text),
        )
        .join(''),
    )
    .join('\n');
}

/** The HTTP body and content type a target gets. */
export interface WebhookBody {
  contentType: string;
  body: string;
}

/** What the `json` target sends: a CloudEvents 1.0 event in structured mode. */
export function cloudEvent(data: RunEventData, source: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: data.runId,
    source,
    type: RUN_EVENT_TYPE,
    time: data.generatedAt,
    subject: data.mode,
    datacontenttype: 'application/json',
    data,
  };
}

/** The body of one target's message. `source`: the CloudEvents source (the pipeline URL in CI). */
export function webhookBody(type: WebhookType, data: RunEventData, source: string): WebhookBody {
  const json = (v: unknown, contentType = 'application/json') => ({ contentType, body: JSON.stringify(v) });
  if (type === 'json') return json(cloudEvent(data, source), 'application/cloudevents+json; charset=utf-8');
  const m = runMessage(data);
  if (type === 'slack') {
    const text = renderText(m.lines, slackCode, slackLink);
    return json({
      text: `${m.title}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: m.title, emoji: false } },
        { type: 'section', text: { type: 'mrkdwn', text } },
      ],
    });
  }
  if (type === 'mattermost') {
    const text = renderText(
      m.lines,
      (s) => mdCode(s),
      (url, label) => `[${label}](${mdUrl(url)})`,
    );
    return json({ text: `#### ${m.title}\n${text}` });
  }
  // Teams Workflows: an Adaptive Card; every line a RichTextBlock, outside strings in monospace TextRuns.
  const body: unknown[] = [
    { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  for (const parts of m.lines)
    body.push({
      type: 'RichTextBlock',
      inlines: parts.map((p) =>
        p.kind === 'text'
          ? { type: 'TextRun', text: p.text }
          : p.kind === 'outside'
            ? { type: 'TextRun', text: teamsText(p.text), fontType: 'Monospace' }
            : { type: 'TextRun', text: p.text, selectAction: { type: 'Action.OpenUrl', url: p.url } },
      ),
    });
  return json({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
        },
      },
    ],
  });
}
