import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createLogger, type Logger } from '../../src/config/logger.ts';
import { startEdge, type RunningEdge } from '../../src/edge/start.ts';
import type { EdgeCredentials } from '../../src/state/credentials.ts';

export interface TestEdge {
  url: string;
  port: number;
  region: string;
  credentials: EdgeCredentials;
  dataDir: string;
  config: Config;
  running: RunningEdge;
  /** Environment for child processes (aws CLI, boto3, s3cmd...) pointed at this edge. */
  env: NodeJS.ProcessEnv;
  /** Stops the edge; the data directory is kept for a restart unless `removeData`. */
  close(removeData?: boolean): Promise<void>;
}

/**
 * Starts a real edge on 127.0.0.1 with an ephemeral port, a fresh data directory and random credentials; `logger`
 * replaces the silent one when a test reads the edge's log.
 */
export async function startTestEdge(vars: Record<string, string> = {}, logger?: Logger): Promise<TestEdge> {
  const dataDir = vars.DDN_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'ddn-test-'));
  const credentials = {
    accessKeyId: vars.DDN_LOCAL_ACCESS_KEY_ID ?? `AKIATEST${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: vars.DDN_LOCAL_SECRET_ACCESS_KEY ?? randomBytes(30).toString('base64'),
  };
  const config = loadConfig({
    DDN_EDGE_HOST: '127.0.0.1',
    DDN_EDGE_PORT: '0',
    DDN_LOG_LEVEL: process.env.DDN_TEST_LOG_LEVEL ?? 'silent',
    // Functions are Active at once unless a test sets the delay (the lifecycle tests do).
    DDN_LAMBDA_STATE_DELAY_MS: '0',
    ...vars,
    DDN_DATA_DIR: dataDir,
    DDN_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
  const running = await startEdge(config, logger ?? createLogger('edge-test', config.logLevel));
  const url = running.edge.url;
  return {
    url,
    port: running.edge.port,
    region: config.region,
    credentials,
    dataDir,
    config,
    running,
    env: awsEnv(url, config.region, credentials),
    async close(removeData = true) {
      await running.close();
      if (removeData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Stops `edge`, keeping its data, and starts a new edge on the same data directory and credentials: a restart. */
export async function restartTestEdge(edge: TestEdge): Promise<TestEdge> {
  await edge.close(false);
  return startTestEdge({
    DDN_DATA_DIR: edge.dataDir,
    DDN_LOCAL_ACCESS_KEY_ID: edge.credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: edge.credentials.secretAccessKey,
  });
}

/** Variables that point the aws CLI / boto3 / SDKs at `url`, isolated from the user's own AWS config. */
export function awsEnv(url: string, region: string, credentials: EdgeCredentials): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // An empty AWS_PROFILE is an error for the aws CLI v1; a stray session token or service endpoint would win over ours.
  for (const name of Object.keys(env)) {
    if (
      name === 'AWS_PROFILE' ||
      name === 'AWS_DEFAULT_PROFILE' ||
      name === 'AWS_SESSION_TOKEN' ||
      name.startsWith('AWS_ENDPOINT_URL_')
    )
      delete env[name];
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ENDPOINT_URL: url,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
}
