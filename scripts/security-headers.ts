/**
 * The response headers Reef needs wherever it is served: cross-origin isolation (threaded WASM,
 * SharedArrayBuffer) and a strict Content-Security-Policy. vite.config.ts applies them to the dev
 * and preview servers and writes them as `_headers` into the build for static hosts.
 */

/** The default source of Coral's published models and firmware. */
export const MODEL_HOST = 'https://raw.githubusercontent.com';

export interface HeaderOptions {
  dev: boolean;
  /**
   * Plain-HTTP origins of download mirrors (a LAN server, the e2e mirror). HTTPS mirrors need no
   * entry: connect-src allows any HTTPS origin, see below.
   */
  mirrorOrigins?: readonly string[];
}

/**
 * connect-src allows any HTTPS origin, so Models → Download source can point at any mirror without
 * rebuilding: every downloaded file is checked against its pinned sha256 before it is stored or
 * run, and nothing fetched is ever executed as script (script-src stays 'self'), so the origin is
 * not what makes a download trustworthy. Plain HTTP stays closed unless an origin is listed.
 */
export function contentSecurityPolicy(options: HeaderOptions): string {
  const connect = ["'self'", MODEL_HOST, 'https:', ...(options.mirrorOrigins ?? [])];
  // Vite's dev client talks to its HMR server over a websocket.
  if (options.dev) connect.push('ws://localhost:*', 'ws://127.0.0.1:*');
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "img-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
    // Svelte sets style attributes for transitions and plots; no inline <script> is ever allowed.
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(options: HeaderOptions): Record<string, string> {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': contentSecurityPolicy(options),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': 'usb=(self), camera=(self), screen-wake-lock=(self), fullscreen=(self)',
  };
}

/** Netlify / Cloudflare Pages `_headers` format. */
export function headersFile(mirrorOrigins: readonly string[] = []): string {
  const lines = Object.entries(securityHeaders({ dev: false, mirrorOrigins })).map(([k, v]) => `  ${k}: ${v}`);
  return ['/*', ...lines, ''].join('\n');
}
