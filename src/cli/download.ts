import path from 'node:path';
import type { Command } from 'commander';
import { downloadFile } from '../client/transfer.ts';
import { clientContext } from './client-context.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { ms, printJson, progressBar } from './output.ts';

/** `ddn download [KEY] [--out FILE]`: presign through the API, then a streamed GET from the output bucket. */
export function registerDownload(program: Command): void {
  program
    .command('download')
    .description('download an object of the output bucket through a presigned URL (KEY defaults to DDN_TEST_IMAGE_KEY)')
    .argument('[key]', 'object key')
    .option('--out <file>', "where to write it (default: the key's file name in the current folder)")
    .option('--json', 'print a JSON object')
    .action(async (keyArg: string | undefined, opts: { out?: string; json?: boolean }) => {
      const { config, apiEndpoint, auth } = clientContext();
      const key = keyArg ?? config.testImageKey;
      if (!key) throw new CliError('no key given: ddn download KEY, or set DDN_TEST_IMAGE_KEY in .env', EXIT_USAGE);
      const out = opts.out ?? path.basename(key);
      const bar = progressBar('download', opts.json ?? false);
      const onProgress = (done: number, total: number | undefined) => bar.update(done, total);
      const result = await downloadFile({ apiEndpoint, auth, key, out, onProgress }).finally(() => bar.stop());
      if (opts.json) return printJson({ bucket: config.outBucket, ...result });
      process.stdout.write(`downloaded s3://${config.outBucket}/${key} to ${out} (${result.bytes} bytes)\n`);
      process.stdout.write(
        `download time: ${ms(result.timings.getMs)} (presign ${ms(result.timings.presignMs)}, total ${ms(result.timings.totalMs)})\n`,
      );
    });
}
