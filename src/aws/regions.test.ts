import { describe, expect, it } from 'vitest';
import { isKnownRegion, unknownRegions } from './regions.js';

describe('region names the SDK knows', () => {
  it('tells a listed region from a name that only looks like one', () => {
    for (const r of ['eu-west-1', 'us-east-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1'])
      expect(isKnownRegion(r), r).toBe(true);
    // Both match the aws partition's pattern, which the SDK would use to build an endpoint anyway.
    for (const r of ['eu-wst-1', 'mars-north-1', 'eu-west-99', '']) expect(isKnownRegion(r), r).toBe(false);
  });

  it('suggests the listed region a typo most likely meant, and nothing far-fetched', () => {
    expect(unknownRegions(['eu-west-1', 'eu-wst-1', 'us-est-1', 'mars-north-1'])).toEqual([
      { region: 'eu-wst-1', suggestion: 'eu-west-1' },
      { region: 'us-est-1', suggestion: 'us-east-1' },
      { region: 'mars-north-1' },
    ]);
  });
});
