/**
 * Every CLI command, loaded lazily so `reef --help` does not pull in USB or WASM.
 * Add a command: write src/cli/commands/<name>.ts exporting `command`, then list it here.
 */
import type { Command } from '../command.ts';

export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  inspect: {
    summary: 'describe a .tflite / Edge TPU model (I/O, ops and placement, executables, labels)',
    load: async () => (await import('./inspect.ts')).command,
  },
  list: {
    summary: 'list Coral USB Accelerators (usb:N, personality, USB speed)',
    load: async () => (await import('./list.ts')).command,
  },
  flash: {
    summary: 'download the Edge TPU firmware into a Coral in DFU mode',
    load: async () => (await import('./flash.ts')).command,
  },
  bench: {
    summary: 'time a compiled model on a Coral (--device usb:N): latency, throughput, bytes on the bus',
    load: async () => (await import('./bench.ts')).command,
  },
  doctor: {
    summary: '"Check my Coral": self-test of a Coral (identity, USB, clock, known-answer tests, latency) with a report',
    load: async () => (await import('./doctor.ts')).command,
  },
  run: {
    summary:
      'run a model, or a *_segment_K_of_N set, on images: classify, detect, segment or pose (--device cpu|auto|usb:N|webgpu)',
    load: async () => (await import('./run.ts')).command,
  },
  train: {
    summary: 'train a classifier head on an extractor and write extractor + head as one .tflite',
    load: async () => (await import('./train.ts')).command,
  },
  quantize: {
    summary: 'full-int8 post-training quantization of a tfjs model.json to an Edge-TPU-ready .tflite',
    load: async () => (await import('./quantize.ts')).command,
  },
};
