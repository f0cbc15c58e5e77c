// End-to-end benchmark: `ddn denoise` of an 18 MiB 3072² TIFF through the whole platform (API Gateway,
// presign Lambda, S3, inference), step by step, beside the bare parts measured in the same run: a
// presigned PUT and GET of the same bytes made without the API, and /invocations sent straight to
// the inference server. Prints the platform's overhead over bare transfer + compute (goal: < 10 %).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import sharp from 'sharp';
import { request } from 'undici';
import { s3Client } from '../../src/client/aws-clients.ts';
import { denoiseFile, invocationRequest } from '../../src/client/denoise.ts';
import { getToFile, putFile } from '../../src/client/transfer.ts';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { startDdnUp } from '../../test/helpers/ddn-up.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const SIZE = Number(process.env.BENCH_SIZE ?? 3072);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IN = 'ddn-in-bucket';
const OUT = 'ddn-out-bucket';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

const work = mkdtempSync(path.join(tmpdir(), 'ddn-bench-e2e-'));
const up = await startDdnUp({ vars: { DDN_LOG_LEVEL: 'error' } });
try {
  const file = path.join(work, 'phantom.tif');
  const noisy = noisyPhantom(cleanPhantom(SIZE, 3), DOSES.g8, 4);
  writeFileSync(
    file,
    await sharp(noisy, { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .toColourspace('grey16')
      .tiff({ compression: 'none' })
      .toBuffer(),
  );
  const bytes = statSync(file).size;
  console.log(
    `bench/e2e: ${SIZE}x${SIZE} 16-bit TIFF (${(bytes / 2 ** 20).toFixed(1)} MiB), ${RUNS} runs after a warm-up, medians`,
  );

  const s3 = s3Client({ url: up.edgeUrl, region: 'us-east-1', credentials: up.credentials });
  const sum = (timings: Record<string, number> | undefined) => Object.values(timings ?? {}).reduce((a, b) => a + b, 0);

  const viaPlatform = async (run: number) => {
    const started = performance.now();
    const result = await denoiseFile({
      apiEndpoint: up.apiEndpoint,
      file,
      key: `bench-${run}.tif`,
      out: path.join(work, 'out.tif'),
      inBucket: IN,
      outBucket: OUT,
      strength: 10,
    });
    return { ...result.timings, total: performance.now() - started, compute: sum(result.response.timings_ms) };
  };
  // The same bytes, presigned by the SDK directly (no API, no Lambda), and the inference server called directly.
  const bare = async (run: number) => {
    const started = performance.now();
    const key = `bare-${run}.tif`;
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: IN, Key: key }), { expiresIn: 600 });
    const put = await putFile(putUrl, file, bytes);
    const t0 = performance.now();
    const res = await request(`${up.inferenceUrl}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        invocationRequest({ inBucket: IN, outBucket: OUT, key, width: SIZE, height: SIZE, strength: 10 }),
      ),
    });
    const answer = (await res.body.json()) as { timings_ms?: Record<string, number> };
    if (res.statusCode !== 200)
      throw new Error(`direct /invocations answered ${res.statusCode}: ${JSON.stringify(answer)}`);
    const invoke = performance.now() - t0;
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: OUT, Key: key }), { expiresIn: 600 });
    const { ms: get } = await getToFile(getUrl, path.join(work, 'bare-out.tif'));
    return {
      put,
      invoke,
      get,
      total: performance.now() - started,
      compute: sum(answer.timings_ms),
      denoise: answer.timings_ms?.denoise ?? NaN,
    };
  };

  const ours: Array<Awaited<ReturnType<typeof viaPlatform>>> = [];
  const base: Array<Awaited<ReturnType<typeof bare>>> = [];
  for (let run = 0; run <= RUNS; run++) {
    // Alternate the order so that drift on a shared machine hits both sides alike.
    let a: Awaited<ReturnType<typeof bare>>;
    let b: Awaited<ReturnType<typeof viaPlatform>>;
    if (run % 2) {
      a = await bare(run);
      b = await viaPlatform(run);
    } else {
      b = await viaPlatform(run);
      a = await bare(run);
    }
    if (run === 0) continue; // warm-up
    base.push(a);
    ours.push(b);
  }

  const m = <T>(rows: T[], pick: (row: T) => number) => median(rows.map(pick));
  console.log('\nddn denoise (through API Gateway + presign Lambda + S3 + inference):');
  console.log(`  presign upload   ${f(m(ours, (r) => r.presignUploadMs))}`);
  console.log(`  PUT              ${f(m(ours, (r) => r.putMs))}`);
  console.log(
    `  /invocations     ${f(m(ours, (r) => r.invokeMs))}   (of which the server's own work ${f(m(ours, (r) => r.compute))})`,
  );
  console.log(`  presign download ${f(m(ours, (r) => r.presignDownloadMs))}`);
  console.log(`  GET              ${f(m(ours, (r) => r.getMs))}`);
  console.log(`  total            ${f(m(ours, (r) => r.total))}`);
  console.log(
    '\nbaseline, same run (SDK-presigned PUT/GET on the edge, /invocations straight to the inference server):',
  );
  console.log(`  PUT              ${f(m(base, (r) => r.put))}`);
  console.log(
    `  /invocations     ${f(m(base, (r) => r.invoke))}   (of which the server's own work ${f(m(base, (r) => r.compute))}, denoising ${f(m(base, (r) => r.denoise))})`,
  );
  console.log(`  GET              ${f(m(base, (r) => r.get))}`);
  console.log(`  total            ${f(m(base, (r) => r.total))}`);
  const raw = m(ours, (r) => r.total) / m(base, (r) => r.total);
  // The server's own work (S3 I/O, decode, denoise, encode) varies by seconds on a shared machine; count it once, from the baseline.
  const overheadMs = m(ours, (r) => r.total - r.compute) - m(base, (r) => r.total - r.compute);
  const normalised = (m(base, (r) => r.total) + overheadMs) / m(base, (r) => r.total);
  console.log(`\nratio ddn denoise / bare, raw = ${raw.toFixed(3)}`);
  console.log(
    `platform overhead (with the server's work counted once) = ${overheadMs.toFixed(0)} ms = ${((normalised - 1) * 100).toFixed(1)} % of bare transfer + compute (goal < 10 %)`,
  );
} finally {
  await up.stop();
  rmSync(work, { recursive: true, force: true });
}
