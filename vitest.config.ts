import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code, seconds) and `integration` (real PostgreSQL: DATABASE_URL or an
// embedded server started once by the global setup; each file clones its own database).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/integration/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/orchestration/test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: true,
          maxWorkers: 2,
          // After the unit project: a fast failure there reports before the slow suite starts.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
