import * as ort from 'onnxruntime-node';
import type { ModelSource } from './models.ts';
import type { TileDenoiser } from './pipeline.ts';

/** A loaded model. The contract: input 0 float32 [1,1,H,W] → output 0 of the same shape; optional `strength` float32 [1]. */
export class ModelSession {
  private constructor(
    readonly source: ModelSource,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(source: ModelSource, threads: number): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(source.bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // 'all' adds NCHWc layout conversions that cost more than they save on these graphs.
      graphOptimizationLevel: 'extended',
      logSeverityLevel: 3,
      // A memory pattern keeps a block for the whole graph per run, and a job left it allocated: after a 4096² job
      // on `powerful` the process stayed about 50 MiB above its baseline. Without it, jobs are as fast (bench:denoise).
      enableMemPattern: false,
    });
    return new ModelSession(source, session);
  }

  /** A tile denoiser at `strength` in 0..1; models without a `strength` input are blended linearly. */
  denoiser(strength: number): TileDenoiser {
    const imageName = this.session.inputNames.find((n) => n !== 'strength') ?? this.session.inputNames[0];
    const takesStrength = this.session.inputNames.includes('strength');
    const outputName = this.session.outputNames[0];
    return async (tile, height, width) => {
      const feeds: Record<string, ort.Tensor> = { [imageName]: new ort.Tensor('float32', tile, [1, 1, height, width]) };
      if (takesStrength) feeds.strength = new ort.Tensor('float32', Float32Array.of(strength), [1]);
      // A buffer of its own per run: a tile worker runs the tiles it was sent at once, on the same session.
      const output = new ort.Tensor('float32', new Float32Array(height * width), [1, 1, height, width]);
      const result = await this.session.run(feeds, { [outputName]: output });
      const out = result[outputName];
      if (out.data.length !== tile.length)
        throw new Error(`model ${this.source.origin} returned ${out.dims.join('x')} for a ${height}x${width} tile`);
      const data = out.data as Float32Array;
      if (!takesStrength && strength < 1)
        for (let i = 0; i < data.length; i++) data[i] = tile[i] + strength * (data[i] - tile[i]);
      return data;
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
