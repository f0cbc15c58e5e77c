import type { Command } from 'commander';
import { invoke } from '../client/api.ts';
import { invocationRequest, tiffSize } from '../client/denoise.ts';
import {
  clientContext,
  intOption,
  invocationParameters,
  withInvocationOptions,
  type InvocationOptions,
} from './client-context.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { ms, printJson } from './output.ts';

interface InvokeOptions extends InvocationOptions {
  key?: string;
  outKey?: string;
  width?: string;
  height?: string;
  json?: boolean;
}

/** `ddn invoke`: POST {api}/invocations for an object already in the input bucket. */
export function registerInvoke(program: Command): void {
  withInvocationOptions(
    program
      .command('invoke')
      .description('denoise an object of the input bucket into the output bucket: POST /invocations through the API')
      .option('--key <key>', 'input object key (default: DDN_TEST_IMAGE_KEY)')
      .option('--out-key <key>', 'output object key (default: the input key)'),
  )
    .option('--width <px>', 'image width (default: read from DDN_TEST_IMAGE_PATH)')
    .option('--height <px>', 'image height (default: read from DDN_TEST_IMAGE_PATH)')
    .option('--json', 'print the JSON response')
    .action(async (opts: InvokeOptions) => {
      const { config, apiEndpoint, auth } = clientContext();
      const key = opts.key ?? config.testImageKey;
      if (!key) throw new CliError('no key given: ddn invoke --key KEY, or set DDN_TEST_IMAGE_KEY in .env', EXIT_USAGE);
      const size = await imageSize(opts, config.testImagePath);
      const body = invocationRequest({
        inBucket: config.inBucket,
        outBucket: config.outBucket,
        key,
        outKey: opts.outKey,
        ...invocationParameters(opts),
        ...size,
      });
      const { value, ms: elapsed } = await invoke(apiEndpoint, body, auth);
      if (opts.json) return printJson({ response: value, ms: elapsed });
      process.stdout.write(
        `denoised ${body.img_input_url} -> ${body.img_output_url} with ${body.model}, strength ${body.strength}\n`,
      );
      process.stdout.write(
        `invoke time: ${ms(elapsed)}${
          value.timings_ms
            ? ` (${Object.entries(value.timings_ms)
                .map(([k, v]) => `${k} ${ms(v)}`)
                .join(', ')})`
            : ''
        }\n`,
      );
      for (const warning of value.warnings ?? []) process.stdout.write(`warning: ${warning}\n`);
      process.stdout.write(`next: ddn download ${opts.outKey ?? key}\n`);
    });
}

async function imageSize(
  opts: InvokeOptions,
  testImagePath: string | undefined,
): Promise<{ width: number; height: number }> {
  const width = intOption('--width', opts.width, 1, 1 << 20);
  const height = intOption('--height', opts.height, 1, 1 << 20);
  if (width !== undefined && height !== undefined) return { width, height };
  if (!testImagePath)
    throw new CliError(
      'give --width and --height of the image (or set DDN_TEST_IMAGE_PATH so they are read from it)',
      EXIT_USAGE,
    );
  return tiffSize(testImagePath);
}
