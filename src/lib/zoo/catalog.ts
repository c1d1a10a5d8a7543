/**
 * Coral's published models that Reef offers for download. Every file is pinned by repository,
 * commit and sha256, so a download is exactly the file that was reviewed; the bytes are fetched at
 * run time (never bundled) and checked before use.
 */

export type ZooTask = 'classify' | 'detect' | 'segment' | 'pose' | 'embed';
export type ZooFileRole = 'edgetpu' | 'cpu' | 'labels' | 'segment' | 'firmware';

export interface ZooFile {
  /** File name as users know it from Coral's docs (`mobilenet_v1_0.25_128_quant_edgetpu.tflite`). */
  name: string;
  role: ZooFileRole;
  repo: string;
  commit: string;
  path: string;
  sizeBytes: number;
  sha256: string;
}

export interface ZooEntry {
  id: string;
  title: string;
  task: ZooTask;
  description: string;
  /** Input size users see in the catalog, e.g. `128×128`. */
  input: string;
  license: string;
  files: ZooFile[];
}

/** Default origin of the public files; the catalog's base URL setting can point elsewhere (a mirror). */
export const DEFAULT_BASE_URL = 'https://raw.githubusercontent.com';

const TEST_DATA = { repo: 'google-coral/test_data', commit: '104342d2d3480b3e66203073dac24f4e2dbb4c41' } as const;
const LIBEDGETPU = { repo: 'google-coral/libedgetpu', commit: 'e35aed18fea2e2d25d98352e5a5bd357c170bd4d' } as const;

function testData(name: string, role: ZooFileRole, sizeBytes: number, sha256: string, dir = ''): ZooFile {
  return { name, role, ...TEST_DATA, path: `${dir}${name}`, sizeBytes, sha256 };
}

const IMAGENET_LABELS = testData(
  'imagenet_labels.txt',
  'labels',
  21686,
  'b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1',
);

export const FIRMWARE_FILE: ZooFile = {
  name: 'apex_latest_single_ep.bin',
  role: 'firmware',
  ...LIBEDGETPU,
  path: 'driver/usb/apex_latest_single_ep.bin',
  sizeBytes: 10783,
  sha256: '3b07311b174b81fd14fd2c887f40d646c0ebf2f140cc5ee5cf8befa0f3e3dc7f',
};

