// CPU time per invocation (this process, which runs the edge, plus its children from /proc) of the presign function
// through Invoke, and of the same handler in-process, driven by wrk; a noisy shared machine changes rates far more
// than CPU time. The first Invoke rounds include V8's warm-up of each execution environment.
// Usage: node --import tsx bench/lambda-invoke/cpu.ts [connections=16] [seconds per round=5] [Invoke rounds=2]
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import { executionRole } from '../../src/deploy/declaration.ts';
import { createRole } from '../../src/deploy/role.ts';
import { loadConfig } from '../../src/config/index.ts';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { createLogger } from '../../src/config/logger.ts';
import { startEdge } from '../../src/edge/start.ts';
import { buildPresignZip } from '../../src/functions/presign/bundle.ts';
import { unzipSync } from 'fflate';
import type { PresignEvent, handler as PresignHandler } from '../../src/functions/presign/index.ts';

const run = promisify(execFile);
const connections = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 5);
const EVENT = JSON.stringify({ queryStringParameters: { mode: 'upload', file: 'bench/k.tif' } });
const TICK_US = 1e6 / 100;

function childrenCpuUs(): number {
  let total = 0;
  const walk = (pid: number) => {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      let kids: string;
      try {
        kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(' ').filter(Boolean)) {
        try {
          const stat = readFileSync(`/proc/${k}/stat`, 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          // utime stime cutime cstime (fields 14-17, here index 11-14)
          total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_US;
          walk(Number(k));
        } catch {
          /* gone */
        }
      }
    }
  };
  walk(process.pid);
  return total;
}

async function measure(label: string, url: string, headers: Record<string, string>, dir: string): Promise<void> {
  const script = path.join(dir, `${label}.lua`);
  writeFileSync(
    script,
    [
      `wrk.method = "POST"`,
      `wrk.body = ${JSON.stringify(EVENT)}`,
      ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
    ].join('\n'),
  );
  const c0 = process.cpuUsage();
  const k0 = childrenCpuUs();
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, url]);
  const c = process.cpuUsage(c0);
  const k = childrenCpuUs() - k0;
  const n = Number(/(\d+) requests in/.exec(stdout)![1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const edgeUs = (c.user + c.system) / n;
  console.log(
    `${label.padEnd(10)} n=${n} non2xx=${non2xx} rps=${(n / seconds).toFixed(0)}  edge ${edgeUs.toFixed(0)} µs/inv  ` +
      `children ${(k / n).toFixed(0)} µs/inv  total ${(edgeUs + k / n).toFixed(0)} µs/inv`,
  );
}

const dir = mkdtempSync(path.join(tmpdir(), 'ddn-cpu-'));
const config = loadConfig({
  DDN_EDGE_HOST: '127.0.0.1',
  DDN_EDGE_PORT: '0',
  DDN_DATA_DIR: path.join(dir, 'data'),
  DDN_LOG_LEVEL: 'silent',
  DDN_LAMBDA_STATE_DELAY_MS: '0',
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
async function answerInProcess(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const result = await handler(JSON.parse(Buffer.concat(chunks).toString()) as PresignEvent);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(result));
}
const baseline = http.createServer((req, res) => void answerInProcess(req, res));
await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
try {
  const lambda = new LambdaClient({ endpoint: edge.url, region: config.region, credentials: edge.credentials });
  const iam = new IAMClient({ endpoint: edge.url, region: config.region, credentials: edge.credentials });
  const role = await createRole(iam, executionRole('bench', ['*']));
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'p',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: role,
      Code: { ZipFile: zip },
      Environment: { Variables: functionEnv },
    }),
  );
  await waitForFunction(lambda, 'p');
  await Promise.all(
    Array.from({ length: connections }, () =>
      lambda.send(new InvokeCommand({ FunctionName: 'p', Payload: Buffer.from(EVENT) })),
    ),
  );
  const invokeUrl = new URL(`${edge.url}/2015-03-31/functions/p/invocations`);
  const signer = new SignatureV4({
    credentials: edge.credentials,
    region: config.region,
    service: 'lambda',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: invokeUrl.hostname,
      port: Number(invokeUrl.port),
      path: invokeUrl.pathname,
      headers: { host: invokeUrl.host, 'content-type': 'application/json' },
      body: EVENT,
    }),
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
  const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/presign`;
  await measure('warm', baselineUrl, {}, dir);
  await measure('inproc', baselineUrl, {}, dir);
  for (let i = 0; i < Number(process.argv[4] ?? 2); i++) await measure('invoke', invokeUrl.href, headers, dir);
} finally {
  baseline.close();
  await running.close();
  rmSync(dir, { recursive: true, force: true });
}
