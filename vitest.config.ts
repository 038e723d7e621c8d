import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The default output, then every skip of the run with its reason (test/harness/skip-summary-reporter.ts).
    reporters: ['default', './test/harness/skip-summary-reporter.ts'],
  },
});
