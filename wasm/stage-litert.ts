/**
 * Vite plugin: serves the LiteRT.js runtime files under /litert/ in dev and copies them into the
 * build output. They stay in node_modules; nothing fetched is committed.
 */
import { readFileSync, createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { securityHeaders } from '../scripts/security-headers.ts';
import { LITERT_URL_DIR, litertFileNames, litertSourceDir } from './litert-files.ts';

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm' };

export function stageLiteRt(): Plugin {
  const sourceDir = litertSourceDir();
  const names = new Set(litertFileNames());
  return {
    name: 'reef:stage-litert',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = req.url?.match(new RegExp(`^/${LITERT_URL_DIR}/([\\w.]+)$`));
        const name = match?.[1];
        if (!name || !names.has(name)) return next();
        const file = join(sourceDir, name);
        if (!existsSync(file)) return next();
        // This middleware answers before Vite's own, so it sets the isolation headers itself.
        for (const [key, value] of Object.entries(securityHeaders({ dev: true }))) res.setHeader(key, value);
        res.setHeader('Content-Type', CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const name of names) {
        this.emitFile({
          type: 'asset',
          fileName: `${LITERT_URL_DIR}/${name}`,
          source: readFileSync(join(sourceDir, name)),
        });
      }
    },
  };
}
