import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Two cores on CI: keep workers bounded so e2e child processes get CPU.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    // The JSON summary lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // Line and branch coverage of src/ by the in-process tests (the CLI processes the e2e tests start
    // are not instrumented): printed as a summary, written to reports/coverage.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'reports/coverage',
    },
  },
});
