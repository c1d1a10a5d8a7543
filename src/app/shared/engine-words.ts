/** The ladder's engines and decisions in plain words for the pages ("GPU (WebGPU)", "Coral usb:0"). */
import type { EngineDecision, LadderEntry } from '../../worker/accelerator-api.ts';

/** A result's engine and device as people say it. */
export function engineWords(engine: string, device: string): string {
  if (engine.startsWith('litert-webgpu')) return 'GPU (WebGPU)';
  if (engine.startsWith('litert-webnn')) return 'WebNN';
  if (engine.startsWith('litert-wasm')) return 'CPU (WebAssembly)';
  // A segment pipeline runs on several TPUs: `usb:0,usb:1` reads "Coral usb:0 + usb:1".
  return `Coral ${device
    .replace(/\+cpu$/, '')
    .split(',')
    .join(' + ')}`;
}

/** Engine choices a page may offer besides Automatic, a TPU and WASM: the ladder's other available rungs. */
export function acceleratorChoices(ladder: readonly LadderEntry[]): { value: string; label: string }[] {
  return ladder
    .filter((e) => e.available && (e.engine === 'webgpu' || e.engine === 'webnn'))
    .map((e) => ({ value: e.engine, label: e.label }));
}

function figures(decision: EngineDecision): string {
  return decision.figures.map((f) => `${f.label} ${f.medianMs.toFixed(1)} ms`).join(', ');
}

/** Why the model runs where it runs (after "Runs on <engine> · "), with the measured figures when there are any. */
export function decisionWords(decision: EngineDecision): string {
  switch (decision.how) {
    case 'requested':
      return 'as chosen';
    case 'preferred':
      return 'the model is compiled for it';
    case 'only-engine':
      return 'the only engine here that can run it';
    case 'calibrating':
      return `${figures(decision)} so far; measuring ${(decision.pending ?? []).join(', ')} in the background, and the faster correct one takes over`;
    case 'calibrated':
      return decision.waitedMs === undefined
        ? `fastest correct of ${figures(decision)} (measured now in ${Math.round(decision.calibrationMs)} ms)`
        : `fastest correct of ${figures(decision)} (measured now in ${Math.round(decision.calibrationMs)} ms, the first ${Math.round(decision.waitedMs)} ms before the first result)`;
    case 'cached':
      return `fastest correct of ${figures(decision)} (measured earlier, remembered)`;
  }
}
