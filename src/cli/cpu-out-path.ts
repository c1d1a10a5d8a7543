/** Where a command writes the CPU model beside the Edge TPU one (`reef train`, `reef quantize`). */

/** The CPU model's default path: `x_edgetpu.tflite` → `x.tflite`, else `x.tflite` → `x_cpu.tflite`. */
export function cpuOutPath(out: string): string {
  if (/_edgetpu\.tflite$/.test(out)) return out.replace(/_edgetpu\.tflite$/, '.tflite');
  return /\.tflite$/.test(out) ? out.replace(/\.tflite$/, '_cpu.tflite') : `${out}_cpu.tflite`;
}
