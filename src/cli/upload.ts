import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { uploadFile } from '../client/transfer.ts';
import { clientContext } from './client-context.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { ms, printJson, progressBar } from './output.ts';

/** `ddn upload [FILE] [--key K]`: presign through the API, then PUT to the input bucket. */
export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('upload a file to the input bucket through a presigned URL (FILE defaults to DDN_TEST_IMAGE_PATH)')
    .argument('[file]', 'file to upload')
    .option('--key <key>', 'object key (default: DDN_TEST_IMAGE_KEY, else the file name)')
    .option('--json', 'print a JSON object')
    .action(async (fileArg: string | undefined, opts: { key?: string; json?: boolean }) => {
      const { config, apiEndpoint, auth } = clientContext();
      const file = fileArg ?? config.testImagePath;
      if (!file) throw new CliError('no file given: ddn upload FILE, or set DDN_TEST_IMAGE_PATH in .env', EXIT_USAGE);
      if (!existsSync(file))
        throw new CliError(`${file} does not exist: give the path of a TIFF to upload`, EXIT_USAGE);
      const key = opts.key ?? (fileArg === undefined ? config.testImageKey : undefined) ?? path.basename(file);
      const bar = progressBar('upload', opts.json ?? false);
      const onProgress = (done: number, total: number | undefined) => bar.update(done, total);
      const result = await uploadFile({ apiEndpoint, auth, file, key, onProgress }).finally(() => bar.stop());
      if (opts.json) return printJson({ bucket: config.inBucket, ...result });
      process.stdout.write(`uploaded ${file} to s3://${config.inBucket}/${key} (${result.bytes} bytes)\n`);
      process.stdout.write(
        `upload time: ${ms(result.timings.putMs)} (presign ${ms(result.timings.presignMs)}, total ${ms(result.timings.totalMs)})\n`,
      );
    });
}
