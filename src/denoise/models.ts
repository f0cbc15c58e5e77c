import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildDctThresholdModel, type DctModelSpec } from './dct-model.ts';
import type { Tiling } from './pipeline.ts';

export const MODEL_NAMES = ['efficient', 'powerful'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The built-in models: sliding-window DCT hard thresholding in the GAT domain. */
export const BUILT_IN_MODELS: Record<ModelName, DctModelSpec> = {
  efficient: { block: 8, stride: 2 },
  powerful: { block: 8, stride: 1 },
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

function builtInTiling({ block, stride }: DctModelSpec): Tiling {
  // The coefficient tensor holds block²/stride² floats per pixel: smaller tiles for heavier models.
  const tile = (block * block) / (stride * stride) > 16 ? 256 : 512;
  return { tile, margin: block, align: stride };
}

/** `<modelDir>/<name>.onnx` when it exists, else the built-in graph. */
export function loadModelSource(name: ModelName, modelDir?: string): ModelSource {
  const file = modelDir ? path.resolve(modelDir, `${name}.onnx`) : undefined;
  if (file && existsSync(file)) return { name, bytes: readFileSync(file), tiling: CUSTOM_MODEL_TILING, origin: file };
  const spec = BUILT_IN_MODELS[name];
  return { name, bytes: buildDctThresholdModel(spec), tiling: builtInTiling(spec), origin: `built-in dct ${spec.block}x${spec.block} stride ${spec.stride}` };
}
