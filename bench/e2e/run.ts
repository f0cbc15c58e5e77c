// End-to-end benchmark: `ddn denoise` of an 18 MiB 3072² TIFF through the whole platform (API Gateway,
// presign Lambda, S3, inference), step by step, beside the bare parts measured in the same run: a
// presigned PUT and GET of the same bytes made without the API, and /invocations sent straight to
// the inference server. Prints the platform's overhead over bare transfer + compute (goal: < 10 %).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const SIZE = Number(process.env.BENCH_SIZE ?? 3072);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IN = 'ddn-in-bucket';
const OUT = 'ddn-out-bucket';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

const work = mkdtempSync(path.join(tmpdir(), 'ddn-bench-e2e-'));
const up = await startDdnUp({ vars: { DDN_LOG_LEVEL: 'error' } });
try {
  const file = path.join(work, 'phantom.tif');
  const noisy = noisyPhantom(cleanPhantom(SIZE, 3), DOSES.g8, 4);
  writeFileSync(file, await sharp(noisy, { raw: { width: SIZE, height: SIZE, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'none' }).toBuffer());
  const bytes = SIZE * SIZE * 2;
  console.log(`bench/e2e: ${SIZE}x${SIZE} 16-bit TIFF (${(bytes / 2 ** 20).toFixed(1)} MiB), ${RUNS} runs after a warm-up, medians`);

  const s3 = s3Client({ url: up.edgeUrl, region: 'us-east-1', credentials: up.credentials });
  const platform = { presignUp: [] as number[], put: [] as number[], invoke: [] as number[], presignDown: [] as number[], get: [] as number[], total: [] as number[] };
  const bare = { put: [] as number[], invoke: [] as number[], get: [] as number[], denoise: [] as number[] };

  for (let run = 0; run <= RUNS; run++) {
    const key = `bench-${run}.tif`;
    const started = performance.now();
    const result = await denoiseFile({ apiEndpoint: up.apiEndpoint, file, key, out: path.join(work, 'out.tif'), inBucket: IN, outBucket: OUT, strength: 10 });
    const total = performance.now() - started;

    // The same bytes, presigned by the SDK directly (no API, no Lambda), and the inference server called directly.
    const bareKey = `bare-${run}.tif`;
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: IN, Key: bareKey }), { expiresIn: 600 });
    const putMs = await putFile(putUrl, file, bytes);
    const t0 = performance.now();
    const res = await request(`${up.inferenceUrl}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(invocationRequest({ inBucket: IN, outBucket: OUT, key: bareKey, width: SIZE, height: SIZE, strength: 10 })),
    });
    const answer = (await res.body.json()) as { timings_ms?: Record<string, number> };
    if (res.statusCode !== 200) throw new Error(`direct /invocations answered ${res.statusCode}: ${JSON.stringify(answer)}`);
    const invokeMs = performance.now() - t0;
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: OUT, Key: bareKey }), { expiresIn: 600 });
    const { ms: getMs } = await getToFile(getUrl, path.join(work, 'bare-out.tif'));
    if (run === 0) continue; // warm-up

    const t = result.timings;
    platform.presignUp.push(t.presignUploadMs);
    platform.put.push(t.putMs);
    platform.invoke.push(t.invokeMs);
    platform.presignDown.push(t.presignDownloadMs);
    platform.get.push(t.getMs);
    platform.total.push(total);
    bare.put.push(putMs);
    bare.invoke.push(invokeMs);
    bare.get.push(getMs);
    bare.denoise.push(answer.timings_ms?.denoise ?? NaN);
  }

  const bareTotal = median(bare.put) + median(bare.invoke) + median(bare.get);
  const ours = median(platform.total);
  console.log('\nddn denoise (through API Gateway + presign Lambda + S3 + inference):');
  console.log(`  presign upload   ${f(median(platform.presignUp))}`);
  console.log(`  PUT              ${f(median(platform.put))}`);
  console.log(`  /invocations     ${f(median(platform.invoke))}`);
  console.log(`  presign download ${f(median(platform.presignDown))}`);
  console.log(`  GET              ${f(median(platform.get))}`);
  console.log(`  total            ${f(ours)}`);
  console.log('\nbaseline, same run (SDK-presigned PUT/GET on the edge, /invocations straight to the inference server):');
  console.log(`  PUT              ${f(median(bare.put))}`);
  console.log(`  /invocations     ${f(median(bare.invoke))}   (of which denoising ${f(median(bare.denoise))})`);
  console.log(`  GET              ${f(median(bare.get))}`);
  console.log(`  total            ${f(bareTotal)}`);
  console.log(`\nratio ddn denoise / bare = ${(ours / bareTotal).toFixed(3)}  -> platform overhead ${((ours / bareTotal - 1) * 100).toFixed(1)} % (goal < 10 %)`);
} finally {
  await up.stop();
  rmSync(work, { recursive: true, force: true });
}
