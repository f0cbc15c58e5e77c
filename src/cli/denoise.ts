import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { denoiseFile, type DenoiseStep } from '../client/denoise.ts';
import {
  clientContext,
  invocationParameters,
  withInvocationOptions,
  type InvocationOptions,
} from './client-context.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { ms, printJson, progressBar, type Progress } from './output.ts';

interface DenoiseOptions extends InvocationOptions {
  key?: string;
  out?: string;
  json?: boolean;
}

/** `ddn denoise FILE`: upload → invoke → download, each step timed. */
export function registerDenoise(program: Command): void {
  withInvocationOptions(
    program
      .command('denoise')
      .description('denoise a 16-bit TIFF through the platform: upload, POST /invocations, download')
      .argument('<file>', 'TIFF to denoise'),
  )
    .option('--key <key>', 'object key in both buckets (default: a unique name from the file name)')
    .option('--out <file>', 'where to write the result (default: FILE with .denoised before the extension)')
    .option('--json', 'print a JSON object')
    .action(async (file: string, opts: DenoiseOptions) => {
      const { config, apiEndpoint, auth } = clientContext();
      if (!existsSync(file)) throw new CliError(`${file} does not exist: give the path of a 16-bit TIFF`, EXIT_USAGE);
      const parsed = path.parse(file);
      const key = opts.key ?? `${parsed.name}-${Date.now().toString(36)}${parsed.ext || '.tif'}`;
      const out = opts.out ?? path.join(parsed.dir, `${parsed.name}.denoised${parsed.ext || '.tif'}`);
      const bars: Partial<Record<DenoiseStep, Progress>> = {};
      const json = opts.json ?? false;
      const result = await denoiseFile({
        apiEndpoint,
        auth,
        file,
        key,
        out,
        inBucket: config.inBucket,
        outBucket: config.outBucket,
        ...invocationParameters(opts),
        onStep: (step) => {
          for (const bar of Object.values(bars)) bar.stop();
          if (step === 'invoke' && !json) process.stderr.write(`denoising with ${opts.model}...\n`);
        },
        onProgress: (step, done, total) => (bars[step] ??= progressBar(step, json)).update(done, total),
      }).finally(() => Object.values(bars).forEach((bar) => bar.stop()));
      if (json) return printJson(result);
      const t = result.timings;
      process.stdout.write(
        `denoised ${file} -> ${out} (${result.response.output_width ?? '?'}x${result.response.output_height ?? '?'}, ${result.response.model}, strength ${result.response.strength})\n`,
      );
      process.stdout.write(
        `  upload    ${ms(t.presignUploadMs + t.putMs)} (presign ${ms(t.presignUploadMs)}, PUT ${ms(t.putMs)})\n`,
      );
      process.stdout.write(
        `  invoke    ${ms(t.invokeMs)}${
          result.response.timings_ms
            ? ` (${Object.entries(result.response.timings_ms)
                .map(([k, v]) => `${k} ${ms(v)}`)
                .join(', ')})`
            : ''
        }\n`,
      );
      process.stdout.write(
        `  download  ${ms(t.presignDownloadMs + t.getMs)} (presign ${ms(t.presignDownloadMs)}, GET ${ms(t.getMs)})\n`,
      );
      process.stdout.write(`  total     ${ms(t.totalMs)}\n`);
      for (const warning of result.response.warnings ?? []) process.stdout.write(`warning: ${warning}\n`);
    });
}
