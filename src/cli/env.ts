import type { Command } from 'commander';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { readEdgeCredentials } from '../state/credentials.ts';
import { CliError } from './errors.ts';

/** `ddn env`: export lines that point the AWS CLI and SDKs at the local edge. */
export function registerEnv(program: Command): void {
  program
    .command('env')
    .description('print export lines that point the AWS CLI and SDKs at the local edge: eval "$(./ddn env)"')
    .option('--json', 'print a JSON object instead of export lines')
    .action((opts: { json?: boolean }) => {
      loadDotenv();
      const config = loadConfig();
      // Only reads: printing variables must not create a data dir or a key pair the edge does not know.
      const credentials = readEdgeCredentials(config.dataDir, {
        accessKeyId: config.localAccessKeyId,
        secretAccessKey: config.localSecretAccessKey,
      });
      if (!credentials) {
        throw new CliError(
          `no edge credentials in ${config.dataDir}: start the edge there with 'ddn up', point DDN_DATA_DIR at the data dir of a ` +
            'running one, or set DDN_LOCAL_ACCESS_KEY_ID and DDN_LOCAL_SECRET_ACCESS_KEY',
        );
      }
      const host = config.edgeHost === '0.0.0.0' || config.edgeHost === '::' ? '127.0.0.1' : config.edgeHost;
      const vars = {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: config.region,
        AWS_DEFAULT_REGION: config.region,
        AWS_ENDPOINT_URL: config.publicUrl ?? `http://${host}:${config.edgePort}`,
      };
      if (opts.json) return void process.stdout.write(JSON.stringify(vars, null, 2) + '\n');
      for (const [name, value] of Object.entries(vars)) process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
    });
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:+=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
