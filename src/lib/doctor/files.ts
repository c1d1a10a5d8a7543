/**
 * The files the self-test needs: catalog models (looked up by name, so their pins stay in one
 * place) and a few test files that are not catalog entries — testconv1's golden pair from
 * coralmicro and two test images from test_data — pinned here the same way (repository, commit,
 * sha256). Where the bytes come from is the host's business: a file cache, a download, a folder.
 */
import { CATALOG, type ZooFile } from '../zoo/index.ts';

const CORALMICRO = { repo: 'google-coral/coralmicro', commit: '396dd40b58c9db085c73981dc51aea5fc351c9a2' } as const;

/** Test data has no catalog role of its own: only the compiled model is marked `edgetpu`. */
function pinned(
  name: string,
  repo: { repo: string; commit: string },
  path: string,
  size: number,
  sha: string,
): ZooFile {
  return { name, role: name.endsWith('.tflite') ? 'edgetpu' : 'cpu', ...repo, path, sizeBytes: size, sha256: sha };
}

/** Self-test files that are not in the catalog. */
export const EXTRA_FILES: readonly ZooFile[] = [
  pinned(
    'testconv1-edgetpu.tflite',
    CORALMICRO,
    'models/testconv1-edgetpu.tflite',
    37424,
    '20735a163b0a4835e42157e88b60440b566db21a4accfac49bd002998e9e069f',
  ),
  pinned(
    'testconv1-test-input.bin',
    CORALMICRO,
    'models/testconv1-test-input.bin',
    3072,
    '466073616e9815eeaa8c93b80ee6f1266dd3981a5a843f78603207b19fa2bc7b',
  ),
  pinned(
    'testconv1-expected-output.bin',
    CORALMICRO,
    'models/testconv1-expected-output.bin',
    14400,
    '06d835752131305839e8a2b6c44320cea6b2025965f803723bafff6888000510',
  ),
  pinned(
    'cat.bmp',
    { repo: 'google-coral/test_data', commit: 'c21de4450f88a20ac5968628d375787745932a5a' },
    'cat.bmp',
    523914,
    '34f235786382686111728287fd26d4c24dd8c25de8233469d6eeb301888ce0a9',
  ),
  pinned(
    'squat.bmp',
    { repo: 'google-coral/test_data', commit: '104342d2d3480b3e66203073dac24f4e2dbb4c41' },
    'squat.bmp',
    915054,
    '2e015df27a35a0e9b30787ed6a5ad811bc466e9c0fd61f2067d37976b92306d0',
  ),
];

/** A self-test file by name: a catalog file or one of EXTRA_FILES. */
export function doctorFile(name: string): ZooFile {
  const file =
    EXTRA_FILES.find((f) => f.name === name) ?? CATALOG.flatMap((entry) => entry.files).find((f) => f.name === name);
  if (!file) throw new Error(`doctor: no pinned file named ${name}`); // a programming error, not input
  return file;
}

/** The catalog entry a file belongs to (its title tells a person what to download), if any. */
export function catalogTitleOf(name: string): string | undefined {
  return CATALOG.find((entry) => entry.files.some((f) => f.name === name))?.title;
}

/** Where the self-test gets its files; `undefined` means "not available here". */
export interface DoctorFileSource {
  get(file: ZooFile): Promise<Uint8Array | undefined>;
  /** One line telling a person how to make `names` available (page vs CLI differ). */
  howToGet(names: readonly string[]): string;
}

/** Every file the self-test may use, for hosts that fetch ahead or list them. */
export const SELF_TEST_FILES = {
  testconv1: ['testconv1-edgetpu.tflite', 'testconv1-test-input.bin', 'testconv1-expected-output.bin'],
  classify: ['mobilenet_v1_0.25_128_quant_edgetpu.tflite', 'mobilenet_v1_0.25_128_quant.tflite', 'cat.bmp'],
  tiledInt8: [
    'movenet_single_pose_lightning_ptq_edgetpu.tflite',
    'movenet_single_pose_lightning_ptq.tflite',
    'squat.bmp',
  ],
  cocompiled: [
    'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
    'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
  ],
  latency: ['mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite', 'cat.bmp'],
} as const satisfies Record<string, readonly string[]>;
