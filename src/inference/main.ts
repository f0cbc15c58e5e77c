// The inference service as its own process (ECS container, or a child of `ddn up`).
// Configuration comes only from environment variables: DDN_INFERENCE_HOST/PORT/CONCURRENCY/TIMEOUT_S,
// DDN_MODEL_DIR, DDN_LOG_LEVEL and the AWS SDK's own (AWS_REGION, credentials, AWS_ENDPOINT_URL[_S3]).
import { ConfigError, loadConfig } from '../config/index.ts';
import { createLogger } from '../config/logger.ts';
import { startInferenceServer } from './server.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const logger = createLogger('inference', config.logLevel);
const server = await startInferenceServer({
  host: config.inferenceHost,
  port: config.inferencePort,
  concurrency: config.inferenceConcurrency,
  timeoutS: config.inferenceTimeoutS,
  maxPixels: config.inferenceMaxPixels,
  bodyIdleTimeoutS: config.bodyIdleTimeoutS,
  instanceId: process.env.DDN_INFERENCE_INSTANCE,
  modelDir: config.modelDir,
  logger,
});
logger.info({ url: server.url }, 'inference server listening');
server.ready.catch(() => process.exit(1));

// Run by `ddn up` with a pipe on stdin: the pipe closes when ddn up exits, however it exits (even SIGKILL).
if (process.env.DDN_EXIT_WITH_STDIN === '1') {
  const parentGone = () => {
    logger.warn('the parent process is gone; exiting');
    setTimeout(() => process.exit(1), 2000).unref();
    server.close().then(
      () => process.exit(1),
      () => process.exit(1),
    );
  };
  process.stdin.once('end', parentGone);
  process.stdin.once('error', parentGone);
  process.stdin.resume();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
