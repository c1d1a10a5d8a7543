/**
 * Vite plugin: serves the LiteRT.js runtime files under /litert/ in dev and copies them into the
 * build output, plus an ES-module form of each glue script for the module worker. They stay in
 * node_modules; nothing fetched is committed.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { securityHeaders } from '../scripts/security-headers.ts';
import {
  LITERT_URL_DIR,
  LITERT_VARIANTS,
  litertFileNames,
  litertFileStem,
  litertModuleName,
  litertModuleSource,
  litertSourceDir,
} from './litert-files.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

/** Every file served under /litert/, by name → its bytes (read lazily). */
function litertAssets(sourceDir: string): Map<string, () => Uint8Array | string> {
  const assets = new Map<string, () => Uint8Array | string>();
  for (const name of litertFileNames()) assets.set(name, () => readFileSync(join(sourceDir, name)));
  for (const variant of LITERT_VARIANTS) {
    const glue = join(sourceDir, `${litertFileStem(variant)}.js`);
    assets.set(litertModuleName(variant), () => litertModuleSource(readFileSync(glue, 'utf8')));
  }
  return assets;
}

export function stageLiteRt(): Plugin {
  const sourceDir = litertSourceDir();
  const assets = litertAssets(sourceDir);
  return {
    name: 'reef:stage-litert',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = req.url?.match(new RegExp(`^/${LITERT_URL_DIR}/([\\w.]+)$`));
        const name = match?.[1];
        const asset = name ? assets.get(name) : undefined;
        if (!name || !asset || (!name.endsWith('.mjs') && !existsSync(join(sourceDir, name)))) return next();
        // This middleware answers before Vite's own, so it sets the isolation headers itself.
        for (const [key, value] of Object.entries(securityHeaders({ dev: true }))) res.setHeader(key, value);
        res.setHeader('Content-Type', CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream');
        res.end(asset());
      });
    },
    generateBundle() {
      for (const [name, read] of assets) {
        this.emitFile({ type: 'asset', fileName: `${LITERT_URL_DIR}/${name}`, source: read() });
      }
    },
  };
}
