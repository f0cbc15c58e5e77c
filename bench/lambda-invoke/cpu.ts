// CPU time per invocation (this process, which runs the edge, plus its children from /proc) of the presign function
// through Invoke, and of the same handler in-process, driven by wrk; a noisy shared machine changes rates far more
// than CPU time. The first Invoke rounds include V8's warm-up of each execution environment.
// Usage: node --import tsx bench/lambda-invoke/cpu.ts [connections=16] [seconds per round=5] [Invoke rounds=2]
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deployPresign, EVENT, signedInvoke, startPresignBench } from './setup.ts';

const run = promisify(execFile);
const connections = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 5);
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

const bench = await startPresignBench('ddn-cpu-', { DDN_LAMBDA_STATE_DELAY_MS: '0' });
try {
  await deployPresign(bench, 'p', connections);
  const { url: invokeUrl, headers } = await signedInvoke(bench, 'p');
  await measure('warm', bench.baselineUrl, {}, bench.dir);
  await measure('inproc', bench.baselineUrl, {}, bench.dir);
  for (let i = 0; i < Number(process.argv[4] ?? 2); i++) await measure('invoke', invokeUrl.href, headers, bench.dir);
} finally {
  await bench.close();
}
