import { defineConfig } from 'vitest/config';

// One runner for every tier: unit specs beside the code, integration specs per service, golden,
// process and e2e tests under tests/. Packages resolve to their built dist (npm test builds first),
// so a test and the code it drives share one copy of every class.
export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.spec.ts', 'packages/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'services/*/test/**/*.spec.ts', 'tests/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time, on any machine: the integration specs share one broker, and a service's
    // consumer group is fixed by the service (hypervisor-core, persona-runtime-personal), so two
    // specs of the same service running at once would split its partitions between them.
    fileParallelism: false,
    // Kafka + PostgreSQL for integration tests, started once per run on first use (tests/support/infrastructure.ts).
    globalSetup: ['./tests/support/global-setup.ts'],
    // The JSON report is what .ci/run counts its closing "N passed, N failed" line from.
    reporters: ['default', ['json', { outputFile: '.duet/test-results.json' }]],
  },
});
