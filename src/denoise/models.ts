import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildDctThresholdModel, type DctModelSpec } from './dct-model.ts';
import type { Tiling } from './pipeline.ts';

export const MODEL_NAMES = ['efficient', 'powerful'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The built-in models: sliding-window DCT denoising in the GAT domain (see dct-model.ts). */
export const BUILT_IN_MODELS: Record<ModelName, DctModelSpec> = {
  // Measured on the 3072² phantom: stride 3 costs 0.4–0.6 dB against stride 2 and takes about a third less time.
  efficient: { block: 8, stride: 3 },
  // 16×16 stride 3 is within 0.1–0.25 dB of stride 2 at about 55 % of its time, and beats an 8×8 pilot + 16×16 Wiener stage.
  powerful: { block: 16, stride: 3 },
};

/** Tiling of a model from a model directory: its block grid is unknown, so a generous margin. */
const CUSTOM_MODEL_TILING: Tiling = { tile: 512, margin: 32, align: 16 };

export interface ModelSource {
  name: ModelName;
  bytes: Uint8Array;
  tiling: Tiling;
  /** Where it came from: a file path, or `built-in dct BxB stride s`. */
  origin: string;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Tiles on the models' common block grid, with a margin that every block of every stage fits in.
 * 384² rather than 512²: ONNX Runtime's buffers per tile are about half as big (two warmed tile workers:
 * RSS 470 → 348 MiB), jobs are no slower, and there are fewer pages to fault in again after a fork().
 */
export function builtInTiling(spec: DctModelSpec): Tiling {
  const stages = spec.wiener ? [spec, spec.wiener] : [spec];
  const align = stages.reduce((a, s) => (a * s.stride) / gcd(a, s.stride), 1);
  const reach = stages.reduce((sum, s) => sum + s.block, 0);
  return { tile: 384, margin: Math.ceil(reach / align) * align, align };
}

export function describeSpec(spec: DctModelSpec): string {
  const stage = (s: { block: number; stride: number }) => `${s.block}x${s.block} stride ${s.stride}`;
  return `built-in dct ${stage(spec)}${spec.wiener ? ` + wiener ${stage(spec.wiener)}` : ''}`;
}

/** `<modelDir>/<name>.onnx` when it exists, else the built-in graph. */
export function loadModelSource(name: ModelName, modelDir?: string): ModelSource {
  const file = modelDir ? path.resolve(modelDir, `${name}.onnx`) : undefined;
  if (file && existsSync(file)) return { name, bytes: readFileSync(file), tiling: CUSTOM_MODEL_TILING, origin: file };
  const spec = BUILT_IN_MODELS[name];
  return { name, bytes: buildDctThresholdModel(spec), tiling: builtInTiling(spec), origin: describeSpec(spec) };
}
