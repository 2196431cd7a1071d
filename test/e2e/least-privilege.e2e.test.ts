import { afterEach, describe, expect, it } from 'vitest';
import { configFile, runCli } from '../helpers/cli.js';
import { documentedRoutes, iamAction, policyActions } from '../helpers/privilege.js';
import { fullFeaturedWorld, READ_ONLY_TOKEN } from '../helpers/worlds.js';
import { type Sandbox, startSandbox } from '../sandbox/index.js';

/**
 * Least privilege, proven: every AWS operation and GitLab route the built CLI makes against the sandbox,
 * per mode, must be granted by the documented policy for that mode (`deploy/iam/*.json`, the GitLab
 * route table in `docs/deploy.md`), and the documentation must grant nothing the code never calls. The
 * runs switch on every feature that calls something (cost, ghosts, dashboard, notices, notes, S3 state,
 * AssumeRole, failed-deletion handling with empty-and-retry, leftovers), so the sets are complete.
 */

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function world() {
  const { scenario, config } = await fullFeaturedWorld();
  const sb = await startSandbox({ scenario });
  running.push(sb);
  return { sb, config: await configFile(config) };
}

function observed(sb: Sandbox) {
  const aws = new Set(
    sb.world.requests.filter((r) => r.service === 'aws').map((r) => iamAction(r.operation)),
  );
  const gitlab = new Set(sb.world.requests.filter((r) => r.service === 'gitlab').map((r) => r.operation));
  const forbidden = sb.world.requests.filter((r) => r.status === 403 || r.status === 401);
  return { aws, gitlab, forbidden };
}

/** A GitLab read: a GET, or a GraphQL query (a POST that changes nothing, allowed with read_api). */
const reads = (route: string) => route.startsWith('GET ') || route === 'POST /api/graphql';

describe('least privilege', () => {
  it('audit and explain call exactly the audit policy, and work with a read_api token alone', async () => {
    const { sb, config } = await world();
    const env = { ...sb.env(), GITLAB_TOKEN: READ_ONLY_TOKEN };
    const audit = await runCli(['audit', '--config', config, '--format', 'json'], env);
    // acme/infra answers 500 in the demo, so exit 1; everything else must have gone through.
    expect(audit.code, audit.stderr.slice(-1500)).toBe(1);
    const explain = await runCli(['explain', 'review-shop-fix-typo', '--config', config], env);
    expect(explain.code, explain.stderr.slice(-1500)).toBe(0);
    // GraphQL (the default) reads what REST's listings would: the same audit on REST calls those routes.
    const rest = await runCli(['audit', '--config', config, '--format', 'json'], {
      ...env,
      ENV_REAPER_GITLAB_API: 'rest',
    });
    expect(rest.code, rest.stderr.slice(-1500)).toBe(1);
    const seen = observed(sb);
    expect(seen.forbidden).toEqual([]);
    expect([...seen.aws].sort()).toEqual([...(await policyActions('audit'))].sort());
    const routes = await documentedRoutes();
    const auditRoutes = [...routes].filter(([, modes]) => modes.has('audit')).map(([r]) => r);
    expect([...seen.gitlab].sort()).toEqual(auditRoutes.sort());
    expect([...seen.gitlab].every(reads)).toBe(true);
  }, 90_000);

  it('reap --apply calls exactly the reap policy and the documented routes; a read_api token cannot write', async () => {
    const { sb, config } = await world();
    // Dry-run first, with a read_api token: GitLab reads only.
    const dry = await runCli(['reap', '--config', config, '--format', 'json'], {
      ...sb.env(),
      GITLAB_TOKEN: READ_ONLY_TOKEN,
    });
    expect([0, 1]).toContain(dry.code);
    expect(observed(sb).forbidden).toEqual([]);
    expect([...observed(sb).gitlab].every(reads)).toBe(true);
    const restDry = await runCli(['reap', '--config', config, '--format', 'json'], {
      ...sb.env(),
      GITLAB_TOKEN: READ_ONLY_TOKEN,
      ENV_REAPER_GITLAB_API: 'rest',
    });
    expect([0, 1]).toContain(restDry.code);
    const apply = await runCli(['reap', '--apply', '--config', config, '--format', 'json'], sb.env());
    expect([0, 1]).toContain(apply.code);
    const again = await runCli(['reap', '--apply', '--config', config, '--format', 'json'], sb.env());
    expect([0, 1]).toContain(again.code);
    const seen = observed(sb);
    expect(seen.forbidden).toEqual([]);
    expect([...seen.aws].sort()).toEqual([...(await policyActions('reap'))].sort());
    const routes = await documentedRoutes();
    const reapRoutes = [...routes].filter(([, modes]) => modes.has('reap')).map(([r]) => r);
    expect([...seen.gitlab].sort()).toEqual(reapRoutes.sort());
    expect([...seen.gitlab].some((r) => !reads(r))).toBe(true);

    // The same apply with a read_api token: GitLab refuses every write with 403, as documented.
    const ro = await world();
    const refused = await runCli(['reap', '--apply', '--config', ro.config, '--format', 'json'], {
      ...ro.sb.env(),
      GITLAB_TOKEN: READ_ONLY_TOKEN,
    });
    expect(refused.code).toBe(1);
    expect(observed(ro.sb).forbidden.length).toBeGreaterThan(0);
    expect(observed(ro.sb).forbidden.every((r) => !reads(r.operation))).toBe(true);
  }, 120_000);
});
