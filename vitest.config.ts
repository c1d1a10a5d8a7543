import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: { __REEF_VERSION__: JSON.stringify(process.env['npm_package_version'] ?? '0.0.0') },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // The CLI tests spawn bin/reef.js, which runs the build in dist-cli/: build it fresh once.
    globalSetup: ['tests/support/build-cli.setup.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
