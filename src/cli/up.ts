import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, loadDotenv } from '../config/index.ts';
import { createLogger, prettyLogLine } from '../config/logger.ts';
import { registerConsole } from '../console/index.ts';
import { deploy, deployClients, describeChange } from '../deploy/index.ts';
import { startEdge } from '../edge/start.ts';
import { CliError } from './errors.ts';
import { upsertEnvFile } from './env-file.ts';
import { freePort } from './free-port.ts';
import { printJson } from './output.ts';
import { InferenceProcess } from './inference-process.ts';
import { PidFile } from './pid-file.ts';
import { localDeclaration, presignZip } from './local-edge.ts';
import { recordSignIn, signInHelp } from './sign-in-settings.ts';
import type { SignInSettings } from '../deploy/apply.ts';

const INFERENCE_READY_TIMEOUT_MS = 180_000;

/** `ddn up`: the edge, the inference server and the platform deployed on the edge; until SIGINT/SIGTERM. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'start the local edge (S3, Lambda, API Gateway) and the inference server, deploy the platform on them; Ctrl-C stops it',
    )
    .option(
      '--json',
      'log JSON lines and print the endpoints as one JSON object (the default when stderr is not a terminal: JSON log lines)',
    )
    .action(async (opts: { json?: boolean }) => {
      const envFile = path.resolve('.env');
      loadDotenv();
      const config = loadConfig();
      const pretty = !opts.json && process.stderr.isTTY === true;
      const logger = createLogger('ddn', config.logLevel, { pretty });
      const running = await startEdge(config, logger).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          throw new CliError(
            `${config.edgeHost}:${config.edgePort} is already in use: stop the other process (another ddn up?) or set DDN_EDGE_PORT`,
          );
        }
        throw err;
      });
      const { edge } = running;
      edge.expect('inference');
      edge.expect('platform');
      let apiEndpoint: string | undefined;
      let signIn: SignInSettings | undefined;
      const { inBucket, outBucket } = config;
      registerConsole(edge, () => apiEndpoint, { inBucket, outBucket, signIn: () => signIn });

      const inferencePort = config.inferencePort === 0 ? await freePort(config.inferenceHost) : config.inferencePort;
      const inference = new InferenceProcess({
        host: config.inferenceHost,
        port: inferencePort,
        logger,
        formatLogLine: pretty ? prettyLogLine() : undefined,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: edge.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: edge.credentials.secretAccessKey,
          AWS_SESSION_TOKEN: '',
          AWS_REGION: config.region,
          AWS_ENDPOINT_URL_S3: edge.url,
        },
        onReadyChange: (ready, detail) =>
          ready ? edge.markReady('inference', detail) : edge.markNotReady('inference', detail),
        pidFile: new PidFile(path.join(config.dataDir, 'inference.pid'), 'inference/main.ts'),
      });
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        if (opts.json) logger.info('stopping');
        else process.stdout.write('ddn: stopping...\n');
        await inference.stop();
        await running.close();
      };
      // Installed before anything starts, so a signal during start-up never leaves the child behind.
      const signalled = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      void signalled.then(async () => {
        await stop();
        process.exit(0);
      });

      try {
        await inference.stopStale();
        inference.start();
        const inferenceHost = config.inferenceHost === '0.0.0.0' ? '127.0.0.1' : config.inferenceHost;
        const declaration = localDeclaration(config, edge.publicUrl, `${inferenceHost}:${inferencePort}`);
        const { result } = await deploy(
          deployClients({ url: edge.url, region: config.region, credentials: edge.credentials }),
          declaration,
          await presignZip(),
          {
            onChange: (change) => logger.info({ change: describeChange(change) }, 'deploy'),
          },
        );
        apiEndpoint = result!.apiEndpoint;
        upsertEnvFile(envFile, 'DDN_APIGW_ENDPOINT', apiEndpoint);
        signIn = result!.auth;
        recordSignIn(envFile, signIn);
        edge.markReady('platform', { apiId: result!.apiId, apiEndpoint, changes: result!.applied.length });
        await inference.waitReady(INFERENCE_READY_TIMEOUT_MS);
      } catch (err) {
        await stop();
        throw err;
      }

      if (opts.json) {
        printJson({
          apiEndpoint,
          console: `${edge.publicUrl}/_ddn/console/`,
          edge: edge.publicUrl,
          inference: inference.url,
          health: `${edge.publicUrl}/_ddn/health`,
          dataDir: config.dataDir,
          envFile,
          signIn: signIn ?? null,
        });
        await signalled;
        return;
      }
      const out = process.stdout;
      out.write(`ddn is up\n`);
      out.write(`  API endpoint   ${apiEndpoint}\n`);
      out.write(`  console        ${edge.publicUrl}/_ddn/console/\n`);
      out.write(`  edge           ${edge.publicUrl}  (S3, Lambda, API Gateway)\n`);
      out.write(`  inference      ${inference.url}\n`);
      out.write(`  health         ${edge.publicUrl}/_ddn/health\n`);
      out.write(`  data           ${config.dataDir}\n`);
      out.write(`DDN_APIGW_ENDPOINT written to ${envFile}. Try:\n`);
      out.write(`  ./ddn ping\n`);
      out.write(`  ./ddn phantom --out phantom.tif     # a synthetic noisy 16-bit X-ray, digital offset 1000 DN\n`);
      out.write(`  ./ddn denoise phantom.tif --model efficient --strength 10 --offset 1000\n`);
      out.write(`  eval "$(./ddn env)" && aws s3 ls\n`);
      if (signIn) for (const line of signInHelp(signIn, true)) out.write(`${line}\n`);
      out.write(`Press Ctrl-C to stop.\n`);

      await signalled;
    });
}
