import { expect, it } from 'vitest';
import { runMode } from './executor.js';

it('names a run by what the gate lets it do', () => {
  expect(runMode(true)).toBe('apply');
  expect(runMode(false)).toBe('dry-run');
});
