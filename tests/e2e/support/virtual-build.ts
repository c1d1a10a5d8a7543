/**
 * Builds and serves the virtual-coral TEST build (REEF_TEST_USB=virtual-coral, see vite.config.ts)
 * into its own directory and port, so dist/ of the other specs is untouched. The emulator is a
 * test double: nothing measured against it is a hardware result.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface VirtualBuild {
  origin: string;
  stop(): void;
}

export async function startVirtualBuild(outDir: string, port: number): Promise<VirtualBuild> {
  const env = { ...process.env, REEF_TEST_USB: 'virtual-coral', REEF_E2E_MIRROR: '1' };
  const build = spawnSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    env,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`virtual-coral test build failed:\n${build.stderr}`);
  const server: ChildProcess = spawn(
    'npx',
    ['vite', 'preview', '--outDir', outDir, '--port', String(port), '--strictPort'],
    { env, detached: true, stdio: 'ignore' },
  );
  const origin = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${origin}/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`vite preview of the test build did not start on ${origin}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    origin,
    // The preview server and its children: the process group started here.
    stop: () => {
      if (server.pid) process.kill(-server.pid, 'SIGTERM');
    },
  };
}
