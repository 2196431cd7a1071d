import { z } from 'zod';
import { duration } from './schema-parts.js';

/** `notify.webhooks`: one message per run where the platform team talks (docs/webhooks.md). */

/** Webhook targets. */
export const WEBHOOK_TYPES = ['slack', 'mattermost', 'teams', 'json'] as const;
/** A webhook target. */
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** When a webhook sends: every run, runs that changed something or failed, or degraded runs only. */
export const WEBHOOK_ON = ['always', 'changes', 'degraded'] as const;
/** A webhook's sending rule. */
export type WebhookOn = (typeof WEBHOOK_ON)[number];

const webhook = z
  .strictObject({
    type: z.enum(WEBHOOK_TYPES).meta({
      description:
        'slack (incoming webhook, mrkdwn), mattermost (incoming webhook, Markdown), teams (a Workflows "post to a channel when a webhook request is received" URL, Adaptive Card) or json (a CloudEvents 1.0 event, docs/webhooks.md).',
    }),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected letters, digits, . _ - (at most 64)' })
      .optional()
      .meta({
        description: 'Name used in logs and errors instead of the URL (a secret). Default: type#index.',
      }),
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .optional()
      .meta({
        description:
          'The webhook URL. It is a secret (whoever has it can post): prefer urlEnv; either way it is never logged and is redacted from errors.',
      }),
    urlEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
      .optional()
      .meta({ description: 'Name of the environment variable holding the URL (a masked CI/CD variable).' }),
    on: z.enum(WEBHOOK_ON).default('changes').meta({
      description:
        'When to send: always (every run), changes (something was deleted or stopped, or failed, or the run was degraded) or degraded (only runs that did less than asked).',
    }),
    timeout: duration().prefault('10s').meta({ description: 'Deadline of one POST attempt.' }),
    attempts: z.number().int().min(1).max(5).default(3).meta({
      description:
        'POST attempts on a network error, a 429 or a 5xx (1 s, then 2 s between them; a Retry-After of up to 30 s is honoured). A 4xx other than 429 is not retried.',
    }),
  })
  .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), {
    error: 'set exactly one of url and urlEnv',
  });

/** The webhooks list of `notify`. */
export const webhooks = z.array(webhook).default([]).meta({
  description:
    'Chat and automation webhooks: one message per run (mode, deleted, failed, degraded with the failed operations, due next run, cost saved per month, a link to the pipeline). A failed POST is a run error (less-reported).',
});
