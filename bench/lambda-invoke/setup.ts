// The set-up the Lambda Invoke benches share: an edge on loopback, the presign handler (the deployed bundle) called
// in this process behind a bare Node HTTP server (the baseline), the same bundle deployed as a function and warmed,
// and Invoke requests signed once.
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signedHeaders } from '../../test/helpers/sigv4.ts';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import { unzipSync } from 'fflate';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createLogger } from '../../src/config/logger.ts';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { executionRole } from '../../src/deploy/declaration.ts';
import { createRole } from '../../src/deploy/role.ts';
import { startEdge, type RunningEdge } from '../../src/edge/start.ts';
import { buildPresignZip } from '../../src/functions/presign/bundle.ts';
import type { handler as PresignHandler, PresignEvent } from '../../src/functions/presign/index.ts';

/** The event every bench request carries: an upload URL for one key. */
export const EVENT = JSON.stringify({ queryStringParameters: { mode: 'upload', file: 'bench/k.tif' } });

export interface PresignBench {
  /** A temporary folder for the edge's data and the benches' files; removed by close(). */
  dir: string;
  config: Config;
  edge: RunningEdge['edge'];
  /** The environment the presign function runs with. */
  functionEnv: Record<string, string>;
  zip: Uint8Array;
  /** The in-process baseline's URL. */
  baselineUrl: string;
  close(): Promise<void>;
}

/** Starts the edge (its configuration plus `env`) and the in-process baseline. */
export async function startPresignBench(dirPrefix: string, env: Record<string, string> = {}): Promise<PresignBench> {
  const dir = mkdtempSync(path.join(tmpdir(), dirPrefix));
  const config = loadConfig({
    DDN_EDGE_HOST: '127.0.0.1',
    DDN_EDGE_PORT: '0',
    DDN_DATA_DIR: path.join(dir, 'data'),
    DDN_LOG_LEVEL: 'silent',
    ...env,
  });
  const running = await startEdge(config, createLogger('bench', 'silent'));
  const { edge } = running;
  const functionEnv = {
    DDN_IN_BUCKET: config.inBucket,
    DDN_OUT_BUCKET: config.outBucket,
    AWS_ENDPOINT_URL_S3: edge.publicUrl,
  };
  const zip = await buildPresignZip();
  writeFileSync(path.join(dir, 'index.js'), unzipSync(zip)['index.js']);
  writeFileSync(path.join(dir, 'package.json'), '{}');
  const { handler } = createRequire(import.meta.url)(path.join(dir, 'index.js')) as { handler: typeof PresignHandler };
  Object.assign(process.env, functionEnv, {
    AWS_ACCESS_KEY_ID: edge.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: edge.credentials.secretAccessKey,
    AWS_REGION: config.region,
  });
  const answerInProcess = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const result = await handler(JSON.parse(Buffer.concat(chunks).toString()) as PresignEvent);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result));
  };
  const baseline = http.createServer((req, res) => void answerInProcess(req, res));
  await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
  return {
    dir,
    config,
    edge,
    functionEnv,
    zip,
    baselineUrl: `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/presign`,
    async close() {
      baseline.close();
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface DeployedPresign {
  lambda: LambdaClient;
  /** The execution role the function runs with, for further functions. */
  role: string;
}

/** Deploys the presign bundle as `functionName` (Node.js) and warms `connections` execution environments. */
export async function deployPresign(
  bench: PresignBench,
  functionName: string,
  connections: number,
): Promise<DeployedPresign> {
  const { edge, config } = bench;
  const lambda = new LambdaClient({ endpoint: edge.url, region: config.region, credentials: edge.credentials });
  const iam = new IAMClient({ endpoint: edge.url, region: config.region, credentials: edge.credentials });
  const role = await createRole(iam, executionRole('bench', ['*']));
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: role,
      Code: { ZipFile: bench.zip },
      Environment: { Variables: bench.functionEnv },
    }),
  );
  await waitForFunction(lambda, functionName);
  await Promise.all(
    Array.from({ length: connections }, () =>
      lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(EVENT) })),
    ),
  );
  return { lambda, role };
}

/**
 * The Invoke URL of `functionName` and the headers of one signed request with EVENT as its body: SigV4 allows
 * replaying a signed request within the clock-skew window, so one signature serves a whole wrk run.
 */
export async function signedInvoke(
  bench: PresignBench,
  functionName: string,
): Promise<{ url: URL; headers: Record<string, string> }> {
  const { edge, config } = bench;
  const url = new URL(`${edge.url}/2015-03-31/functions/${functionName}/invocations`);
  const headers = await signedHeaders({
    url,
    service: 'lambda',
    region: config.region,
    credentials: edge.credentials,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: EVENT,
  });
  return { url, headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'host')) };
}
