import { partition } from '@aws-sdk/core/client';
import { closest, distance } from 'fastest-levenshtein';

/**
 * Region names as the installed AWS SDK knows them (its endpoint partitions: aws, aws-cn, aws-us-gov, …).
 * The SDK resolves any name that looks like a region (`eu-wst-1` matches the `aws` partition's pattern),
 * so only the partitions' own lists tell a region from a typo; a region newer than this release is let
 * through with `aws.allowUnknownRegions`.
 */

/** Whether the SDK lists `region` in one of its partitions. */
export function isKnownRegion(region: string): boolean {
  // A listed region comes back with its description; a name that only matches a pattern, without.
  return 'description' in partition(region);
}

/** The regions the SDK lists, for suggestions. */
function listedRegions(): string[] {
  const out: string[] = [];
  const probe = [
    'us',
    'eu',
    'ap',
    'sa',
    'ca',
    'me',
    'af',
    'il',
    'mx',
    'cn',
    'us-gov',
    'us-iso',
    'us-isob',
    'eusc',
  ];
  const directions = [
    'north',
    'south',
    'east',
    'west',
    'central',
    'northeast',
    'southeast',
    'northwest',
    'southwest',
  ];
  for (const p of probe)
    for (const d of directions)
      for (let n = 1; n <= 9; n++) {
        const r = `${p}-${d}-${n}`;
        if (isKnownRegion(r)) out.push(r);
      }
  return out;
}

let listed: string[] | undefined;

/** Each unknown region of `regions`, with the listed region it most likely meant. */
export function unknownRegions(regions: readonly string[]): { region: string; suggestion?: string }[] {
  return [...new Set(regions)]
    .filter((r) => !isKnownRegion(r))
    .map((region) => {
      listed ??= listedRegions();
      const near = listed.length ? closest(region, listed) : undefined;
      return near !== undefined && distance(region, near) <= 2 ? { region, suggestion: near } : { region };
    });
}
