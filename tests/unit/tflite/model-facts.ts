/**
 * Facts about every fixture model, transcribed from ../shared/fixtures/MODELS.md (which was
 * decoded independently of Reef). The reader, inspector and executable tests assert them.
 */
import type { FixtureName } from '../../support/fixtures.ts';

export interface IoFact {
  name: string;
  dtype: string;
  shape: number[];
  /** [scale, zeroPoint], or null when not quantized. */
  quant: [number, number] | null;
}

export interface ExecutableFact {
  type: 'STAND_ALONE' | 'PARAMETER_CACHING' | 'EXECUTION_ONLY';
  name: string;
  params: number;
  token: string;
}

export interface ModelFact {
  description: string;
  tensors: number;
  ops: number;
  metadata: string[];
  inputs: IoFact[];
  outputs: IoFact[];
  /** Full op sequence, or op counts for long graphs. */
  sequence?: string[];
  counts?: Record<string, number>;
  edgetpu?: {
    optionsBytes: number;
    keys: string[];
    packageBytes: number;
    minRuntimeVersion: number;
    compilerVersion: string;
    executables: ExecutableFact[];
  };
  /** CPU custom op and its custom_options size. */
  cpuCustom?: [string, number];
  /** Appended ZIP: where it starts and the label file inside. */
  zip?: { start: number; file: string; labels: number };
}

const U8 = 'uint8';
const F32 = 'float32';
const MOBILENET_OUT: IoFact = {
  name: 'MobilenetV1/Predictions/Reshape_1',
  dtype: U8,
  shape: [1, 1001],
  quant: [0.00390625, 0],
};
const EMBEDDING: IoFact = {
  name: 'MobilenetV1/Logits/AvgPool_1a/AvgPool',
  dtype: U8,
  shape: [1, 1, 1, 1024],
  quant: [0.023528477, 0],
};
const SSD_IN: IoFact = {
  name: 'normalized_input_image_tensor',
  dtype: U8,
  shape: [1, 300, 300, 3],
  quant: [0.0078125, 128],
};
const FEATURE_0 = 'FeatureExtractor/MobilenetV2/expanded_conv_13/expand/Relu6;FeatureExtractor/Mobi';
const FEATURE_1 = 'FeatureExtractor/MobilenetV2/layer_19_1_Conv2d_2_1x1_256/Relu6;FeatureExtractor/';
const FEATURE_2 = 'FeatureExtractor/MobilenetV2/Conv_1/Relu6;FeatureExtractor/MobilenetV2/Conv_1/ad';
const FEATURES: IoFact[] = [
  { name: FEATURE_0, dtype: U8, shape: [1, 19, 19, 576], quant: [0.023528477, 0] },
  { name: FEATURE_1, dtype: U8, shape: [1, 10, 10, 256], quant: [0.023528477, 0] },
  { name: FEATURE_2, dtype: U8, shape: [1, 10, 10, 1280], quant: [0.023528477, 0] },
];
const detections = (n: number | null): IoFact[] =>
  ['', ':1', ':2', ':3'].map((suffix, i) => ({
    name: `TFLite_Detection_PostProcess${suffix}`,
    dtype: F32,
    shape: n === null ? [] : i === 0 ? [1, n, 4] : i === 3 ? [1] : [1, n],
    quant: null,
  }));
