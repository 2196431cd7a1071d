import { z } from 'zod';
import { CAPABILITIES, type Capability, GraphqlReads, Unsupported } from './graphql-reads.js';
import type { GitLabGraphql } from './ports.js';
import { statusOf } from './reader.js';

/**
 * What GraphQL will serve on this GitLab, for `doctor`: its version (`metadata { version }`), and each
 * capability's documents sent once with inputs that match nothing (project id 0, an empty path), so
 * graphql-ruby validates every field and argument the run would ask for and says what it lacks. About
 * eight small POSTs; nothing is read.
 */
export interface GraphqlProbe {
  /** GitLab's version, when it says (`metadata` needs a signed-in user). */
  version?: string;
  /** `off`: no GraphQL at all (404, a job token); the reason. */
  off?: string;
  /** Schema items this GitLab lacks (`Project.branchRules`). */
  lacking: string[];
  /** Per capability: served through GraphQL, partly (REST reads what needs a missing item), or not. */
  serves: Record<Capability, 'yes' | 'partly' | 'no'>;
  /** Why a capability is partly or not served. */
  reasons: Partial<Record<Capability, string>>;
}

const metadata = z.object({ data: z.object({ metadata: z.object({ version: z.string() }).nullish() }) });

/** Probes GraphQL; throws only what the caller reports as a failed check (a 401, an unreachable host). */
export async function probeGraphql(api: GitLabGraphql | undefined): Promise<GraphqlProbe> {
  const none = Object.fromEntries(CAPABILITIES.map((c) => [c, 'no'])) as GraphqlProbe['serves'];
  if (!api)
    return { off: 'a CI job token cannot use GitLab GraphQL', lacking: [], serves: none, reasons: {} };
  let version: string | undefined;
  try {
    const answer = metadata.safeParse(await api.query('query envReaperVersion { metadata { version } }', {}));
    version = answer.success ? answer.data.data.metadata?.version : undefined;
  } catch (error) {
    if (statusOf(error) === 404)
      return { off: 'GraphQL is not available (HTTP 404)', lacking: [], serves: none, reasons: {} };
    throw error;
  }
  const reads = new GraphqlReads(api);
  const item = { projectPath: '', key: 'env-reaper-probe' };
  const probes: (() => Promise<unknown>)[] = [
    () => reads.projects([{ id: 0 }, { path: '' }]),
    () => reads.mergeRequests([{ projectId: 0, refs: ['env-reaper-probe'] }, { projectId: 0 }]),
    () => reads.mergeRequestSourceBranches(['']),
    () => reads.branchNames([0], () => ({ keep: () => false })),
    () => reads.commitDates([item]),
    () => reads.environments([item]),
  ];
  for (const probe of probes) {
    try {
      await probe();
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
    }
  }
  const { unsupported, lacking } = reads.usage;
  const serves = Object.fromEntries(
    CAPABILITIES.map((c) => [c, unsupported[c] === undefined ? 'yes' : reads.serves(c) ? 'partly' : 'no']),
  ) as GraphqlProbe['serves'];
  return {
    ...(version !== undefined ? { version } : {}),
    lacking: [...lacking],
    serves,
    reasons: { ...unsupported },
  };
}
