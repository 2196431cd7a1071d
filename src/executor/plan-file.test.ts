import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { record, runWith } from '../../test/helpers/executor-world.js';
import { NOW } from '../../test/helpers/fixtures.js';
import { parseConfig } from '../config/load.js';
import { buildPlanFile, configDigest, evidenceDigest, readPlanFile, writePlanFile } from './plan-file.js';

/** Reviewed plans: what is in one, and every way a plan is refused before anything is read or written. */

const config = parseConfig({ aws: { regions: ['eu-west-1'] } });
const HOUR = 3_600_000;

async function written(over: (plan: Record<string, unknown>) => void = () => undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'env-reaper-plan-'));
  const path = join(dir, 'plan.json');
  const run = {
    ...runWith([
      record('review-a', { deleteAfter: '2026-11-28T11:00:00.000Z' }),
      record('review-b', { account: '222222222222' }),
      record('review-kept', { status: 'keep' }),
    ]),
    scanned: [
      { account: '222222222222', region: 'eu-west-1' },
      { account: '111111111111', region: 'eu-west-1' },
      { account: '111111111111', region: 'us-east-1' },
    ],
  };
  const plan = buildPlanFile(run, config, 24 * HOUR);
  const raw = JSON.parse(JSON.stringify(plan)) as Record<string, unknown>;
  over(raw);
  await writeFile(path, JSON.stringify(raw));
  return { path, plan };
}

