/**
 * Training with nothing downloaded: a small CNN learnt from scratch on the dataset's own samples,
 * quantized to full int8 in the training worker (src/lib/learn/small-cnn.ts). It needs no
 * extractor, so it is what a person with no internet and no Coral can still do. The result is
 * stored beside the other models (`<name>-scratch.tflite` + labels) and runs on the Live page.
 */
import { proxy } from 'comlink';
import type { TrainingEvent } from '../../../worker/training-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { withTraining } from '../../shared/training.ts';
import { errorMessage } from '../../shared/errors.ts';
import { fileStem } from './train.svelte.ts';

const EPOCHS = 20;

export interface ScratchResult {
  model: { sha256: string; name: string };
  labels: { sha256: string; name: string };
  classes: string[];
  trainAccuracy: number;
}

export class ScratchTrainingState {
  running = $state(false);
  epoch = $state(0);
  epochs = EPOCHS;
  error = $state<string | undefined>(undefined);
  result = $state.raw<ScratchResult | undefined>(undefined);

  async train(datasetId: string, datasetName: string): Promise<void> {
    this.running = true;
    this.error = undefined;
    this.result = undefined;
    this.epoch = 0;
    let over = false;
    const onEvent = proxy((event: TrainingEvent) => {
      if (!over && event.kind === 'epoch') this.epoch = event.progress.epoch;
    });
    try {
      const out = await withTraining((trainer) => trainer.trainOffline({ datasetId, epochs: EPOCHS }, onEvent));
      over = true;
      const api = accelerator();
      const stem = `${fileStem(datasetName)}-scratch`;
      const model = await api.importFile(`${stem}.tflite`, out.model);
      const labels = await api.importFile(`${stem}_labels.txt`, out.labelsTxt);
      this.result = {
        model: { sha256: model.sha256, name: model.name },
        labels: { sha256: labels.sha256, name: labels.name },
        classes: out.classes,
        trainAccuracy: out.train.accuracy,
      };
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      over = true;
      this.running = false;
    }
  }
}