export const CATALOG: readonly ZooEntry[] = [
  {
    id: 'mobilenet-v1-0.25-128',
    title: 'MobileNet v1 0.25 (ImageNet)',
    task: 'classify',
    description: 'The smallest ImageNet classifier: 1,000 classes, fully on the Edge TPU.',
    input: '128×128',
    license: 'Apache-2.0',
    files: [
      testData(
        'mobilenet_v1_0.25_128_quant_edgetpu.tflite',
        'edgetpu',
        801454,
        'a4cb1e493346542248687939fbd7421ab92d74c58b1f0a0018b8f1bdddfcef7e',
      ),
      testData(
        'mobilenet_v1_0.25_128_quant.tflite',
        'cpu',
        525598,
        'cb273c23ee76374b05b9583177e28aa19744858a7679c56a250e83d0333da785',
      ),
      IMAGENET_LABELS,
    ],
  },
  {
    id: 'mobilenet-v1-cocompiled',
    title: 'MobileNet v1 0.5 + 0.25, co-compiled',
    task: 'classify',
    description:
      'Two ImageNet classifiers compiled together so they share one Edge TPU’s parameter cache with no swaps.',
    input: '160×160 and 128×128',
    license: 'Apache-2.0',
    files: [
      testData(
        'mobilenet_v1_0.5_160_quant_cocompiled_with_mobilenet_v1_0.25_128_quant_edgetpu.tflite',
        'edgetpu',
        1743534,
        '8d410b6372b7bb1ba08a533fd0f87dcadbda7f907f99097f9b92882944ee28ae',
        'cocompilation/',
      ),
      testData(
        'mobilenet_v1_0.25_128_quant_cocompiled_with_mobilenet_v1_0.5_160_quant_edgetpu.tflite',
        'edgetpu',
        801454,
        '37501bcffa3407ca5673652452b304d083a29945a51ec878fba91bd36d08a57b',
        'cocompilation/',
      ),
      testData(
        'mobilenet_v1_0.5_160_quant.tflite',
        'cpu',
        1392846,
        '3cc6d2ca460abd2e0f699a6d0d2550c6b61c6e3b0e27a3616e384ea74cb86f43',
      ),
      testData(
        'mobilenet_v1_0.25_128_quant.tflite',
        'cpu',
        525598,
        'cb273c23ee76374b05b9583177e28aa19744858a7679c56a250e83d0333da785',
      ),
      IMAGENET_LABELS,
    ],
  },
  {
    id: 'mobilenet-v1-1.0-224-embedding',
    title: 'MobileNet v1 1.0 embedding extractor',
    task: 'embed',
    description: '1024-d image embeddings: the base Reef trains new classifiers on.',
    input: '224×224',
    license: 'Apache-2.0',
    files: [
      testData(
        'mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite',
        'edgetpu',
        3486336,
        '33a249155302975d7e28f72a5250903cdf7f7afb7bd1ceec3d2cd8ca9ce6a609',
      ),
      testData(
        'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite',
        'cpu',
        3251736,
        'f409ef4f73fcbb9667841965623c5c8524aac33d41b9bf5f3667161fb4a76319',
      ),
    ],
  },
  {
    id: 'ssd-mobilenet-v2-coco-pipeline',
    title: 'SSD MobileNet v2 (COCO), 2-segment pipeline',
    task: 'detect',
    description: '90 COCO object classes; compiled as two segments to pipeline across two Edge TPUs.',
    input: '300×300',
    license: 'Apache-2.0',
    files: [
      testData(
        'ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite',
        'segment',
        3118720,
        '47ecd08970fbb5d352fdef6580cd408f45df7d181c1f2218c96ce7cd24314dff',
        'pipeline/',
      ),
      testData(
        'ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite',
        'segment',
        3850880,
        '94e53012f72c9eeff332ac01eea23948894fc7acb86bdf8624cae726f14c0bed',
        'pipeline/',
      ),
      testData('coco_labels.txt', 'labels', 661, 'dc183f003fc753c4c43fae6fdf7f387559449573f13fa32e517fb7453fd380f1'),
    ],
  },
  {
    id: 'deeplabv3-mnv2-pascal',
    title: 'DeepLab v3 MobileNet v2 (PASCAL VOC)',
    task: 'segment',
    description: 'Semantic segmentation into 21 PASCAL VOC classes; the upsampling tail runs on the CPU.',
    input: '513×513',
    license: 'Apache-2.0',
    files: [
      testData(
        'deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite',
        'edgetpu',
        1107584,
        '4ccdb19b91c9b0f5917095f5163408326711f06eb0599e3d0fde9b9791f62895',
      ),
      testData(
        'deeplabv3_mnv2_dm05_pascal_quant.tflite',
        'cpu',
        760904,
        '0470d2a782aa54eeeb99d32e7b6b3fb7722905c7c4f5d26bd957ec861366d48b',
      ),
      testData(
        'pascal_voc_segmentation_labels.txt',
        'labels',
        263,
        '7337a2b06728385fb3e1106416c67bfddf69628598b1f2f0db6a63cd63fb6b1e',
      ),
    ],
  },
  {
    id: 'movenet-lightning',
    title: 'MoveNet SinglePose Lightning',
    task: 'pose',
    description: '17 body keypoints of one person; CPU ops before and after the Edge TPU op.',
    input: '192×192',
    license: 'Apache-2.0',
    files: [
      testData(
        'movenet_single_pose_lightning_ptq_edgetpu.tflite',
        'edgetpu',
        3087168,
        '25c88b77586f65c5c80d868c0555fb194f2b38c0b55aa491f4a93b7d7da58e78',
      ),
      testData(
        'movenet_single_pose_lightning_ptq.tflite',
        'cpu',
        2894840,
        'cd7cc22fa946e5d146a7b98d496853e1923e22828d3972d579973f27f91bb105',
      ),
    ],
  },
  {
    id: 'keras-lstm-mnist',
    title: 'Keras LSTM digits (MNIST)',
    task: 'classify',
    description: 'A tiny recurrent digit classifier, LSTM included, fully on the Edge TPU.',
    input: '28×28 grey',
    license: 'Apache-2.0',
    files: [
      testData(
        'keras_lstm_mnist_ptq_edgetpu.tflite',
        'edgetpu',
        140096,
        '1ee39c825eea0cdd45ca3cb66481921d4f48e0875dff8b4aba5d5dcc3472be79',
      ),
      testData(
        'keras_lstm_mnist_ptq.tflite',
        'cpu',
        13928,
        'ac718e4b27731e370c21bc018ad6214512fd56ce1dfde308a050707eda6f0a4b',
      ),
    ],
  },
];
