// Fault scenarios against a real `ddn up`: each does something a hostile or clumsy client, a crash or a bad input
// would do, then checks what must still hold. Loopback only; every loop and wait is bounded.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
} from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { zipSync, strToU8 } from 'fflate';
import { lambdaClient, s3Client } from '../../src/client/aws-clients.ts';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { startDdnUp, type DdnUp } from '../helpers/ddn-up.ts';
import { craftTiff, validTiff } from '../helpers/tiff-craft.ts';

export const IN = 'ddn-in-bucket';
/** The presign function `ddn up` deploys (DDN_LAMBDA_FUNC_NAME's default). */
const PRESIGN_FUNCTION = 'ddn-presign-lambda';
export const OUT = 'ddn-out-bucket';

/** Settings of the `ddn up` under test: short idle and job limits so that the faults show within seconds. */
export const CHAOS_VARS = {
  DDN_BODY_IDLE_TIMEOUT_S: '2',
  DDN_INFERENCE_TIMEOUT_S: '1',
  DDN_INFERENCE_MAX_PIXELS: String(4096 * 4096),
  DDN_LOG_LEVEL: 'error',
};

export interface ChaosContext {
  /** The running instance; the kill -9 scenario replaces it. */
  up: DdnUp;
  short: boolean;
  log(line: string): void;
}

export interface Outcome {
  held: boolean;
  detail: string;
}

export interface Scenario {
  name: string;
  /** Left out of the short form (`npm test`). */
  fullOnly?: boolean;
  run(ctx: ChaosContext): Promise<Outcome>;
}

/** Polls `check` every 200 ms until it returns true; false once `ms` have passed. */
async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    await sleep(200);
  }
  return false;
}

async function status(url: string, init?: RequestInit): Promise<number> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  await res.body?.cancel();
  return res.status;
}

async function health(up: DdnUp): Promise<{ status: number; inferencePid?: number }> {
  const res = await fetch(`${up.edgeUrl}/_ddn/health`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { services?: { inference?: { pid?: number } } };
  return { status: res.status, inferencePid: body.services?.inference?.pid };
}

/** Resident anonymous memory of a process in MiB (Linux; file-backed pages come and go with memory pressure); NaN when it cannot be read. */
function rss(pid: number | undefined): number {
  try {
    return Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in MiB, for the report. */
function rssMiB(pid: number | undefined): string {
  const mib = rss(pid);
  return Number.isNaN(mib) ? '?' : `${Math.round(mib)} MiB`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Opens `count` connections that each send a request declaring a 100-byte body and one byte of it. */
async function partialBodies(target: string, count: number): Promise<net.Socket[]> {
  const url = new URL(target);
  const open = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => {
        const head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
        socket.write(`${head}{`, () => resolve(socket));
      });
      socket.once('error', reject);
    });
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 50)
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, open))));
  for (const s of sockets) s.on('error', () => undefined);
  return sockets;
}

function invocation(input: string, output: string, size: number) {
  return {
    model: 'efficient',
    type: 'static',
    pixel_pitch: 0.14,
    img_input_url: `s3://${IN}/${input}`,
    img_output_url: `s3://${OUT}/${output}`,
    digital_offset: 1000,
    using_bits: 16,
    strength: 10,
    width: size,
    height: size,
  };
}

async function exists(up: DdnUp, bucket: string, key: string): Promise<boolean> {
  const s3 = s3Client({ url: up.edgeUrl, region: 'us-east-1', credentials: up.credentials });
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}

