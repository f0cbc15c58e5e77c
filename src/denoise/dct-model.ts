import { encodeModel, TensorType, type Graph, type Node, type Tensor } from './onnx-builder.ts';

/** A sliding-window DCT stage: block size and stride of its block grid. */
export interface DctStage {
  block: number;
  stride: number;
}

/**
 * Hard thresholding with `block`/`stride`; with `wiener`, its result is only the pilot of a second
 * stage: empirical Wiener shrinkage of the noisy coefficients, gain p²/(p² + σ²) from the pilot's p.
 */
export interface DctModelSpec extends DctStage {
  wiener?: DctStage;
}

/** λ = LAMBDA_AT_FULL_STRENGTH · strength, strength in 0..1 (request strength / 20). */
export const LAMBDA_AT_FULL_STRENGTH = 6.6;
/** The Wiener stage's noise variance is (strength · WIENER_SIGMA_AT_FULL_STRENGTH)². */
export const WIENER_SIGMA_AT_FULL_STRENGTH = 2;

/** Orthonormal DCT-II basis: d[u][j] = a(u) cos(π (2j+1) u / 2B). */
function dctBasis(b: number): number[][] {
  return Array.from({ length: b }, (_, u) =>
    Array.from(
      { length: b },
      (_, j) => Math.sqrt((u === 0 ? 1 : 2) / b) * Math.cos((Math.PI * (2 * j + 1) * u) / (2 * b)),
    ),
  );
}

function floatTensor(name: string, dims: number[], fill: (index: number) => number): Tensor {
  const size = dims.reduce((a, d) => a * d, 1);
  return { name, dims, type: TensorType.FLOAT, data: Float32Array.from({ length: size }, (_, i) => fill(i)) };
}

const int64Tensor = (name: string, values: number[]): Tensor => ({
  name,
  dims: [values.length],
  type: TensorType.INT64,
  data: BigInt64Array.from(values.map(BigInt)),
});

/**
 * Builds the graph in pieces. Every block's 2-D DCT is separable: a row pass (Conv 1×B, stride 1×s,
 * B output channels v) and a column pass (grouped Conv B×1, stride s×1, channel v·B + u); the blocks
 * are put back by the transposed passes (ConvTranspose), each block weighted; the weighted sum is
 * divided by the summed weights. The input is padded by s − 1 at the bottom and right so that the
 * block grid covers every pixel whatever the size; the result is cut back to the input's size.
 */
class DctGraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private defined = new Set<string>();

  private constant(tensor: Tensor): string {
    if (!this.defined.has(tensor.name)) {
      this.defined.add(tensor.name);
      this.initializers.push(tensor);
    }
    return tensor.name;
  }

  node(op: string, inputs: string[], output: string, attributes?: Node['attributes']): string {
    this.nodes.push({ op, inputs, outputs: [output], attributes });
    return output;
  }

  private basisTensors(b: number) {
    const d = dctBasis(b);
    return {
      rows: this.constant(floatTensor(`dct${b}_rows`, [b, 1, 1, b], (i) => d[Math.floor(i / b)][i % b])),
      columns: this.constant(floatTensor(`dct${b}_columns`, [b * b, 1, b, 1], (i) => d[Math.floor(i / b) % b][i % b])),
      isDc: this.constant(floatTensor(`dct${b}_is_dc`, [1, b * b, 1, 1], (i) => (i === 0 ? 1 : 0))),
      notDc: this.constant(floatTensor(`dct${b}_not_dc`, [1, b * b, 1, 1], (i) => (i === 0 ? 0 : 1))),
      onesColumn: this.constant(floatTensor(`ones${b}_column`, [1, 1, b, 1], () => 1)),
      onesRow: this.constant(floatTensor(`ones${b}_row`, [1, 1, 1, b], () => 1)),
      // A 1×1 convolution that sums the B² coefficient channels (much faster than ReduceSum over axis 1).
      sumChannels: this.constant(floatTensor(`sum${b}_channels`, [1, b * b, 1, 1], () => 1)),
    };
  }

  private transformed = new Map<string, string>();

  /** Coefficients [1, B², rows, columns] of every block of `image` on the stride-s grid (computed once per image and grid). */
  forward(image: string, { block: b, stride: s }: DctStage, prefix: string): string {
    const key = `${image} ${b} ${s}`;
    const known = this.transformed.get(key);
    if (known) return known;
    const { rows, columns } = this.basisTensors(b);
    const r = this.node('Conv', [image, rows], `${prefix}_rows`, { strides: { ints: [1, s] } });
    const coefficients = this.node('Conv', [r, columns], `${prefix}_coefficients`, {
      strides: { ints: [s, 1] },
      group: { int: b },
    });
    this.transformed.set(key, coefficients);
    return coefficients;
  }

  /** Σ blocks(weight · inverse DCT(coefficients)) / Σ blocks(weight), on the padded grid. */
  aggregate(coefficients: string, weight: string, { block: b, stride: s }: DctStage, prefix: string): string {
    const { rows, columns, onesColumn, onesRow } = this.basisTensors(b);
    const weighted = this.node('Mul', [coefficients, weight], `${prefix}_weighted`);
    const r = this.node('ConvTranspose', [weighted, columns], `${prefix}_rows_back`, {
      strides: { ints: [s, 1] },
      group: { int: b },
    });
    const numerator = this.node('ConvTranspose', [r, rows], `${prefix}_numerator`, { strides: { ints: [1, s] } });
    // Every block spreads its weight over its B×B pixels: separable, a column pass and a row pass.
    const spread = this.node('ConvTranspose', [weight, onesColumn], `${prefix}_weight_columns`, {
      strides: { ints: [s, 1] },
    });
    const denominator = this.node('ConvTranspose', [spread, onesRow], `${prefix}_denominator`, {
      strides: { ints: [1, s] },
    });
    return this.node('Div', [numerator, denominator], `${prefix}_estimate`);
  }

  hardThreshold(image: string, stage: DctStage, lambda: string, prefix: string): string {
    const { isDc, notDc, sumChannels } = this.basisTensors(stage.block);
    const lambdaAc = this.node('Mul', [lambda, notDc], `${prefix}_lambda_ac`);
    // The DC threshold is -1, so the DC coefficient is always kept.
    const threshold = this.node('Sub', [lambdaAc, isDc], `${prefix}_threshold`);
    const c = this.forward(image, stage, prefix);
    const keep = this.node('Greater', [this.node('Abs', [c], `${prefix}_magnitude`), threshold], `${prefix}_keep`);
    const keepF = this.node('Cast', [keep], `${prefix}_keep_f`, { to: { int: TensorType.FLOAT } });
    const kept = this.node('Conv', [keepF, sumChannels], `${prefix}_kept`);
    const weight = this.node('Reciprocal', [kept], `${prefix}_weight`);
    const kept_c = this.node('Mul', [c, keepF], `${prefix}_kept_coefficients`);
    return this.aggregate(kept_c, weight, stage, prefix);
  }

  wiener(image: string, pilot: string, stage: DctStage, noiseVariance: string, prefix: string): string {
    const { isDc, sumChannels } = this.basisTensors(stage.block);
    const c = this.forward(image, stage, `${prefix}_noisy`);
    const p = this.forward(pilot, stage, `${prefix}_pilot`);
    const p2 = this.node('Mul', [p, p], `${prefix}_pilot_energy`);
    const gain = this.node(
      'Div',
      [p2, this.node('Add', [p2, noiseVariance], `${prefix}_energy_plus_noise`)],
      `${prefix}_raw_gain`,
    );
    const gainDc = this.node('Max', [gain, isDc], `${prefix}_gain`);
    const sumSquares = this.node(
      'Conv',
      [this.node('Mul', [gainDc, gainDc], `${prefix}_gain_squared`), sumChannels],
      `${prefix}_gain_energy`,
    );
    const weight = this.node('Reciprocal', [sumSquares], `${prefix}_weight`);
    return this.aggregate(this.node('Mul', [c, gainDc], `${prefix}_shrunk`), weight, stage, prefix);
  }

  /** Pads `image` by `amount` at the bottom and right (edge values). */
  padEnd(image: string, amount: number): string {
    if (amount === 0) return image;
    const pads = this.constant(int64Tensor(`pad_end_${amount}`, [0, 0, 0, 0, 0, 0, amount, amount]));
    return this.node('Pad', [image, pads], `${image}_padded`, { mode: { string: 'edge' } });
  }

  /** `tensor` cut to the height and width of `like`. */
  cropTo(tensor: string, like: string, output: string): string {
    const size = `${like}_hw`;
    if (!this.defined.has(size)) {
      this.defined.add(size);
      const shape = this.node('Shape', [like], `${like}_shape`);
      this.node(
        'Slice',
        [shape, this.constant(int64Tensor('hw_start', [2])), this.constant(int64Tensor('hw_end', [4]))],
        size,
      );
    }
    return this.node(
      'Slice',
      [tensor, this.constant(int64Tensor('zeros_2', [0, 0])), size, this.constant(int64Tensor('hw_axes', [2, 3]))],
      output,
    );
  }

  constantFloat(name: string, value: number): string {
    return this.constant(floatTensor(name, [1], () => value));
  }
}

/**
 * The graph: image [1,1,H,W] (Gaussian noise of σ≈1) and strength [1] in, denoised [1,1,H,W] out,
 * any H, W ≥ block. Pixels within a block (two blocks with the Wiener stage) of the border see fewer
 * blocks: callers tile with that much margin.
 */
export function buildDctThresholdGraph(spec: DctModelSpec): Graph {
  const g = new DctGraphBuilder();
  const pad = Math.max(spec.stride, spec.wiener?.stride ?? 1) - 1;
  const image = g.padEnd('image', pad);
  const lambda = g.node('Mul', ['strength', g.constantFloat('lambda_scale', LAMBDA_AT_FULL_STRENGTH)], 'lambda');
  let estimate = g.hardThreshold(image, spec, lambda, 'hard');
  if (spec.wiener) {
    const sigma = g.node('Mul', ['strength', g.constantFloat('sigma_scale', WIENER_SIGMA_AT_FULL_STRENGTH)], 'sigma');
    // A tiny floor keeps 0/0 out of the gain where pilot and σ are both 0 (strength 0).
    const variance = g.node(
      'Add',
      [g.node('Mul', [sigma, sigma], 'sigma_squared'), g.constantFloat('variance_floor', 1e-12)],
      'noise_variance',
    );
    estimate = g.wiener(image, g.padEnd(g.cropTo(estimate, 'image', 'pilot'), pad), spec.wiener, variance, 'wiener');
  }
  g.cropTo(estimate, 'image', 'denoised');
  const name = `dct${spec.block}_stride${spec.stride}${spec.wiener ? `_wiener${spec.wiener.block}_stride${spec.wiener.stride}` : ''}`;
  return {
    name,
    inputs: [
      { name: 'image', type: TensorType.FLOAT, shape: [1, 1, 'height', 'width'] },
      { name: 'strength', type: TensorType.FLOAT, shape: [1] },
    ],
    outputs: [{ name: 'denoised', type: TensorType.FLOAT, shape: [1, 1, 'height', 'width'] }],
    initializers: g.initializers,
    nodes: g.nodes,
  };
}

export function buildDctThresholdModel(spec: DctModelSpec): Uint8Array {
  return encodeModel(buildDctThresholdGraph(spec));
}
