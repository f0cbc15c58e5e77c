// 256 MiB presigned PUT then GET with curl against the edge, and nginx serving the same file from disk, in one run.
// BENCH_ROUNDS rounds (default 3); the edge's RSS is sampled from /proc during the transfers.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { freePort } from '../../src/cli/free-port.ts';

const SIZE_MIB = Number(process.env.BENCH_SIZE_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = promisify(execFile);
const MB = 1e6;
const dir = mkdtempSync(path.join(tmpdir(), 'ddn-bench-s3-'));
const children: ChildProcess[] = [];

/** curl's own transfer speed in bytes/s (asynchronous, so the RSS sampler keeps running). */
async function curl(args: string[], metric: 'speed_upload' | 'speed_download'): Promise<number> {
  const { stdout } = await run('curl', ['-sS', '--fail', '-o', '/dev/null', '-w', `%{${metric}}`, ...args]);
  return Number(stdout);
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** Samples a process's RSS every 10 ms until stopped; returns the highest sample. */
function sampleRss(pid: number): () => number {
  let peak = rssKiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 10);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssKiB(pid));
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

try {
  const file = path.join(dir, 'www', 'image.bin');
  mkdirSync(path.dirname(file));
  const fd = openSync(file, 'w');
  const block = randomBytes(1 << 20);
  for (let i = 0; i < SIZE_MIB; i++) writeSync(fd, block);
  closeSync(fd);

  // `--import tsx` (not the tsx CLI, which runs a second process): the pid is the edge's, for the RSS samples.
  const edgeProc = spawn(process.execPath, ['--import', 'tsx', 'src/edge/main.ts'], {
    env: {
      ...process.env,
      DDN_EDGE_HOST: '127.0.0.1',
      DDN_EDGE_PORT: '0',
      DDN_LOG_LEVEL: 'silent',
      DDN_DATA_DIR: path.join(dir, 'data'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(edgeProc);
  type EdgeInfo = { url: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  const info = await new Promise<EdgeInfo>((resolve) =>
    edgeProc.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as EdgeInfo)),
  );
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: info.url,
    forcePathStyle: true,
    credentials: info.credentials,
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'bench', Key: 'image.bin' }), {
    expiresIn: 600,
  });
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bench', Key: 'image.bin' }), {
    expiresIn: 600,
  });
  // Warm up code paths with a small object before taking the memory baseline.
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'warm', Body: randomBytes(1 << 20) }));
  await new Promise((r) => setTimeout(r, 200));
  const rssBefore = rssKiB(edgeProc.pid!);

  const port = await freePort('127.0.0.1');
  const prefix = path.join(dir, 'nginx');
  mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  writeFileSync(
    path.join(prefix, 'nginx.conf'),
    `daemon off; master_process off; worker_processes 1; pid ${prefix}/nginx.pid; error_log stderr error;
events { worker_connections 64; }
http { access_log off; sendfile on; client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  server { listen 127.0.0.1:${port}; root ${path.dirname(file)}; } }\n`,
  );
  const nginx = spawn('/usr/sbin/nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'inherit' });
  children.push(nginx);
  await new Promise((r) => setTimeout(r, 500));

  const loadBefore = load();
  const rounds: Array<{ put: number; get: number; nginx: number }> = [];
  const stopSampling = sampleRss(edgeProc.pid!);
  for (let i = 0; i < ROUNDS; i++) {
    const put = await curl(['-T', file, putUrl], 'speed_upload');
    const get = await curl([getUrl], 'speed_download');
    const nginx = await curl([`http://127.0.0.1:${port}/image.bin`], 'speed_download');
    rounds.push({ put, get, nginx });
  }
  const growthMiB = Math.max(0, stopSampling() - rssBefore) / 1024;

  console.log(
    `S3 transfer benchmark, ${SIZE_MIB} MiB object, curl over loopback, ${ROUNDS} rounds (load average ${loadBefore} before, ${load()} after)`,
  );
  rounds.forEach((r, i) =>
    console.log(
      `  round ${i + 1}: nginx GET ${(r.nginx / MB).toFixed(0)} MB/s, edge GET ${(r.get / MB).toFixed(0)} MB/s (${(r.get / r.nginx).toFixed(2)}x), edge PUT ${(r.put / MB).toFixed(0)} MB/s (${(r.put / r.nginx).toFixed(2)}x)`,
    ),
  );
  const nginxGet = median(rounds.map((r) => r.nginx));
  const get = median(rounds.map((r) => r.get / r.nginx));
  const put = median(rounds.map((r) => r.put / r.nginx));
  console.log(
    `  median ratio: edge GET ${get.toFixed(2)}x nginx GET (goal >= 0.8), edge PUT ${put.toFixed(2)}x nginx GET (goal >= 0.5); nginx GET median ${(nginxGet / MB).toFixed(0)} MB/s`,
  );
  console.log(
    `  edge peak RSS growth   ${growthMiB.toFixed(1)} MiB (baseline ${(rssBefore / 1024).toFixed(0)} MiB after warm-up, sampled every 10 ms from /proc during the transfers; goal < 64)`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
