/**
 * Camera-frame preprocessing (yuv-tensor.ts): the tuned YUV → RGB input conversion against its
 * first version (tests/unit/tasks/yuv-reference.ts, same bytes) measured in the same run, in Node
 * and in a Chromium worker, as ratios; then Chromium's fake camera (640×480 I420) frames
 * transferred to a worker and each piece of the worker's preprocess timed (copy out of the frame
 * into a new or a reused buffer, the two conversions in turn, close).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { YuvImage } from '../../src/lib/tasks/index.ts';
import { writeRgbTensorFromYuv } from '../../src/lib/tasks/yuv-tensor.ts';
import { pixelTable } from '../../src/lib/tasks/pixel-table.ts';
import type { TensorInfo } from '../../src/lib/runtime/index.ts';
import { referenceRgbFromYuv } from '../unit/tasks/yuv-reference.ts';
import { launchChromium, ROOT } from './support/browser.ts';
import { writeFakeVideo } from './support/fake-video.ts';
import { median, ratio } from './support/stats.ts';
import type { BenchTarget } from './support/yuv-bench-worker.ts';

const WIDTH = 640;
const HEIGHT = 480;
const CAMERA_FRAMES = Number(process.env['BENCH_YUV_FRAMES'] ?? 150);
const ORIGIN = 'http://localhost:4194';
const TARGETS: BenchTarget[] = [
  { label: '224 uint8 (MobileNet 224)', dtype: 'uint8', size: 224, letterbox: false },
  { label: '224 int8', dtype: 'int8', size: 224, letterbox: false },
  { label: '224 float32', dtype: 'float32', size: 224, letterbox: false },
  { label: '128 uint8 (MobileNet 0.25/128)', dtype: 'uint8', size: 128, letterbox: false },
  { label: '300 uint8 letterbox (SSD)', dtype: 'uint8', size: 300, letterbox: true },
];

/** The first frame of each picture in the fake camera's video (15 frames each). */
function framesOf(file: string, pictures: number): YuvImage[] {
  const bytes = readFileSync(file);
  const header = bytes.indexOf(0x0a) + 1;
  const frameBytes = (WIDTH * HEIGHT * 3) / 2;
  const frames: YuvImage[] = [];
  for (let p = 0; p < pictures; p++) {
    const start = header + p * 15 * (6 + frameBytes) + 6;
    frames.push({
      width: WIDTH,
      height: HEIGHT,
      format: 'I420',
      data: new Uint8Array(bytes.subarray(start, start + frameBytes)),
      planes: [
        { offset: 0, stride: WIDTH },
        { offset: WIDTH * HEIGHT, stride: WIDTH / 2 },
        { offset: (WIDTH * HEIGHT * 5) / 4, stride: WIDTH / 2 },
      ],
      matrix: 'bt601',
      fullRange: false,
    });
  }
  return frames;
}

function nodeConversions(frames: YuvImage[], blocks: number, reps: number) {
  return TARGETS.map((t) => {
    const input = {
      name: 'input',
      shape: [1, t.size, t.size, 3],
      dtype: t.dtype,
      scale: 0,
      zeroPoint: 0,
    } as TensorInfo;
    const table = pixelTable(input, 3, undefined);
    const out = new (table.constructor as Uint8ArrayConstructor)(t.size * t.size * 3);
    const ch = t.letterbox ? Math.round((t.size * HEIGHT) / WIDTH) : t.size;
    const target = { out, width: t.size, height: t.size, contentWidth: t.size, contentHeight: ch };
    const region = { x: 0, y: 0, width: WIDTH, height: HEIGHT };
    const times = { reference: [] as number[], tuned: [] as number[] };
    for (let b = 0; b < blocks; b++) {
      const frame = frames[b % frames.length]!;
      for (const [name, convert] of [
        ['reference', referenceRgbFromYuv],
        ['tuned', writeRgbTensorFromYuv],
      ] as const) {
        const started = performance.now();
        for (let i = 0; i < reps; i++) convert(frame, region, target, table);
        times[name].push((performance.now() - started) / reps);
      }
    }
    return { label: t.label, reference: median(times.reference), tuned: median(times.tuned) };
  });
}