const SPLIT_IN: IoFact[] = [
  { name: 'input1', dtype: U8, shape: [1, 8, 8, 3], quant: [0.0078125, 128] },
  { name: 'inputs/rnn1', dtype: U8, shape: [1, 8, 8, 1], quant: [0.0078125, 128] },
  { name: 'inputs/rnn2', dtype: U8, shape: [1, 8, 8, 2], quant: [0.0078125, 128] },
];
const SPLIT_OUT: IoFact[] = [
  { name: 'concat/split0', dtype: U8, shape: [1, 8, 8, 1], quant: [0.0078125, 128] },
  { name: 'concat/split2', dtype: U8, shape: [1, 8, 8, 1], quant: [0.0078125, 128] },
  { name: 'concat/split4', dtype: U8, shape: [1, 8, 8, 1], quant: [0.0078125, 128] },
  { name: 'outputs/rnn1', dtype: U8, shape: [1, 8, 8, 1], quant: [0.0078125, 128] },
  { name: 'outputs/rnn2', dtype: U8, shape: [1, 8, 8, 2], quant: [0.0078125, 128] },
];
const pair = (token: string, cachingParams: number, eoParams = 0): ExecutableFact[] => [
  { type: 'EXECUTION_ONLY', name: 'model', params: eoParams, token },
  { type: 'PARAMETER_CACHING', name: 'Unknown', params: cachingParams, token },
];
const KEYS5 = ['1', '4', '5', '6', '7'];
const MOBILENET_CPU_COUNTS = { CONV_2D: 15, DEPTHWISE_CONV_2D: 13, AVERAGE_POOL_2D: 1, RESHAPE: 1, SOFTMAX: 1 };
const mobilenetIn = (size: number): IoFact => ({
  name: 'input',
  dtype: U8,
  shape: [1, size, size, 3],
  quant: [0.0078125, 128],
});
const deeplabIo = {
  inputs: [
    { name: 'MobilenetV2/MobilenetV2/input', dtype: U8, shape: [1, 513, 513, 3], quant: [0.0078125, 128] },
  ] as IoFact[],
  outputs: [{ name: 'ArgMax', dtype: 'int64', shape: [1, 513, 513], quant: null }] as IoFact[],
};
const movenetIo = {
  inputs: [{ name: 'serving_default_input:0', dtype: U8, shape: [1, 192, 192, 3], quant: null }] as IoFact[],
  outputs: [{ name: 'StatefulPartitionedCall:0', dtype: F32, shape: [1, 1, 17, 3], quant: null }] as IoFact[],
};
const lstmIo = {
  inputs: [{ name: 'serving_default_x:0', dtype: U8, shape: [1, 28, 28], quant: [0.0039215689, 0] }] as IoFact[],
  outputs: [{ name: 'StatefulPartitionedCall:0', dtype: U8, shape: [1, 10], quant: [0.00390625, 0] }] as IoFact[],
};
const ZIP_LABELS = 'imagenet_labels.txt';

