/**
 * The browser benchmarks' common setup: the app built into dist/ and served by `vite preview` on
 * the benchmark's own port, and system Chromium launched headless with the flags Reef needs.
 */
import { execSync } from 'node:child_process';
import { chromium, type Browser } from '@playwright/test';
import { servePreview, type PreviewServer } from '../../support/preview-server.ts';

export const ROOT = new URL('../../../', import.meta.url).pathname;

/** JSPI for LiteRT's GPU build; WebGPU (SwiftShader in headless Chromium) only when asked. */
const REEF_ARGS = ['--no-sandbox', '--enable-features=WebAssemblyJSPromiseIntegration'];

export function launchChromium(options: { webgpu?: boolean; args?: string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [...REEF_ARGS, ...(options.webgpu ? ['--enable-unsafe-webgpu'] : []), ...(options.args ?? [])],
  });
}

/** Builds the app into dist/ (the production build, as `npm start` serves it). */
export function buildApp(): void {
  execSync('npx vite build --logLevel error', { cwd: ROOT, stdio: 'inherit' });
}

/**
 * Builds the app, serves it on `port`, runs `body` with its origin and stops the server, also when
 * `body` throws.
 */
export async function withBuiltApp<T>(port: number, body: (origin: string) => Promise<T>): Promise<T> {
  buildApp();
  const server: PreviewServer = await servePreview(port, { cwd: ROOT });
  try {
    return await body(server.origin);
  } finally {
    server.stop();
  }
}
