import { EDGETPU_CUSTOM_OP, guardParse, modelError } from '../../tflite/index.ts';
import { readFlexMap } from './flexbuffer-map.ts';
import type { EdgeTpuCustomOptions } from './types.ts';

// The model layer owns the custom code; the Edge TPU area keeps exporting it under its own name.
export { EDGETPU_CUSTOM_OP };

/**
 * Decodes the FlexBuffer map in an `edgetpu-custom-op`'s custom_options (protocol §5.1). Key "4",
 * the Package, is returned as a view into `bytes` (it is binary, not UTF-8).
 */
export function readEdgeTpuCustomOptions(bytes: Uint8Array): EdgeTpuCustomOptions {
  return guardParse('edgetpu-custom-op options', () => {
    const map = readFlexMap(bytes);
    const packageValue = map.get('4');
    if (!packageValue) throw modelError('malformed', 'edgetpu-custom-op options have no package (key "4")');
    if (packageValue.type !== 'bytes') throw modelError('malformed', 'edgetpu-custom-op key "4" is not a byte string');
    const version = map.get('1');
    const preference = map.get('5');
    const chips = map.get('6');
    const extra = map.get('7');
    return {
      version: version?.type === 'int' ? version.value : null,
      packageBytes: packageValue.value,
      executionPreference: preference?.type === 'int' ? preference.value : null,
      chipCodes: chips?.type === 'ints' ? chips.value : [],
      extraPackages: extra?.type === 'ints' ? extra.length : 0,
      keys: [...map.keys()],
    };
  });
}