export const MODEL_FACTS: Partial<Record<FixtureName, ModelFact>> = {
  'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 2,
    ops: 1,
    metadata: [],
    inputs: [mobilenetIn(224)],
    outputs: [EMBEDDING],
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 3485780,
      keys: KEYS5,
      packageBytes: 3485696,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('8305766144342453066', 3363072),
    },
  },
  'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite': {
    description: 'MLIR Converted.',
    tensors: 83,
    ops: 28,
    metadata: ['min_runtime_version'],
    inputs: [mobilenetIn(224)],
    outputs: [EMBEDDING],
    counts: { CONV_2D: 14, DEPTHWISE_CONV_2D: 13, AVERAGE_POOL_2D: 1 },
  },
  'mobilenet_quant_v1_224_head_layers.tflite': {
    description: 'TOCO Converted.',
    tensors: 7,
    ops: 3,
    metadata: ['min_runtime_version'],
    inputs: [EMBEDDING],
    outputs: [MOBILENET_OUT],
    sequence: ['CONV_2D', 'RESHAPE', 'SOFTMAX'],
  },
  'mobilenet_v1_0.25_128_quant_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 2,
    ops: 1,
    metadata: ['TFLITE_METADATA'],
    inputs: [mobilenetIn(128)],
    outputs: [MOBILENET_OUT],
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 778324,
      keys: KEYS5,
      packageBytes: 778240,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('7860026270054507660', 566912),
    },
    zip: { start: 779632, file: ZIP_LABELS, labels: 1001 },
  },
  'mobilenet_v1_0.25_128_quant.tflite': {
    description: 'MLIR Converted.',
    tensors: 89,
    ops: 31,
    metadata: ['min_runtime_version', 'TFLITE_METADATA'],
    inputs: [mobilenetIn(128)],
    outputs: [MOBILENET_OUT],
    counts: MOBILENET_CPU_COUNTS,
    zip: { start: 503776, file: ZIP_LABELS, labels: 1001 },
  },
  'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 4,
    ops: 1,
    metadata: [],
    inputs: [SSD_IN],
    outputs: FEATURES,
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 3117140,
      keys: KEYS5,
      packageBytes: 3117056,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('5975244340202964951', 2914752),
    },
  },
  'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 12,
    ops: 4,
    metadata: [],
    inputs: FEATURES,
    outputs: detections(20),
    sequence: ['edgetpu-custom-op', 'DEQUANTIZE', 'DEQUANTIZE', 'TFLite_Detection_PostProcess'],
    edgetpu: {
      optionsBytes: 3817556,
      keys: KEYS5,
      packageBytes: 3817472,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('5975244340202964951', 3608512),
    },
    cpuCustom: ['TFLite_Detection_PostProcess', 242],
  },
  'fish_ssd_detect_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 8,
    ops: 2,
    metadata: [],
    inputs: [SSD_IN],
    outputs: detections(10),
    sequence: ['edgetpu-custom-op', 'TFLite_Detection_PostProcess'],
    edgetpu: {
      optionsBytes: 4026426,
      keys: ['1', '4', '5'],
      packageBytes: 4026368,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('6054699738877308990', 3671104),
    },
    cpuCustom: ['TFLite_Detection_PostProcess', 316],
  },
  'fish_ssd_detect.tflite': {
    description: 'TOCO Converted.',
    tensors: 309,
    ops: 115,
    metadata: ['min_runtime_version'],
    inputs: [SSD_IN],
    outputs: detections(null),
    counts: {
      CONV_2D: 55,
      DEPTHWISE_CONV_2D: 33,
      ADD: 10,
      RESHAPE: 13,
      CONCATENATION: 2,
      LOGISTIC: 1,
      TFLite_Detection_PostProcess: 1,
    },
    cpuCustom: ['TFLite_Detection_PostProcess', 316],
  },
  'keras_lstm_mnist_ptq_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 4,
    ops: 1,
    metadata: [],
    ...lstmIo,
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 139348,
      keys: KEYS5,
      packageBytes: 139264,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('7830959935386762675', 43968, 576),
    },
  },
  'keras_lstm_mnist_ptq.tflite': {
    description: 'MLIR Converted.',
    tensors: 29,
    ops: 6,
    metadata: ['min_runtime_version'],
    ...lstmIo,
    sequence: ['QUANTIZE', 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX', 'QUANTIZE'],
  },
  'split_concat_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 8,
    ops: 1,
    metadata: [],
    inputs: SPLIT_IN,
    outputs: SPLIT_OUT,
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 57380,
      keys: ['1', '4', '5'],
      packageBytes: 57344,
      minRuntimeVersion: 13,
      compilerVersion: 'cl/343520747',
      executables: pair('1107233529072990225', 192),
    },
  },
  'split_concat.tflite': {
    description: '',
    tensors: 12,
    ops: 3,
    metadata: [],
    inputs: SPLIT_IN,
    outputs: SPLIT_OUT,
    sequence: ['CONCATENATION', 'SPLIT', 'CONCATENATION'],
  },
  'testconv1-edgetpu.tflite': {
    description: 'EdgeTpu CustomOp Model.',
    tensors: 2,
    ops: 1,
    metadata: [],
    inputs: [{ name: 'input', dtype: U8, shape: [1, 32, 32, 3], quant: [0.0078431377, 128] }],
    outputs: [{ name: 'conv1', dtype: U8, shape: [1, 30, 30, 16], quant: [0.035294119, 113] }],
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 36918,
      keys: KEYS5,
      packageBytes: 36864,
      minRuntimeVersion: 13,
      compilerVersion: 'cl/365641874',
      executables: [{ type: 'STAND_ALONE', name: 'TestConv1', params: 640, token: '0' }],
    },
  },
  'model_invoking_error.tflite': {
    description: 'programmatic model',
    tensors: 2,
    ops: 1,
    metadata: [],
    inputs: [{ name: '', dtype: U8, shape: [1, 3], quant: null }],
    outputs: [{ name: '', dtype: F32, shape: [], quant: null }],
    sequence: ['fake-op-double'],
    cpuCustom: ['fake-op-double', 22],
  },
  'deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 18,
    ops: 9,
    metadata: [],
    ...deeplabIo,
    sequence: [
      'edgetpu-custom-op',
      'RESIZE_BILINEAR',
      'QUANTIZE',
      'CONCATENATION',
      'CONV_2D',
      'CONV_2D',
      'RESIZE_BILINEAR',
      'RESIZE_BILINEAR',
      'ARG_MAX',
    ],
    edgetpu: {
      optionsBytes: 966740,
      keys: KEYS5,
      packageBytes: 966656,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('3933219329259043533', 766720),
    },
  },
  'deeplabv3_mnv2_dm05_pascal_quant.tflite': {
    description: 'MLIR Converted.',
    tensors: 186,
    ops: 72,
    metadata: ['min_runtime_version'],
    ...deeplabIo,
    counts: {
      CONV_2D: 38,
      DEPTHWISE_CONV_2D: 17,
      ADD: 10,
      AVERAGE_POOL_2D: 1,
      RESIZE_BILINEAR: 3,
      QUANTIZE: 1,
      CONCATENATION: 1,
      ARG_MAX: 1,
    },
  },
  'movenet_single_pose_lightning_ptq_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 84,
    ops: 60,
    metadata: [],
    ...movenetIo,
    counts: {
      CAST: 5,
      QUANTIZE: 7,
      'edgetpu-custom-op': 1,
      ARG_MAX: 2,
      FLOOR_DIV: 2,
      RESHAPE: 11,
      MUL: 5,
      SUB: 4,
      PACK: 3,
      DEQUANTIZE: 4,
      GATHER_ND: 4,
      UNPACK: 2,
      ADD: 6,
      SQRT: 1,
      DIV: 1,
      CONCATENATION: 2,
    },
    edgetpu: {
      optionsBytes: 3072084,
      keys: KEYS5,
      packageBytes: 3072000,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('9508110473025251570', 2862656, 2368),
    },
  },
  'movenet_single_pose_lightning_ptq.tflite': {
    description: 'MLIR Converted.',
    tensors: 333,
    ops: 157,
    metadata: ['min_runtime_version'],
    ...movenetIo,
    counts: {
      CAST: 5,
      QUANTIZE: 8,
      SUB: 6,
      MUL: 7,
      CONV_2D: 50,
      DEPTHWISE_CONV_2D: 24,
      ADD: 19,
      RESIZE_BILINEAR: 3,
      LOGISTIC: 2,
      RESHAPE: 12,
      ARG_MAX: 2,
      FLOOR_DIV: 2,
      PACK: 3,
      DEQUANTIZE: 4,
      GATHER_ND: 4,
      UNPACK: 2,
      SQRT: 1,
      DIV: 1,
      CONCATENATION: 2,
    },
  },
  'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 2,
    ops: 1,
    metadata: ['TFLITE_METADATA'],
    inputs: [mobilenetIn(128)],
    outputs: [MOBILENET_OUT],
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 778324,
      keys: KEYS5,
      packageBytes: 778240,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('16340017111409818219', 566912),
    },
    zip: { start: 779632, file: ZIP_LABELS, labels: 1001 },
  },
  'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite': {
    description: 'Exported from Subgraph.',
    tensors: 2,
    ops: 1,
    metadata: ['TFLITE_METADATA'],
    inputs: [mobilenetIn(160)],
    outputs: [MOBILENET_OUT],
    sequence: ['edgetpu-custom-op'],
    edgetpu: {
      optionsBytes: 1720404,
      keys: KEYS5,
      packageBytes: 1720320,
      minRuntimeVersion: 12,
      compilerVersion: 'cl/',
      executables: pair('16340017111409818219', 1473280),
    },
  },
  'mobilenet_v1_0.5_160_quant.tflite': {
    description: 'MLIR Converted.',
    tensors: 89,
    ops: 31,
    metadata: ['min_runtime_version', 'TFLITE_METADATA'],
    inputs: [mobilenetIn(160)],
    outputs: [MOBILENET_OUT],
    counts: MOBILENET_CPU_COUNTS,
  },
};
