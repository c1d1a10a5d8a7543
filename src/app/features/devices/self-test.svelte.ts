/** "Check my Coral" on the Devices page: runs the worker's self-test, shows verdicts as they come. */
import { proxy } from 'comlink';
import type { DoctorReport, StepResult } from '../../../worker/accelerator-api.ts';
import { accelerator } from '../../shared/accelerator.ts';
import { saveFile } from '../../shared/download.ts';
import { errorMessage } from '../../shared/errors.ts';

export interface SelfTestRun {
  running: boolean;
  steps: StepResult[];
  report?: DoctorReport;
  zip?: Uint8Array;
  fileName?: string;
  error?: string;
}

export class SelfTestState {
  /** By device id. */
  runs = $state<Record<string, SelfTestRun>>({});

  async run(deviceId: string): Promise<void> {
    this.runs[deviceId] = { running: true, steps: [] };
    // Steps arrive on the proxy's own port and may trail the result: the final report wins.
    let over = false;
    const onStep = proxy((step: StepResult) => {
      const run = this.runs[deviceId];
      if (!over && run) run.steps = [...run.steps, step];
    });
    try {
      const baseUrl = localStorage.getItem('reef.modelBaseUrl');
      const outcome = await accelerator()
        .checkDevice(deviceId, baseUrl ? { baseUrl } : {}, onStep)
        .finally(() => (over = true));
      this.runs[deviceId] = {
        running: false,
        steps: outcome.report.steps,
        report: outcome.report,
        zip: outcome.zip,
        fileName: outcome.fileName,
      };
    } catch (error) {
      // After a failure no verdicts are shown: half a run is not a result.
      this.runs[deviceId] = { running: false, steps: [], error: errorMessage(error) };
    }
  }

  download(deviceId: string): void {
    const run = this.runs[deviceId];
    if (run?.zip && run.fileName) saveFile(run.zip as BlobPart, run.fileName, 'application/zip');
  }
}
