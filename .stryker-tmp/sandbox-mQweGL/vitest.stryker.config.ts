// @ts-nocheck
import { defineConfig } from 'vitest/config';

/** The unit and property tests that Stryker runs against each mutant (no e2e: those spawn the built CLI). */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