function printConversions(rows: { label: string; reference: number; tuned: number }[]): void {
  console.log(`${'target'.padEnd(32)} ${'reference'.padStart(9)} ${'tuned'.padStart(7)} ${'tuned/ref'.padStart(9)}`);
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(32)} ${r.reference.toFixed(3).padStart(9)} ${r.tuned.toFixed(3).padStart(7)} ${ratio(r.tuned, r.reference).padStart(9)}`,
    );
  }
}

const video = join(ROOT, '.cache/bench/yuv-tensor.y4m');
await writeFakeVideo(video, ['cat.bmp', 'bird.bmp', 'squat.bmp', 'grace_hopper.bmp']);
const frames = framesOf(video, 4);

console.log(`Node ${process.version}: 640×480 I420 frames (fixture pictures) → model input, ms per frame`);
printConversions(nodeConversions(frames, 20, 20));

const { build } = await import('esbuild');
const bundle = await build({
  entryPoints: [join(ROOT, 'tests/bench/support/yuv-bench-worker.ts')],
  bundle: true,
  format: 'esm',
  write: false,
  target: 'es2022',
});
const workerCode = bundle.outputFiles[0]!.text;
const HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const PAGE = `<!doctype html><meta charset="utf-8"><title>yuv-tensor bench</title><script type="module">
  const worker = new Worker('/worker.js', { type: 'module' });
  const ask = (msg, transfer = []) => new Promise((resolve) => { worker.onmessage = (ev) => resolve(ev.data); worker.postMessage(msg, transfer); });
  window.conversions = (frames, targets, blocks, reps) => ask({ kind: 'conversions', frames, targets, blocks, reps });
  window.camera = async (count) => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const [track] = stream.getVideoTracks();
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    for (let i = 0; i < count; i++) {
      const { value: frame } = await reader.read();
      await ask({ kind: 'frame', frame, index: i }, [frame]);
    }
    reader.cancel();
    track.stop();
    return ask({ kind: 'pieces' });
  };
  window.ready = true;
</script>`;

const browser = await launchChromium({
  args: [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${video}`,
  ],
});
try {
  const page = await browser.newPage();
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ headers: { ...HEADERS, 'Content-Type': 'text/html' }, body: PAGE });
    if (path === '/worker.js')
      return route.fulfill({ headers: { ...HEADERS, 'Content-Type': 'text/javascript' }, body: workerCode });
    return route.fulfill({ status: 404, body: 'not in the bench' });
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction('window.ready === true');
  console.log(`\nChromium ${browser.version()}, in a worker: the same frames and targets, ms per frame`);
  const rows = await page.evaluate(
    ([f, t]) => (window as unknown as { conversions: (...a: unknown[]) => Promise<unknown> }).conversions(f, t, 20, 20),
    [frames.map((f) => ({ ...f, data: Array.from(f.data) })), TARGETS] as const,
  );
  printConversions(rows as { label: string; reference: number; tuned: number }[]);
  const pieces = (await page.evaluate(
    (n) => (window as unknown as { camera: (n: number) => Promise<unknown> }).camera(n),
    CAMERA_FRAMES,
  )) as Record<string, { median: number; n: number }>;
  console.log(
    `\nChromium fake camera → worker (transferred VideoFrame), 224 uint8, median ms of ${CAMERA_FRAMES} frames`,
  );
  for (const [name, { median: ms, n }] of Object.entries(pieces)) {
    if (name.startsWith('format ')) console.log(`frames: ${name} ×${n}`);
    else console.log(`${name.padEnd(26)} ${ms.toFixed(3).padStart(7)}`);
  }
  const ref = pieces['convert: reference']!.median;
  const tuned = pieces['convert: tuned']!.median;
  console.log(`convert tuned/reference on camera frames: ${ratio(tuned, ref)}`);
} finally {
  await browser.close();
}
