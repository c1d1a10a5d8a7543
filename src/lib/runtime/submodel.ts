/** The runtime's CPU sub-graphs are cut by the model layer's one slicer (`sliceModel`). */
import { sliceModel, type Model } from '../tflite/index.ts';
import type { SubmodelExtractor } from './engines/composite.ts';

/** A SubmodelExtractor over a model writer (`writeModel` of src/lib/tflite). */
export function sliceExtractor(write: (model: Model) => Uint8Array): SubmodelExtractor {
  return (model, _bytes, first, last, inputs, outputs) => write(sliceModel(model, first, last, inputs, outputs));
}
