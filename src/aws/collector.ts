import pLimit from 'p-limit';
import type { StackFacts } from '../core/model.js';
import type { RunError } from '../core/run-result.js';
import { runErrorOf } from '../errors/failure.js';
import type { Logger } from '../log/logger.js';
import type { AccountTarget, AwsReader } from './ports.js';

/** What the AWS side of a run found. */
export interface AwsCollection {
  stacks: StackFacts[];
  /** Accounts × regions read. */
  scanned: { account: string; region: string }[];
  errors: RunError[];
}

/** A failed AWS call as a run error: what, where, and with which code. */
export function awsRunError(
  error: unknown,
  where: { scope: string; account?: string | undefined; region?: string | undefined },
): RunError {
  return { ...runErrorOf(error, { what: '', ...where }), service: 'aws' };
}

/**
 * Lists the stacks of every target × region. The account guard runs first: credentials that belong to
 * another account than configured skip that account with an error (docs/design.md §5), before anything is read.
 */
export async function collectAws(
  targets: AccountTarget[],
  reader: AwsReader,
  options: { concurrency: number; logger: Logger },
): Promise<AwsCollection> {
  const stacks: StackFacts[] = [];
  const scanned: AwsCollection['scanned'] = [];
  const errors: AwsCollection['errors'] = [];
  const limit = pLimit(options.concurrency);
  await Promise.all(
    targets.map(async (target) => {
      let account: string;
      try {
        account = await limit(() => reader.callerAccount(target));
      } catch (error) {
        errors.push(
          awsRunError(error, { scope: `aws:account ${target.id ?? 'ambient'}`, account: target.id }),
        );
        return;
      }
      if (target.id !== undefined && account !== target.id) {
        errors.push({
          scope: `aws:account ${target.id}`,
          code: 'ACCOUNT_MISMATCH',
          service: 'aws',
          operation: 'GetCallerIdentity',
          account: target.id,
          message: `credentials${target.roleArn ? ` of ${target.roleArn}` : ''} belong to account ${account}, expected ${target.id}: account skipped`,
        });
        return;
      }
      await Promise.all(
        target.regions.map((region) =>
          limit(async () => {
            try {
              const found = await reader.listStacks(target, account, region);
              stacks.push(...found);
              scanned.push({ account, region });
              options.logger.debug({ account, region, stacks: found.length }, 'aws region listed');
            } catch (error) {
              errors.push(awsRunError(error, { scope: `aws:${account}/${region}`, account, region }));
            }
          }),
        ),
      );
    }),
  );
  // Deterministic order whatever the completion order.
  stacks.sort((a, b) => (a.stackId < b.stackId ? -1 : a.stackId > b.stackId ? 1 : 0));
  scanned.sort((a, b) => `${a.account}/${a.region}`.localeCompare(`${b.account}/${b.region}`));
  return { stacks, scanned, errors };
}
