/**
 * The driver runs in a browser worker and the virtual Coral is bundled into a browser test build:
 * neither may import Node modules (src/lib is also type-checked with the WebWorker lib only), and
 * nothing under src/ may import the emulator. The emulator in turn keeps its own device model and
 * may not borrow the driver's.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../../', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const imports = (path: string) => [...readFileSync(path, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
const NODE = /^(node:|fs$|path$|os$|crypto$|child_process$|usb$)/;

describe('bundle safety', () => {
  it('the driver and the core emulator import nothing from Node', () => {
    const core = [
      ...files(join(root, 'src/lib/edgetpu')),
      ...files(join(root, 'tests/emulator')).filter((f) => !/node-[^/]*\.ts$/.test(f)),
    ];
    const offenders = core.flatMap((f) =>
      imports(f)
        .filter((i) => NODE.test(i))
        .map((i) => `${relative(root, f)}: ${i}`),
    );
    expect(offenders).toEqual([]);
    // The Node-only helpers are not reachable from the emulator's index.
    expect(imports(join(root, 'tests/emulator/index.ts')).some((i) => i.includes('node-'))).toBe(false);
  });

  it("the virtual Coral reads models through the flatbuffer layer, never through the driver's interpretation", () => {
    // Allowed from src/lib/edgetpu: the generated executable.fbs accessors, the FlexBuffer map reader,
    // and (types only) the host interfaces the emulator implements. Anything else (registers,
    // framing, program decoding, re-layout) would let a driver bug pass by agreeing with itself.
    const allowed = [
      /^src\/lib\/edgetpu\/executable\/generated\//,
      /^src\/lib\/edgetpu\/executable\/flexbuffer-map\.ts$/,
    ];
    const typeOnly = new Set(['src/lib/edgetpu/usb/device.ts', 'src/lib/edgetpu/devices/manager.ts']);
    const offenders = files(join(root, 'tests/emulator')).flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      const types = new Set([...text.matchAll(/import type \{[^}]*\} from '([^']+)'/g)].map((m) => m[1]!));
      return imports(f)
        .filter((i) => i.startsWith('.'))
        .map((i) => ({ spec: i, path: relative(root, join(f, '..', i)) }))
        .filter(({ path }) => path.startsWith('src/lib/edgetpu/'))
        .filter(({ spec, path }) => !allowed.some((a) => a.test(path)) && !(typeOnly.has(path) && types.has(spec)))
        .map(({ path }) => `${relative(root, f)}: ${path}`);
    });
    expect(offenders).toEqual([]);
  });

  it('nothing in src/ imports the virtual Coral', () => {
    const offenders = files(join(root, 'src')).filter((f) => imports(f).some((i) => i.includes('tests/emulator')));
    expect(offenders).toEqual([]);
  });
});
