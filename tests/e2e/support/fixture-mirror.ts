/**
 * Test-only Vite preview plugin: serves the fixture files under the catalog's paths
 * (`/__mirror/<owner>/<repo>/<commit>/<path>`), so e2e tests exercise the real download path
 * (progress, sha256 check, cache) with nothing reaching the internet. `/__mirror-corrupt/…` serves
 * the same files with one byte flipped, `/__mirror-slow/…` sends them in small timed chunks so
 * progress can be watched. Enabled only when REEF_E2E_MIRROR is set.
 */
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { FIXTURES, fixturePath, type FixtureName } from '../../support/fixtures.ts';

export function fixtureMirror(): Plugin {
  return {
    name: 'reef:e2e-fixture-mirror',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = req.url?.match(/^\/__mirror(-corrupt|-slow)?\/([^/]+\/[^/]+)\/[0-9a-f]{40}\/(.+)$/);
        if (!match) return next();
        const [, variant, repo, path] = match;
        const name = (Object.keys(FIXTURES) as FixtureName[]).find(
          (n) => FIXTURES[n].repo === repo && FIXTURES[n].path === decodeURIComponent(path ?? ''),
        );
        if (!name) {
          res.statusCode = 404;
          res.end('not in the fixture mirror');
          return;
        }
        fixturePath(name).then(
          (file) => {
            const bytes = readFileSync(file);
            if (variant === '-corrupt') bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
            res.setHeader('Content-Type', 'application/octet-stream');
            res.setHeader('Content-Length', String(bytes.length));
            if (variant !== '-slow') return void res.end(bytes);
            const chunk = 64 * 1024;
            let offset = 0;
            const timer = setInterval(() => {
              res.write(bytes.subarray(offset, offset + chunk));
              offset += chunk;
              if (offset >= bytes.length) {
                clearInterval(timer);
                res.end();
              }
            }, 40);
            res.on('close', () => clearInterval(timer));
          },
          (error: unknown) => {
            res.statusCode = 500;
            res.end(String(error));
          },
        );
      });
    },
  };
}