describe('plan files', () => {
  it('hold every due stack with its evidence digest, the accounts, the expiry and a checksum', async () => {
    const { path, plan } = await written();
    expect(plan.stacks.map((s) => [s.name, s.account, s.deleteAfter])).toEqual([
      ['review-a', '111111111111', '2026-11-28T11:00:00.000Z'],
      ['review-b', '222222222222', undefined],
    ]);
    expect(plan.stacks[1] && 'deleteAfter' in plan.stacks[1]).toBe(false);
    expect(plan).toMatchObject({
      kind: 'env-reaper-plan',
      version: 1,
      runId: 'run-1',
      createdAt: new Date(NOW).toISOString(),
      expiresAt: new Date(NOW + 24 * HOUR).toISOString(),
      accounts: ['111111111111', '222222222222'],
      configDigest: configDigest(config),
    });
    expect(plan.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await readPlanFile(path, config, NOW)).toEqual(plan);
    const out = join(path, '..', 'again.json');
    await writePlanFile(out, plan);
    expect(await readFile(out, 'utf8')).toBe(`${JSON.stringify(plan, null, 2)}\n`);
  });

  it('refuses an edited plan, an expired one, one for another config, and what is not a plan', async () => {
    const edited = await written((p) => {
      (p.stacks as { name: string }[])[0] = {
        ...(p.stacks as { name: string }[])[0],
        name: 'review-other',
      } as never;
    });
    await expect(readPlanFile(edited.path, config, NOW)).rejects.toThrow(
      /the plan was changed after it was made \(checksum mismatch\); make a new plan$/,
    );
    const { path, plan } = await written();
    await expect(readPlanFile(path, config, Date.parse(plan.expiresAt))).rejects.toThrow(
      `${path}: the plan expired at ${plan.expiresAt}; make a new plan`,
    );
    expect(await readPlanFile(path, config, Date.parse(plan.expiresAt) - 1)).toEqual(plan);
    const other = parseConfig({ aws: { regions: ['eu-west-1'] }, limits: { maxDeletionsPerRun: 3 } });
    await expect(readPlanFile(path, other, NOW)).rejects.toThrow(
      `${path}: the plan was made with another configuration; make a new plan`,
    );
    const wrongKind = await written((p) => {
      p.kind = 'terraform-plan';
    });
    await expect(readPlanFile(wrongKind.path, config, NOW)).rejects.toThrow(/: not an env-reaper plan: /);
    await writeFile(path, '{ not json');
    await expect(readPlanFile(path, config, NOW)).rejects.toThrow(/: not a readable plan \(/);
    await expect(readPlanFile(`${path}.missing`, config, NOW)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('the config digest ignores what may differ between the plan job and the apply job', () => {
    const base = configDigest(config);
    expect(configDigest(parseConfig({ aws: { regions: ['eu-west-1'] }, log: { level: 'debug' } }))).toBe(
      base,
    );
    expect(
      configDigest(parseConfig({ aws: { regions: ['eu-west-1'] }, report: { formats: ['json'] } })),
    ).toBe(base);
    for (const change of [
      { gitlab: { url: 'https://gitlab.example.com' } },
      { aws: { regions: ['us-east-1'] } },
      { ownership: { tags: { ref: 'ref' } } },
      { policy: { grace: { merged: '2h' } } },
      { limits: { maxDeletionPercent: 50 } },
    ])
      expect(
        configDigest(parseConfig({ aws: { regions: ['eu-west-1'] }, ...change })),
        JSON.stringify(change),
      ).not.toBe(base);
  });

  it('the evidence digest moves with the verdict, a reason or its time, the status and the update time only', () => {
    const r = record('review-a');
    const d = evidenceDigest(r);
    expect(evidenceDigest(structuredClone(r))).toBe(d);
    const variants = [
      { ...r, classification: { ...r.classification, verdict: 'idle' as const } },
      { ...r, classification: { ...r.classification, reasons: [{ code: 'IDLE' as const, detail: 'x' }] } },
      {
        ...r,
        classification: {
          ...r.classification,
          reasons: [{ ...r.classification.reasons[0], at: 'T' } as never],
        },
      },
      { ...r, stack: { ...r.stack, status: 'UPDATE_COMPLETE' } },
      { ...r, stack: { ...r.stack, updatedAt: '2026-11-28T00:00:00.000Z' } },
    ];
    for (const v of variants) expect(evidenceDigest(v)).not.toBe(d);
    // A reason's wording and the stack's tags are not evidence of the decision.
    const reworded = {
      ...r,
      classification: {
        ...r.classification,
        reasons: [{ code: 'MR_MERGED' as const, detail: 'other words' }],
      },
    };
    expect(evidenceDigest(reworded)).toBe(d);
    expect(evidenceDigest({ ...r, stack: { ...r.stack, tags: {} } })).toBe(d);
  });
});

describe('plan files: leftovers (leftovers.delete)', () => {
  const leftover = (arn: string, status: 'due' | 'waiting' | 'report', code = 'DUE') => ({
    arn,
    type: 's3:bucket',
    account: '111111111111',
    region: 'eu-west-1',
    stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/review-x/1',
    stackName: 'review-x',
    deletedAt: '2026-11-01T00:00:00.000Z',
    confirmed: true,
    decision: { status, reason: { code: code as 'DUE', detail: 'd' } },
  });

  it('list the due leftovers only, with their reason; none: no leftovers key', () => {
    const run = runWith([record('review-a')]);
    expect('leftovers' in buildPlanFile(run, config, HOUR)).toBe(false);
    run.leftovers = {
      checked: 1,
      skipped: [],
      resources: [
        leftover('arn:aws:s3:::due', 'due'),
        leftover('arn:aws:s3:::resume', 'due', 'RESUME'),
        leftover('arn:aws:s3:::later', 'waiting', 'TOO_RECENT'),
        leftover('arn:aws:s3:::kept', 'report', 'KEEP_TAG'),
        { ...leftover('arn:aws:s3:::undecided', 'due'), decision: undefined },
      ],
    };
    expect(buildPlanFile(run, config, HOUR).leftovers).toEqual([
      {
        arn: 'arn:aws:s3:::due',
        type: 's3:bucket',
        account: '111111111111',
        region: 'eu-west-1',
        stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/review-x/1',
        stackName: 'review-x',
        reason: 'DUE',
      },
      expect.objectContaining({ arn: 'arn:aws:s3:::resume', reason: 'RESUME' }),
    ]);
  });

  it('the config digest covers leftovers.delete and deleteAfter once set, and only then', () => {
    const same = parseConfig({ aws: { regions: ['eu-west-1'] }, leftovers: { deleteAfter: '3d' } });
    // Unset: plans made before leftover deletion existed keep their digest.
    expect(configDigest(same)).toBe(configDigest(config));
    const on = parseConfig({ aws: { regions: ['eu-west-1'] }, leftovers: { delete: ['s3:bucket'] } });
    const later = parseConfig({
      aws: { regions: ['eu-west-1'] },
      leftovers: { delete: ['s3:bucket'], deleteAfter: '3d' },
    });
    const more = parseConfig({
      aws: { regions: ['eu-west-1'] },
      leftovers: { delete: ['s3:bucket', 'logs:log-group'] },
    });
    expect(
      new Set([configDigest(config), configDigest(on), configDigest(later), configDigest(more)]).size,
    ).toBe(4);
  });
});
