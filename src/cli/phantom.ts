import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { DOSES, cleanPhantom, noisyPhantom } from '../denoise/phantom.ts';
import { encodeTiff } from '../inference/tiff.ts';
import { CliError, EXIT_USAGE } from './errors.ts';
import { printJson } from './output.ts';

/** `ddn phantom`: writes a synthetic noisy 16-bit dental X-ray TIFF to try the platform with. */
export function registerPhantom(program: Command): void {
  program
    .command('phantom')
    .description('write a synthetic noisy 16-bit X-ray TIFF (teeth, bone, edges, line pairs) to try ddn denoise on')
    .option('--out <file>', 'output file', 'phantom.tif')
    .option('--size <pixels>', 'width and height', '1024')
    .option('--dose <level>', `noise level: ${Object.keys(DOSES).join(', ')} (g32 is the noisiest)`, 'g8')
    .option('--seed <n>', 'random seed', '1')
    .option('--json', 'print a JSON object')
    .action(async (opts: { out: string; size: string; dose: string; seed: string; json?: boolean }) => {
      const size = Number(opts.size);
      if (!Number.isInteger(size) || size < 64 || size > 8192)
        throw new CliError('--size must be an integer from 64 to 8192', EXIT_USAGE);
      const dose = DOSES[opts.dose as keyof typeof DOSES];
      if (!dose) throw new CliError(`--dose must be one of ${Object.keys(DOSES).join(', ')}`, EXIT_USAGE);
      const seed = Number(opts.seed);
      const pixels = noisyPhantom(cleanPhantom(size, seed), dose, seed + 1);
      await writeFile(opts.out, await encodeTiff({ pixels, width: size, height: size, bitsPerSample: 16 }));
      if (opts.json)
        return printJson({ file: opts.out, width: size, height: size, dose: opts.dose, digitalOffset: dose.offset });
      process.stdout.write(
        `${opts.out}: ${size}x${size} 16-bit grey, dose ${opts.dose}, digital offset ${dose.offset}\n`,
      );
    });
}
