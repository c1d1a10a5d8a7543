import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { headersFile, securityHeaders } from './scripts/security-headers.ts';
import { stageLiteRt } from './wasm/stage-litert.ts';
import { LITERT_URL_DIR, litertFileStem } from './wasm/litert-files.ts';

// Test builds only: the e2e run serves fixture files under the catalog's paths (see the plugin).
const e2eMirror = process.env['REEF_E2E_MIRROR']
  ? [(await import('./tests/e2e/support/fixture-mirror.ts')).fixtureMirror()]
  : [];

// Test builds only: REEF_TEST_USB=virtual-coral swaps the worker's USB for the virtual Coral and
// routes the page's permission prompt to it (tests/e2e/support/virtual-usb-*.ts). Normal builds
// never contain the emulator (tpu-worker.spec.ts greps dist/ for its marker).
const testUsb = process.env['REEF_TEST_USB'];
if (testUsb !== undefined && testUsb !== 'virtual-coral') {
  throw new Error(`REEF_TEST_USB=${testUsb}: the only test USB is "virtual-coral"`);
}
const virtualUsb = testUsb === 'virtual-coral';
const virtualUsbFile = (name: string) => fileURLToPath(new URL(`./tests/e2e/support/${name}`, import.meta.url));

/** Imports the page-side shim first thing in the app's entry (the worker side is an alias). */
function virtualUsbPage(): Plugin {
  const shim = virtualUsbFile('virtual-usb-page.ts');
  return {
    name: 'reef:virtual-usb-page',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('/src/app/main.ts')) return null;
      return { code: `import ${JSON.stringify(shim)};\n${code}`, map: null };
    },
  };
}

// Plain-HTTP download mirrors the CSP lets the app reach (HTTPS mirrors need none; see
// scripts/security-headers.ts). The e2e run adds its second local origin (tests/e2e/mirror.spec.ts).
const e2eMirrorPort = Number(process.env['E2E_MIRROR_PORT'] ?? 4187);
const mirrorOrigins = [
  ...(process.env['REEF_MIRROR_ORIGINS'] ?? '').split(/[\s,]+/).filter(Boolean),
  ...(process.env['REEF_E2E_MIRROR'] ? [`http://localhost:${e2eMirrorPort}`] : []),
];

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
const port = Number(process.env['PORT'] ?? 4173);

/** Writes the security headers as `_headers` for static hosts (Netlify, Cloudflare Pages). */
function emitHeadersFile(): Plugin {
  return {
    name: 'reef:headers-file',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(mirrorOrigins) });
    },
  };
}

// The worker always runs cross-origin isolated, so the threaded LiteRT build is the one in use:
// precache it with the shell; the other variants are cached the first time a browser needs them.
const threaded = litertFileStem('threaded');

export default defineConfig(({ command }) => ({
  define: { __REEF_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    svelte(),
    stageLiteRt(),
    emitHeadersFile(),
    ...e2eMirror,
    ...(virtualUsb ? [virtualUsbPage()] : []),
    VitePWA({
      registerType: 'prompt',
      injectRegister: null,
      includeAssets: ['icons/*.svg', 'icons/*.png'],
      manifest: {
        name: 'Reef — Coral Edge TPU in the browser',
        short_name: 'Reef',
        description:
          'Run, train and benchmark models on the Coral USB Accelerator from a web page, with a WASM fallback.',
        id: '/',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#06131f',
        theme_color: '#0b7a75',
        categories: ['developer', 'utilities', 'education'],
        icons: [
          { src: 'icons/reef-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/reef-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/reef-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icons/reef.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}', `${LITERT_URL_DIR}/${threaded}.*`],
        globIgnores: [`${LITERT_URL_DIR}/!(${threaded}).*`],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        cleanupOutdatedCaches: true,
        navigateFallback: 'index.html',
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.startsWith(`/${LITERT_URL_DIR}/`),
            handler: 'CacheFirst',
            options: { cacheName: 'reef-litert-variants' },
          },
        ],
      },
    }),
  ],
  resolve: {
    alias: [
      // The training worker's tfjs without the converter, tf.data and an eager WebGL backend
      // (src/lib/learn/tf-modules.ts). Browser builds only: in Node, tfjs-core resolves to its CJS
      // bundle, which the union package's own CJS build has to be used with.
      {
        find: /^@tensorflow\/tfjs$/,
        replacement: fileURLToPath(new URL('src/lib/learn/tf-modules.ts', import.meta.url)),
      },
      ...(virtualUsb ? [{ find: /^\.\/usb-source\.ts$/, replacement: virtualUsbFile('virtual-usb-worker.ts') }] : []),
    ],
  },
  worker: { format: 'es' },
  // Source maps would publish the whole source next to the app: only when asked (README, scripts).
  build: { target: 'es2023', sourcemap: process.env['REEF_SOURCEMAP'] === '1', chunkSizeWarningLimit: 2048 },
  server: { port: 5173, headers: securityHeaders({ dev: command === 'serve', mirrorOrigins }) },
  preview: { port, strictPort: true, headers: securityHeaders({ dev: false, mirrorOrigins }) },
}));
