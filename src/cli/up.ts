import type { Command } from 'commander';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { s3Client } from '../client/aws-clients.ts';
import { startEdge } from '../edge/start.ts';
import { CliError } from './errors.ts';

/** `ddn up`: the whole local system on one machine, until SIGINT/SIGTERM. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the local edge (S3, Lambda, API Gateway) and the platform on it; Ctrl-C stops it')
    .action(async () => {
      loadDotenv();
      const config = loadConfig();
      const logger = createLogger('ddn', config.logLevel);
      const running = await startEdge(config, logger).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          throw new CliError(`${config.edgeHost}:${config.edgePort} is already in use: stop the other process (another ddn up?) or set DDN_EDGE_PORT`);
        }
        throw err;
      });
      const { edge } = running;
      edge.expect('s3');

      const s3 = s3Client({ url: edge.url, region: config.region, credentials: edge.credentials });
      for (const bucket of [config.inBucket, config.outBucket]) {
        const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
          () => true,
          () => false,
        );
        if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      }
      edge.markReady('s3', { buckets: [config.inBucket, config.outBucket] });

      const out = process.stdout;
      out.write(`ddn is up\n`);
      out.write(`  edge (S3, Lambda, API Gateway)  ${edge.publicUrl}\n`);
      out.write(`  buckets                         ${config.inBucket}, ${config.outBucket}\n`);
      out.write(`  data                            ${config.dataDir}\n`);
      out.write(`  health                          ${edge.publicUrl}/_ddn/health\n`);
      out.write(`Point the AWS CLI at it:  eval "$(./ddn env)" && aws s3 ls\n`);
      out.write(`Press Ctrl-C to stop.\n`);

      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      out.write('ddn: stopping...\n');
      await running.close();
    });
}
