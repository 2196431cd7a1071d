import { unknownRegions } from '../aws/regions.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors/errors.js';

/**
 * Refuses region names the installed AWS SDK does not list, before any call: a typo (`eu-wst-1`) would
 * scan nothing and report an empty, clean run. `aws.allowUnknownRegions` lets a region newer than this
 * release through. Checks the configured regions (file, variables, `--region`) and, when none is
 * configured, `AWS_REGION`.
 */
export function checkRegions(config: Config, env: NodeJS.ProcessEnv): void {
  if (config.aws.allowUnknownRegions) return;
  const sources: { path: string; regions: string[] }[] = [
    { path: 'aws.regions', regions: config.aws.regions },
    ...config.aws.accounts.map((a, i) => ({ path: `aws.accounts.${i}.regions`, regions: a.regions ?? [] })),
  ];
  if (config.aws.regions.length === 0 && env.AWS_REGION)
    sources.push({ path: 'AWS_REGION', regions: [env.AWS_REGION] });
  const issues = sources.flatMap(({ path, regions }) =>
    unknownRegions(regions).map((u) => ({
      path,
      message: `unknown region "${u.region}"${u.suggestion ? ` (did you mean ${u.suggestion}?)` : ''}; for a region newer than this env-reaper, set aws.allowUnknownRegions: true`,
    })),
  );
  if (issues.length > 0) throw new ConfigError(issues);
}
