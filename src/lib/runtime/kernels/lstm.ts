/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM as a Reef kernel, for models LiteRT.js refuses because their LSTM
 * state lives in variable tensors ("Variable tensors not yet supported"). The state starts at zero
 * for each run (one invoke = one sequence, as classifiers use it). Quantized weights are
 * dequantized and the recurrence runs in float; the output is re-quantized to the output tensor's
 * parameters. That is not bit-exact with TFLite's integer LSTM, so results can differ by a
 * quantization step; class decisions do not move on the fixtures.
 */
import { ReefError } from '../../errors.ts';

export interface LstmWeights {
  /** [units, features] per gate: input, forget, cell, output (input gate may be absent: CIFG). */
  inputWeights: (Float32Array | undefined)[];
  /** [units, units] per gate. */
  recurrentWeights: (Float32Array | undefined)[];
  /** [units] per gate. */
  biases: (Float32Array | undefined)[];
  units: number;
  features: number;
  cellClip: number;
  /** Activation of the cell input and output (TANH for every Keras LSTM). */
  activation: 'TANH' | 'RELU' | 'RELU6' | 'SIGMOID' | 'NONE';
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function activate(x: number, kind: LstmWeights['activation']): number {
  switch (kind) {
    case 'TANH':
      return Math.tanh(x);
    case 'RELU':
      return Math.max(0, x);
    case 'RELU6':
      return Math.min(6, Math.max(0, x));
    case 'SIGMOID':
      return sigmoid(x);
    case 'NONE':
      return x;
  }
}

/** input [batch, time, features] (or [time, batch, features] when timeMajor) → [.., units] hidden states. */
export function lstmSequence(
  input: Float32Array,
  shape: readonly number[],
  timeMajor: boolean,
  w: LstmWeights,
): Float32Array {
  if (shape.length !== 3 || shape[2] !== w.features) {
    throw new ReefError('INVALID_ARGUMENT', `LSTM: input [${shape.join(',')}] does not have ${w.features} features`, {
      reason: 'bad-shape',
    });
  }
  const [d0, d1] = shape as [number, number, number];
  const batch = timeMajor ? d1 : d0;
  const steps = timeMajor ? d0 : d1;
  const { units, features } = w;
  const out = new Float32Array(batch * steps * units);
  const gates = [new Float32Array(units), new Float32Array(units), new Float32Array(units), new Float32Array(units)];
  for (let b = 0; b < batch; b++) {
    const h = new Float32Array(units);
    const c = new Float32Array(units);
    for (let t = 0; t < steps; t++) {
      const x = input.subarray(
        (timeMajor ? t * batch + b : b * steps + t) * features,
        (timeMajor ? t * batch + b : b * steps + t) * features + features,
      );
      for (let g = 0; g < 4; g++) {
        const wx = w.inputWeights[g];
        const wh = w.recurrentWeights[g];
        const bias = w.biases[g];
        const acc = gates[g]!;
        for (let u = 0; u < units; u++) {
          let v = bias ? bias[u]! : 0;
          if (wx) for (let f = 0; f < features; f++) v += wx[u * features + f]! * x[f]!;
          if (wh) for (let k = 0; k < units; k++) v += wh[u * units + k]! * h[k]!;
          acc[u] = v;
        }
      }
      const [gi, gf, gc, go] = gates as [Float32Array, Float32Array, Float32Array, Float32Array];
      const cifg = !w.inputWeights[0];
      for (let u = 0; u < units; u++) {
        const f = sigmoid(gf[u]!);
        const i = cifg ? 1 - f : sigmoid(gi[u]!);
        let cell = f * c[u]! + i * activate(gc[u]!, w.activation);
        if (w.cellClip > 0) cell = Math.min(w.cellClip, Math.max(-w.cellClip, cell));
        c[u] = cell;
        h[u] = sigmoid(go[u]!) * activate(cell, w.activation);
      }
      out.set(h, (timeMajor ? t * batch + b : b * steps + t) * units);
    }
  }
  return out;
}
