/** The model writer's slice extraction, when the model I/O area provides it. */
import type { SubmodelExtractor } from '../../lib/runtime/index.ts';

export function submodelExtractor(): SubmodelExtractor | undefined {
  return undefined;
}
