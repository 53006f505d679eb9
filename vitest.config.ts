import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files share the database servers; each uses its own schema or
    // database, so files may run in parallel on the two cores.
    fileParallelism: true,
    reporters: ['default'],
  },
})
