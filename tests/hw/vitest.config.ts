/**
 * Hardware tests: run only by `npm run test:hw` (tests/hw/run.ts), which starts them when REEF_HW=1
 * and a Coral is on the bus. Never part of `npm test`: the unit config includes tests/unit only.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: { __REEF_VERSION__: JSON.stringify(process.env['npm_package_version'] ?? '0.0.0') },
  test: {
    include: ['tests/hw/**/*.hw.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One stick, one owner: files run one after another.
    fileParallelism: false,
  },
});
