// Invocations per second and p99 latency of the presign function through the Lambda Invoke API on the edge,
// beside the same handler called in-process by a bare Node HTTP server; both driven by wrk in the same run.
// The Python row: the presign handler in Python (boto3) through the Invoke API against the same handler called in
// a loop inside one Python process, and its cold start against a bare `python3 -c 'import boto3'`.
// Usage: npm run bench:lambda [-- --seconds 10 --connections 16]
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateFunctionCommand, InvokeCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { deployPresign, EVENT, signedInvoke, startPresignBench } from './setup.ts';

const execFileAsync = promisify(execFile);
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Runs wrk with a fixed POST; returns requests/s and latency percentiles in ms. */
async function wrk(url: string, headers: Record<string, string>, dir: string, name: string): Promise<Figures> {
  const script = path.join(dir, `${name}.lua`);
  const lines = [
    `wrk.method = "POST"`,
    `wrk.body = ${JSON.stringify(EVENT)}`,
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ];
  lines.push(
    `done = function(summary, latency, requests) io.write(string.format("STATUS_ERRORS %d\\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout)) end`,
  );
  writeFileSync(script, lines.join('\n') + '\n');
  const { stdout } = await execFileAsync(
    'wrk',
    ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url],
    { maxBuffer: 1 << 20 },
  );
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
    if (!m) throw new Error(`wrk output without ${label}:\n${stdout}`);
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[m[2] as 'us' | 'ms' | 's'];
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]),
    p50: ms('50%'),
    p99: ms('99%'),
    errors: Number(/STATUS_ERRORS (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

const bench = await startPresignBench('ddn-bench-lambda-');
const { dir, config, edge, functionEnv, baselineUrl } = bench;

try {
  const { lambda, role } = await deployPresign(bench, 'bench-presign', connections);
  const { url: invokeUrl, headers } = await signedInvoke(bench, 'bench-presign');

  // Both sides get the same warm-up run first: the handler's code is compiled by V8's optimiser over the first
  // thousands of calls, in this process for the baseline and in each execution environment for Invoke.
  await wrk(baselineUrl, { 'content-type': 'application/json' }, dir, 'warm');
  const inProcess = await wrk(baselineUrl, { 'content-type': 'application/json' }, dir, 'baseline');
  await wrk(invokeUrl.href, headers, dir, 'invoke-warm');
  const viaInvoke = await wrk(invokeUrl.href, headers, dir, 'invoke');

  // Python: warm Invoke rate and cold start.
  const pythonDir = new URL('.', import.meta.url).pathname;
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'bench-presign-py',
      Runtime: 'python3.12',
      Handler: 'presign.lambda_handler',
      Role: role,
      Code: { ZipFile: zipSync({ 'presign.py': strToU8(readFileSync(path.join(pythonDir, 'presign.py'), 'utf8')) }) },
      Environment: { Variables: functionEnv },
    }),
  );
  await waitForFunction(lambda, 'bench-presign-py');
  const pyInvoke = () =>
    lambda.send(new InvokeCommand({ FunctionName: 'bench-presign-py', Payload: Buffer.from(EVENT) }));
  await Promise.all(Array.from({ length: connections }, pyInvoke));
  const py = await signedInvoke(bench, 'bench-presign-py');
  const pyViaInvoke = await wrk(py.url.href, py.headers, dir, 'invoke-py');
  const pythonEnv = {
    ...process.env,
    ...functionEnv,
    AWS_ENDPOINT_URL: edge.publicUrl,
    AWS_ACCESS_KEY_ID: edge.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: edge.credentials.secretAccessKey,
    AWS_REGION: config.region,
  };
  const { stdout: loopRate } = await execFileAsync(
    'python3',
    [path.join(pythonDir, 'python-loop.py'), pythonDir, EVENT, String(seconds)],
    { env: pythonEnv },
  );
  const pyInProcess = Number(loopRate.trim());
  // Cold starts: a configuration change retires the environments, so the next call starts one.
  const colds: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 5; i++) {
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'bench-presign-py',
        Environment: { Variables: { ...functionEnv, ROUND: String(i) } },
      }),
    );
    await waitForFunction(lambda, 'bench-presign-py');
    let t = performance.now();
    await pyInvoke();
    colds.push(performance.now() - t);
    t = performance.now();
    await execFileAsync('python3', ['-c', 'import boto3'], { env: pythonEnv });
    bare.push(performance.now() - t);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const row = (name: string, f: Figures) =>
    `${name.padEnd(34)} ${f.rps.toFixed(0).padStart(8)} inv/s   p50 ${f.p50.toFixed(2).padStart(6)} ms   p99 ${f.p99.toFixed(2).padStart(6)} ms   errors ${f.errors}`;
  console.log(`presign function, ${connections} concurrent clients, ${seconds} s each (wrk)`);
  console.log(row('in-process handler (bare Node HTTP)', inProcess));
  console.log(row('Lambda Invoke API on the edge', viaInvoke));
  console.log(
    `ratio (Invoke / in-process): throughput ${(viaInvoke.rps / inProcess.rps).toFixed(2)}x (goal >= 0.5x), p99 ${viaInvoke.p99.toFixed(2)} ms (goal < 5 ms)`,
  );
  console.log(`presign function in Python (boto3), python3.12 runtime`);
  console.log(`${'handler in a loop in one Python process'.padEnd(34)} ${pyInProcess.toFixed(0).padStart(8)} calls/s`);
  console.log(row('Lambda Invoke API on the edge', pyViaInvoke));
  console.log(`ratio (Invoke / loop): throughput ${(pyViaInvoke.rps / pyInProcess).toFixed(2)}x`);
  console.log(
    `cold start (median of 5): Invoke ${median(colds).toFixed(0)} ms, bare python3 -c 'import boto3' ${median(bare).toFixed(0)} ms, ratio ${(median(colds) / median(bare)).toFixed(2)}x`,
  );
} finally {
  await bench.close();
}