async function upload(up: DdnUp, key: string, body: Buffer): Promise<void> {
  const s3 = s3Client({ url: up.edgeUrl, region: 'us-east-1', credentials: up.credentials });
  try {
    await s3.send(new PutObjectCommand({ Bucket: IN, Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'aborted bodies: clients that send 1 byte of a 100-byte POST /invocations and leave',
    async run({ up, short }) {
      const count = short ? 40 : 260;
      const sockets = await partialBodies(`${up.apiEndpoint}/invocations`, count);
      await Promise.all(
        sockets.map((s) => new Promise<void>((resolve) => (s.once('close', () => resolve()), s.destroy()))),
      );
      const ping = await status(`${up.apiEndpoint}/ping`);
      return { held: ping === 200, detail: `${count} aborted; GET /ping through the API then: ${ping}` };
    },
  },
  {
    name: 'slow bodies: clients that send 1 byte and go silent',
    async run({ up, short }) {
      const count = short ? 20 : 300;
      const sockets = await partialBodies(`${up.apiEndpoint}/invocations`, count);
      const got = new Map<net.Socket, string>();
      for (const s of sockets)
        s.on('data', (d: Buffer) => got.set(s, (got.get(s) ?? '') + d.toString().split('\r\n')[0]));
      const closed = sockets.map(
        (s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))),
      );
      try {
        const ping = await status(`${up.apiEndpoint}/ping`);
        const allClosed = await Promise.race([Promise.all(closed).then(() => true), sleep(30_000).then(() => false)]);
        const open = sockets.filter((s) => !s.destroyed);
        const answers = [...new Set(open.map((s) => got.get(s) ?? 'nothing'))].join(', ');
        return {
          held: ping === 200 && allClosed,
          detail:
            `${count} silent; /ping meanwhile: ${ping}; closed by the edge (DDN_BODY_IDLE_TIMEOUT_S=${CHAOS_VARS.DDN_BODY_IDLE_TIMEOUT_S}): ` +
            `${count - open.length}/${count}${open.length ? ` (the open ones got: ${answers})` : ''}`,
        };
      } finally {
        for (const s of sockets) s.destroy();
      }
    },
  },
  {
    name: 'backend killed (kill -9 of the inference server) and restarted by ddn up',
    async run({ up }) {
      const before = await health(up);
      if (!before.inferencePid) return { held: false, detail: 'health names no inference pid' };
      process.kill(before.inferencePid, 'SIGKILL');
      const reported = await until(async () => (await health(up)).status === 503, 15_000);
      const during = await status(`${up.apiEndpoint}/ping`);
      const back = await until(async () => (await health(up)).status === 200, 120_000);
      const after = await health(up);
      const ping = await status(`${up.apiEndpoint}/ping`);
      return {
        held: reported && during !== 200 && back && after.inferencePid !== before.inferencePid && ping === 200,
        detail: `health 503 while down: ${reported}; /ping while down: ${during}; restarted as pid ${after.inferencePid}; /ping after: ${ping}`,
      };
    },
  },
  {
    name: 'memory after large jobs: 4096² jobs cut by their deadline or left by their client',
    fullOnly: true,
    async run({ up }) {
      const size = 4096;
      const tolerance = 64; // MiB: less than two of such a job's 32 MiB sample buffers (see test/inference/memory.test.ts)
      await upload(up, 'chaos-memory.tif', validTiff(size, size));
      await upload(up, 'chaos-memory-small.tif', validTiff(64, 64));
      const send = async (input: string, jobSize: number, signal: AbortSignal) => {
        try {
          const res = await fetch(`${up.apiEndpoint}/invocations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...invocation(input, 'chaos-memory-out.tif', jobSize), model: 'powerful' }),
            signal,
          });
          await res.body?.cancel();
          return String(res.status);
        } catch {
          return 'left';
        }
      };
      const warm = await send('chaos-memory-small.tif', 64, AbortSignal.timeout(30_000));
      const pid = (await health(up)).inferencePid;
      await sleep(3000);
      const baseline = rss(pid);
      const answers: string[] = [`warm-up ${warm}`];
      for (let i = 0; i < 3; i++) {
        // Every other job's client leaves once the job holds its buffers; the others run into the 1 s deadline.
        const client = new AbortController();
        const answer = send('chaos-memory.tif', size, AbortSignal.any([client.signal, AbortSignal.timeout(60_000)]));
        if (i % 2 === 1) {
          await until(() => rss(pid) > baseline + 96, 10_000);
          client.abort();
        }
        answers.push(await answer);
      }
      const back = await until(() => rss(pid) <= baseline + tolerance, 30_000);
      const ping = await status(`${up.apiEndpoint}/ping`);
      const samePid = (await health(up)).inferencePid === pid;
      return {
        held: back && ping === 200 && samePid,
        detail:
          `answers ${answers.join(', ')}; inference RSS ${Math.round(baseline)} MiB after warm-up, ${rssMiB(pid)} ` +
          `once idle (tolerance ${tolerance} MiB); same process after: ${samePid}; /ping after: ${ping}`,
      };
    },
  },
  {
    name: 'a job past its deadline (DDN_INFERENCE_TIMEOUT_S) is cancelled and writes nothing',
    async run({ up }) {
      const size = 4096;
      const pid = (await health(up)).inferencePid;
      const rssBefore = rssMiB(pid);
      await upload(up, 'chaos-deadline.tif', validTiff(size, size));
      const res = await fetch(`${up.apiEndpoint}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ...invocation('chaos-deadline.tif', 'chaos-deadline-out.tif', size),
          model: 'powerful',
        }),
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await res.json()) as { message?: string };
      // Long enough for the cancelled job to have written its output, had it gone on.
      await sleep(5000);
      const written = await exists(up, OUT, 'chaos-deadline-out.tif');
      const ping = await status(`${up.apiEndpoint}/ping`);
      return {
        held: res.status === 500 && /DDN_INFERENCE_TIMEOUT_S/.test(body.message ?? '') && !written && ping === 200,
        detail:
          `answer ${res.status} (${body.message}); output written later: ${written}; /ping after: ${ping}; ` +
          `inference RSS ${rssBefore} before, ${rssMiB(pid)} 5 s after (not judged)`,
      };
    },
  },
  {
    name: 'a decompression bomb: a tiny TIFF declaring 16000x16000 pixels',
    async run({ up }) {
      const bomb = craftTiff({ width: 16000, height: 16000 }, new Uint8Array(4096));
      await upload(up, 'chaos-bomb.tif', bomb);
      const res = await fetch(`${up.apiEndpoint}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(invocation('chaos-bomb.tif', 'chaos-bomb-out.tif', 16000)),
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await res.json()) as { error?: string; message?: string };
      return {
        held: res.status === 400 && /DDN_INFERENCE_MAX_PIXELS/.test(body.message ?? ''),
        detail: `${bomb.length} bytes declaring 256000000 pixels: ${res.status} ${body.error}: ${body.message}`,
      };
    },
  },
  {
    name: 'a function exceeding its memory (MemorySize 128, allocates 256 MiB of Buffers)',
    fullOnly: true,
    async run({ up }) {
      const lambda = lambdaClient({ url: up.edgeUrl, region: 'us-east-1', credentials: up.credentials });
      const name = 'chaos-memory-hog';
      const source =
        'export const handler = async () => { const keep = []; for (let i = 0; i < 32; i++) keep.push(Buffer.alloc(8 << 20, 1)); return keep.length; };';
      try {
        // The role ddn up made for the presign function: create-function needs a role that exists.
        const { Role } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: PRESIGN_FUNCTION }));
        await lambda.send(
          new CreateFunctionCommand({
            FunctionName: name,
            Runtime: 'nodejs20.x',
            Handler: 'index.handler',
            MemorySize: 128,
            Timeout: 30,
            Role,
            Code: { ZipFile: zipSync({ 'index.mjs': strToU8(source) }) },
          }),
        );
        await waitForFunction(lambda, name);
        const out = await lambda.send(new InvokeCommand({ FunctionName: name }));
        const payload = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
        const ping = await status(`${up.apiEndpoint}/ping`);
        return {
          held: out.FunctionError !== undefined && /OutOfMemory|signal: killed/.test(payload) && ping === 200,
          detail: `FunctionError ${out.FunctionError ?? 'none'}: ${payload.slice(0, 160)}; /ping after: ${ping}`,
        };
      } finally {
        await lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);
        lambda.destroy();
      }
    },
  },
  {
    name: 'kill -9 of ddn up, then a restart on the same ports and data',
    async run(ctx) {
      const { up } = ctx;
      await upload(up, 'chaos-survivor.tif', validTiff(16, 16));
      const child = (await health(up)).inferencePid;
      process.kill(up.pid, 'SIGKILL');
      await up.exited;
      const childGone = child !== undefined && (await until(() => !alive(child), 30_000));
      ctx.up = await startDdnUp({
        cwd: up.cwd,
        dataDir: up.dataDir,
        credentials: up.credentials,
        vars: { ...CHAOS_VARS, DDN_INFERENCE_PORT: new URL(up.inferenceUrl).port },
      });
      const after = await health(ctx.up);
      const kept = await exists(ctx.up, IN, 'chaos-survivor.tif');
      const ping = await status(`${ctx.up.apiEndpoint}/ping`);
      return {
        held: childGone && after.status === 200 && kept && ping === 200,
        detail: `inference child ${child} exited with it: ${childGone}; restart health ${after.status}; object kept: ${kept}; /ping: ${ping}`,
      };
    },
  },
];

export interface Report {
  name: string;
  result: 'held' | 'FAILED';
  detail: string;
}

/** Starts `ddn up`, runs the scenarios in order (each bounded by `scenarioMs`), stops it; one report line each. */
export async function runChaos(options: {
  short: boolean;
  log?: (line: string) => void;
  scenarioMs?: number;
}): Promise<Report[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const ctx: ChaosContext = { up: await startDdnUp({ vars: CHAOS_VARS }), short: options.short, log };
  const reports: Report[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (options.short && scenario.fullOnly) continue;
      const outcome = await Promise.race([
        scenario.run(ctx).catch((err: Error) => ({ held: false, detail: `threw ${err.name}: ${err.message}` })),
        sleep(options.scenarioMs ?? 180_000).then(() => ({ held: false, detail: 'did not finish in time' })),
      ]);
      const result = outcome.held ? 'held' : 'FAILED';
      reports.push({ name: scenario.name, result, detail: outcome.detail });
      log(`${result.padEnd(7)} ${scenario.name}\n        ${outcome.detail}`);
    }
  } finally {
    await ctx.up.stop();
  }
  return reports;
}
