import { DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import type { AccountTarget, AwsClients } from './clients.js';

/** The one AWS write: `DeleteStack`. Only src/reap (the executor) calls it. */
export interface AwsWriter {
  deleteStack(
    target: AccountTarget,
    region: string,
    stackId: string,
    options: { token: string; retainResources?: string[]; force?: boolean },
  ): Promise<void>;
}

/** The SDK-backed writer. */
export function createAwsWriter(clients: AwsClients): AwsWriter {
  return {
    async deleteStack(target, region, stackId, options) {
      await clients.cloudFormation(target, region).send(
        new DeleteStackCommand({
          StackName: stackId,
          ClientRequestToken: options.token,
          ...(options.retainResources?.length ? { RetainResources: options.retainResources } : {}),
          ...(options.force ? { DeletionMode: 'FORCE_DELETE_STACK' } : {}),
        }),
      );
    },
  };
}
