/**
 * A built app served by `vite preview` on its own port, for the e2e specs that serve a build of
 * their own and for the benchmarks. The server runs in its own process group, so stop() ends it
 * and its children.
 */
import { spawn } from 'node:child_process';

export interface PreviewServer {
  origin: string;
  stop(): void;
}

export interface PreviewOptions {
  /** The build to serve (default `dist`). */
  outDir?: string;
  /** Environment of the server (e.g. REEF_E2E_MIRROR=1 for the fixture mirror). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts `vite preview` on `port` and resolves once it answers `/` (within a minute). */
export async function servePreview(port: number, options: PreviewOptions = {}): Promise<PreviewServer> {
  const args = ['vite', 'preview', '--port', String(port), '--strictPort'];
  if (options.outDir) args.push('--outDir', options.outDir);
  const server = spawn('npx', args, {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    detached: true,
    stdio: 'ignore',
  });
  const origin = `http://localhost:${port}`;
  const stop = (): void => {
    try {
      if (server.pid) process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${origin}/`)).ok) return { origin, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`vite preview did not start on ${origin}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
