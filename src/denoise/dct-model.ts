import { encodeModel, TensorType, type Graph, type Tensor } from './onnx-builder.ts';

/** Sliding-window DCT hard thresholding: block size and stride of the block grid. */
export interface DctModelSpec {
  block: number;
  stride: number;
}

/** λ = LAMBDA_AT_FULL_STRENGTH · strength, strength in 0..1 (request strength / 20). */
export const LAMBDA_AT_FULL_STRENGTH = 6.6;

/** Orthonormal DCT-II basis: d[u][j] = a(u) cos(π (2j+1) u / 2B). */
function dctBasis(b: number): number[][] {
  return Array.from({ length: b }, (_, u) =>
    Array.from({ length: b }, (_, j) => Math.sqrt((u === 0 ? 1 : 2) / b) * Math.cos((Math.PI * (2 * j + 1) * u) / (2 * b))),
  );
}

function floatTensor(name: string, dims: number[], fill: (index: number) => number): Tensor {
  const size = dims.reduce((a, d) => a * d, 1);
  return { name, dims, type: TensorType.FLOAT, data: Float32Array.from({ length: size }, (_, i) => fill(i)) };
}

/**
 * The graph: image [1,1,H,W] (Gaussian noise of σ≈1) and strength [1] in, denoised [1,1,H,W] out.
 * A strided convolution with the B×B DCT basis gives every block's coefficients; those below λ are
 * zeroed (DC kept). The blocks are put back by the transposed convolution, written as a stride-1
 * convolution into s×s phases plus DepthToSpace (much faster than ConvTranspose in onnxruntime),
 * each block weighted by 1/(coefficients kept); the sum is divided by the summed weights.
 * Needs B % s == 0, and H, W of the form B + k·s so that the grid covers every pixel.
 */
export function buildDctThresholdGraph({ block: b, stride: s }: DctModelSpec): Graph {
  if (b % s !== 0) throw new Error(`block ${b} must be a multiple of stride ${s}`);
  const d = dctBasis(b);
  const k = b * b;
  const m = b / s;
  const basis = (c: number, y: number, x: number) => d[Math.floor(c / b)][y] * d[c % b][x];
  const forward = floatTensor('dct_forward', [k, 1, b, b], (i) => basis(Math.floor(i / k), Math.floor((i % k) / b), i % b));
  // Phase p = py·s + px of the output gets coefficient k of the block (m-1-a', m-1-b') coarse steps up-left.
  const phaseWeight = (channels: number, value: (c: number, y: number, x: number) => number) =>
    (i: number) => {
      const bx = i % m;
      const by = Math.floor(i / m) % m;
      const c = Math.floor(i / (m * m)) % channels;
      const p = Math.floor(i / (m * m * channels));
      return value(c, Math.floor(p / s) + s * (m - 1 - by), (p % s) + s * (m - 1 - bx));
    };
  const inverse = floatTensor('dct_inverse', [s * s, k, m, m], phaseWeight(k, basis));
  const cover = floatTensor('block_cover', [s * s, 1, m, m], () => 1);
  const pads = { ints: [m - 1, m - 1, m - 1, m - 1] };
  return {
    name: `dct${b}_stride${s}`,
    inputs: [
      { name: 'image', type: TensorType.FLOAT, shape: [1, 1, 'height', 'width'] },
      { name: 'strength', type: TensorType.FLOAT, shape: [1] },
    ],
    outputs: [{ name: 'denoised', type: TensorType.FLOAT, shape: [1, 1, 'height', 'width'] }],
    initializers: [
      forward,
      inverse,
      cover,
      floatTensor('lambda_scale', [1], () => LAMBDA_AT_FULL_STRENGTH),
      floatTensor('not_dc', [1, k, 1, 1], (i) => (i === 0 ? 0 : 1)),
      floatTensor('is_dc', [1, k, 1, 1], (i) => (i === 0 ? 1 : 0)),
      { name: 'channel_axis', dims: [1], type: TensorType.INT64, data: BigInt64Array.from([1n]) },
    ],
    nodes: [
      { op: 'Mul', inputs: ['strength', 'lambda_scale'], outputs: ['lambda'] },
      { op: 'Mul', inputs: ['lambda', 'not_dc'], outputs: ['lambda_ac'] },
      // The DC threshold is -1, so the DC coefficient is always kept.
      { op: 'Sub', inputs: ['lambda_ac', 'is_dc'], outputs: ['threshold'] },
      { op: 'Conv', inputs: ['image', 'dct_forward'], outputs: ['coefficients'], attributes: { strides: { ints: [s, s] } } },
      { op: 'Abs', inputs: ['coefficients'], outputs: ['magnitude'] },
      { op: 'Greater', inputs: ['magnitude', 'threshold'], outputs: ['keep'] },
      { op: 'Cast', inputs: ['keep'], outputs: ['keep_f'], attributes: { to: { int: TensorType.FLOAT } } },
      { op: 'ReduceSum', inputs: ['keep_f', 'channel_axis'], outputs: ['kept_count'], attributes: { keepdims: { int: 1 } } },
      { op: 'Reciprocal', inputs: ['kept_count'], outputs: ['weight'] },
      { op: 'Mul', inputs: ['keep_f', 'weight'], outputs: ['keep_weighted'] },
      { op: 'Mul', inputs: ['coefficients', 'keep_weighted'], outputs: ['weighted'] },
      { op: 'Conv', inputs: ['weighted', 'dct_inverse'], outputs: ['numerator_phases'], attributes: { pads } },
      { op: 'DepthToSpace', inputs: ['numerator_phases'], outputs: ['numerator'], attributes: { blocksize: { int: s } } },
      { op: 'Conv', inputs: ['weight', 'block_cover'], outputs: ['denominator_phases'], attributes: { pads } },
      { op: 'DepthToSpace', inputs: ['denominator_phases'], outputs: ['denominator'], attributes: { blocksize: { int: s } } },
      { op: 'Div', inputs: ['numerator', 'denominator'], outputs: ['denoised'] },
    ],
  };
}

export function buildDctThresholdModel(spec: DctModelSpec): Uint8Array {
  return encodeModel(buildDctThresholdGraph(spec));
}
