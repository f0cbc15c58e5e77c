// Writes the built-in models as ONNX files (efficient.onnx, powerful.onnx) into a folder, default
// ./models: a template for DDN_MODEL_DIR. The server builds the same graphs in memory when no file is given.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILT_IN_MODELS, MODEL_NAMES } from './models.ts';
import { buildDctThresholdModel } from './dct-model.ts';

const dir = path.resolve(process.argv[2] ?? 'models');
mkdirSync(dir, { recursive: true });
for (const name of MODEL_NAMES) {
  const bytes = buildDctThresholdModel(BUILT_IN_MODELS[name]);
  writeFileSync(path.join(dir, `${name}.onnx`), bytes);
  console.log(`${path.join(dir, `${name}.onnx`)}: ${bytes.length} bytes`);
}
