import { defineConfig } from '@playwright/test';
import { FAKE_CAMERA_FILE } from './tests/e2e/support/fake-camera.ts';

/** Port of the built app served for the e2e run (`npm start` uses 4173; this avoids clashing with it). */
export const E2E_PORT = Number(process.env['E2E_PORT'] ?? 4179);

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${FAKE_CAMERA_FILE}`,
  '--enable-features=WebAssemblyJSPromiseIntegration',
];

/** The WebGPU spec: headless Chromium grants a (SwiftShader) adapter only with this flag. */
const WEBGPU_SPEC = '**/webgpu.spec.ts';

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './tests/e2e/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  // CI runs on a loaded 2-core machine: one retry absorbs a timing hiccup, and Playwright reports
  // such a test as flaky (visible in the output); a real failure fails both attempts.
  retries: process.env['CI'] ? 1 : 0,
  forbidOnly: true,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://localhost:${E2E_PORT}`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
  projects: [
    { name: 'chromium', testIgnore: WEBGPU_SPEC },
    {
      name: 'webgpu',
      testMatch: WEBGPU_SPEC,
      use: {
        launchOptions: {
          executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
          args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
        },
      },
    },
  ],
  webServer: {
    // The app must already be built (`npm run test:e2e` builds it), served the way `npm start` serves it.
    command: `npx vite preview --port ${E2E_PORT} --strictPort`,
    url: `http://localhost:${E2E_PORT}/`,
    env: { REEF_E2E_MIRROR: '1' },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
