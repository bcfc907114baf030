import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One runner for every tier: unit specs beside the code, golden and process tests under tests/.
export default defineConfig({
  resolve: {
    alias: {
      '@duet/sim-core': fileURLToPath(new URL('./packages/sim-core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['packages/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'tests/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report is what .ci/run counts its closing "N passed, N failed" line from.
    reporters: ['default', ['json', { outputFile: '.duet/test-results.json' }]],
  },
});
