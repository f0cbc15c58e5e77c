// bench:gateway — GET /ping with wrk: straight to a Node upstream, through our gateway (HTTP_PROXY) and through nginx
// proxy_pass (upstream keep-alive, `worker_processes 1`; ours is one Node process), and through a bare node:http +
// undici relay with no gateway logic (the floor of any proxy built that way), all in one run; then a Lambda
// route through the gateway beside the same handler served in-process, served from bare worker threads (the floor
// of a Lambda route built that way) and served from bare child processes over the Lambda Runtime API (the floor of
// one built with process isolation, as the edge's is). Every process under test is its own process
// (upstream, nginx, edge, in-process handler, the floors), every target gets the same wrk parameters and a warm-up run
// first; CPU counts each target's process and its children (the execution environments).
// Then the HTTP_PROXY route again behind a JWT authorizer (issuer: a loopback OIDC server in this process, one token
// for every request) beside the same route with none.
// Prints rps, p99 and CPU per request of each (medians of BENCH_ROUNDS rounds) and the ratios.
// BENCH_CPU_PROF=DIR writes the edge's CPU profile there (the relay's and the child-process floor's under DIR/relay and
// DIR/process-floor). BENCH_ONLY=jwt runs only the two JWT-comparison targets,
// BENCH_ONLY=lambda only the Lambda route and its baselines, BENCH_ONLY=proxy only the bare relay and HTTP_PROXY.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateAuthorizerCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { waitForFunction } from '../../src/deploy/apply.ts';
import { IAMClient } from '@aws-sdk/client-iam';
import { executionRole } from '../../src/deploy/declaration.ts';
import { createRole } from '../../src/deploy/role.ts';
import { strToU8, zipSync } from 'fflate';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../../src/apigw/access-log.ts';
import { freePort } from '../../src/cli/free-port.ts';

const run = promisify(execFile);
const DURATION = process.env.BENCH_DURATION ?? '5s';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = process.env.BENCH_WARMUP ?? '2s';
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '64';
const THREADS = '2';
/** Execution environments per function, as the edge's Lambda service allows here; the process floor runs as many. */
const LAMBDA_ENVIRONMENTS = Math.min(16, Math.max(2, availableParallelism()));
/** The function every Lambda target runs: in the edge's runtime, in-process, in bare worker threads. */
const HANDLER_FUNCTION = `async () => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'pong' })`;
const HANDLER = `export const handler = ${HANDLER_FUNCTION};`;

interface Result {
  rps: number;
  p99ms: number;
  /** CPU time (user + system, all threads) the process under test and its children spent per request, in µs. */
  cpuUs?: number;
  /** The same for the process under test alone. */
  ownCpuUs?: number;
}

/**
 * A warm-up run (JIT, pools, connections), then the measured one with the same parameters. The CPU time of `pid`
 * during the measured run, per request, is a figure that the machine's other load disturbs much less than rps.
 */
async function wrk(url: string, pid?: number, headers: string[] = []): Promise<Result> {
  const h = headers.flatMap((header) => ['-H', header]);
  await run('wrk', [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${WARMUP}`, ...h, url], { maxBuffer: 1 << 20 });
  const before = pid === undefined ? undefined : treeCpuTicks(pid);
  const { stdout } = await run('wrk', [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', ...h, url], {
    maxBuffer: 1 << 20,
  });
  const after = pid === undefined ? undefined : treeCpuTicks(pid);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)![1]);
  const [, value, unit] = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout)!;
  const p99ms = Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (non2xx) throw new Error(`${url}: ${non2xx[1]} non-2xx responses\n${stdout}`);
  if (!before || !after) return { rps, p99ms };
  const perRequest = (ticks: number) => (ticks * (1e6 / CLOCK_TICKS)) / requests;
  return { rps, p99ms, cpuUs: perRequest(after.tree - before.tree), ownCpuUs: perRequest(after.own - before.own) };
}

/** Linux's USER_HZ, the unit of /proc/PID/stat times. */
const CLOCK_TICKS = 100;

/** utime + stime of a process (all its threads), from /proc/PID/stat. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU ticks of `pid` and of all its descendants alive now (children that ended during a run are missed: none should).
 */
function treeCpuTicks(pid: number): { own: number; tree: number } {
  const own = cpuTicks(pid);
  let tree = own;
  const walk = (parent: number) => {
    for (const task of readdirSync(`/proc/${parent}/task`)) {
      for (const child of readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
        try {
          tree += cpuTicks(Number(child));
          walk(Number(child));
        } catch {
          // it ended meanwhile
        }
      }
    }
  };
  walk(pid);
  return { own, tree };
}

/** nginx's one worker (the child of the master we started). */
function nginxWorker(master: number): number {
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).map(Number);
  if (children.length !== 1 || !children[0]) throw new Error(`expected one nginx worker, found ${children.join(', ')}`);
  return children[0];
}

/** node:http in, an undici pool out, bodies streamed, hop-by-hop headers dropped: nothing else. */
const BARE_RELAY = `import { Pool } from 'undici';
const pool = new Pool('UPSTREAM', { connections: 256, keepAliveTimeout: 4000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
const handle = (req, res) => {
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (!HOP.has(req.rawHeaders[i].toLowerCase())) headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  pool.dispatch({ path: req.url, method: req.method, headers, body: req.method === 'GET' ? null : req }, {
    onConnect() {},
    onError(err) { res.destroy(err); },
    onHeaders(status, raw, resume) {
      const out = [];
      for (let i = 0; i < raw.length; i += 2) { const name = raw[i].toString('latin1'); if (!HOP.has(name.toLowerCase())) out.push(name, raw[i + 1].toString('latin1')); }
      res.writeHead(status, out);
      return true;
    },
    onData(chunk) { return res.write(chunk); },
    onComplete() { res.end(); },
  });
}`;

/**
 * node:http in, the handler in worker threads (two, as the gateway's pool runs here), each turn's events posted to a
 * worker in one message as objects, results as JSON text taken in one go: what the Lambda route cannot do without.
 */
const BARE_LAMBDA = `import { Worker, MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
const WORKER = \`import { parentPort, workerData } from 'node:worker_threads';
const handler = HANDLER_SOURCE;
parentPort.on('message', async (invocations) => {
  for (const { id, event } of invocations) workerData.results.postMessage({ id, payload: JSON.stringify(await handler(event, {})) });
});\`;
const environments = [0, 1].map(() => {
  const { port1, port2 } = new MessageChannel();
  const env = { worker: new Worker(WORKER, { eval: true, workerData: { results: port2 }, transferList: [port2] }), results: port1, waiting: new Map(), outbox: [] };
  const take = (m) => { env.waiting.get(m.id)(m.payload); env.waiting.delete(m.id); };
  port1.on('message', (m) => { take(m); for (let r = receiveMessageOnPort(port1); r; r = receiveMessageOnPort(port1)) take(r.message); });
  return env;
});
let nextId = 0;
const invoke = (event) => new Promise((resolve) => {
  const env = environments[0].waiting.size <= environments[1].waiting.size ? environments[0] : environments[1];
  const id = nextId++;
  env.waiting.set(id, resolve);
  env.outbox.push({ id, event });
  if (env.outbox.length === 1) setImmediate(() => { env.worker.postMessage(env.outbox); env.outbox = []; });
});
const handle = async (req, res) => {
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i].toLowerCase()] = req.rawHeaders[i + 1];
  const now = Date.now();
  const payload = await invoke({
    version: '2.0', routeKey: 'GET /fn', rawPath: req.url, rawQueryString: '', headers,
    requestContext: { accountId: '000000000000', apiId: 'abcdefghij', domainName: 'abcdefghij.execute-api.localhost', domainPrefix: 'abcdefghij',
      http: { method: req.method, path: req.url, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress, userAgent: headers['user-agent'] ?? '' },
      requestId: 'abcdefghijklmno=', routeKey: 'GET /fn', stage: '$default', time: new Date(now).toISOString(), timeEpoch: now },
    isBase64Encoded: false,
  });
  const r = JSON.parse(payload);
  res.writeHead(r.statusCode, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}`;

/** A child Node process serving `source` (a module whose default export is an http request handler) on `port`. */
/** With BENCH_CPU_PROF, the arguments that make a baseline process write its CPU profile under DIR/`name`. */
function cpuProfile(name: string | undefined): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir && name ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir, name)}`] : [];
}

function nodeServer(port: number, body: string, profileAs?: string): ChildProcess {
  const code = `import http from 'node:http'; ${body}; http.createServer({ keepAliveTimeout: 65000 }, handle).listen(${port}, '127.0.0.1', () => process.send?.('ready')); process.on('SIGTERM', () => process.exit());`;
  return spawn(process.execPath, [...cpuProfile(profileAs), '--input-type=module', '-e', code], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

const ready = <T = unknown>(child: ChildProcess) =>
  new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });

interface EdgeInfo {
  url: string;
  region: string;
  accountId: string;
}

/** The edge in its own Node process (src/edge/main.ts), reporting over IPC. */
function startEdgeProcess(
  dataDir: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`]
    : [];
  const main = path.join(import.meta.dirname, '..', '..', 'src', 'edge', 'main.ts');
  return spawn(process.execPath, ['--import', 'tsx', ...profile, main], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      DDN_EDGE_HOST: '127.0.0.1',
      DDN_EDGE_PORT: '0',
      DDN_DATA_DIR: dataDir,
      DDN_LOG_LEVEL: 'silent',
      DDN_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId,
      DDN_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function startNginx(dir: string, port: number, upstreamPort: number): ChildProcess {
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  log_format json escape=json '{ "requestId":"$request_id", "ip": "$remote_addr", "requestTime":"$time_local", "httpMethod":"$request_method", "status":"$status", "protocol":"$server_protocol", "responseLength":"$body_bytes_sent" }';
  access_log ${dir}/access.log json buffer=64k flush=1s;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  return spawn('/usr/sbin/nginx', ['-p', dir, '-c', conf], { stdio: 'inherit' });
}

/** A minimal OIDC issuer on loopback (discovery document and JWKS) and one token it signed, valid for an hour. */
async function startIssuer(): Promise<{ issuer: string; token: string; server: http.Server }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/keys' ? { keys: [jwk] } : { issuer, jwks_uri: `${issuer}/keys` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const token = await new SignJWT({
    sub: 'bench-user',
    'cognito:username': 'bench',
    client_id: 'bench-client',
    scope: 'api/read',
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  return { issuer, token, server };
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);
const line = (name: string, r: Result) =>
  `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} rps   p99 ${r.p99ms.toFixed(2).padStart(7)} ms` +
  (r.cpuUs === undefined ? '' : `   CPU ${r.cpuUs.toFixed(0).padStart(4)} µs/request`) +
  (r.cpuUs !== undefined && r.ownCpuUs !== undefined && r.cpuUs - r.ownCpuUs >= 1
    ? ` (own process ${r.ownCpuUs.toFixed(0)}, children ${(r.cpuUs - r.ownCpuUs).toFixed(0)})`
    : '');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-bench-gateway-'));
  const children: ChildProcess[] = [];
  const credentials = { accessKeyId: 'AKIABENCHGATEWAY', secretAccessKey: 'bench-secret-key' };
  const edgeProcess = startEdgeProcess(path.join(dir, 'data'), credentials);
  const oidc = await startIssuer();
  try {
    const edge = await ready<EdgeInfo>(edgeProcess);
    const upstreamPort = await freePort('127.0.0.1');
    const upstream = nodeServer(
      upstreamPort,
      `const handle = (req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('pong'); }`,
    );
    children.push(upstream);
    await ready(upstream);
    // The least any Node proxy built on node:http and an undici pool does per request: the floor under ours.
    const relayPort = await freePort('127.0.0.1');
    const relay = nodeServer(relayPort, BARE_RELAY.replace('UPSTREAM', `http://127.0.0.1:${upstreamPort}`), 'relay');
    children.push(relay);
    await ready(relay);
    // The least any Lambda route built on node:http and worker threads does per request: the floor under ours.
    const lambdaFloorPort = await freePort('127.0.0.1');
    const lambdaFloor = nodeServer(lambdaFloorPort, BARE_LAMBDA.replace('HANDLER_SOURCE', HANDLER_FUNCTION));
    children.push(lambdaFloor);
    await ready(lambdaFloor);
    // The same with the handler in child processes over the Lambda Runtime API: what process isolation itself costs.
    const processFloorPort = await freePort('127.0.0.1');
    const processFloor = spawn(
      process.execPath,
      [
        ...cpuProfile('process-floor'),
        path.join(import.meta.dirname, 'process-floor.mjs'),
        String(processFloorPort),
        String(LAMBDA_ENVIRONMENTS),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, HANDLER_SOURCE: HANDLER_FUNCTION } },
    );
    children.push(processFloor);
    await ready(processFloor);
    const nginxPort = await freePort('127.0.0.1');
    const nginx = startNginx(path.join(dir, 'nginx'), nginxPort, upstreamPort);
    children.push(nginx);
    await waitForPort(nginxPort);
    const inProcessPort = await freePort('127.0.0.1');
    const inProcess = nodeServer(
      inProcessPort,
      `const handler = ${HANDLER_FUNCTION};
       const handle = async (req, res) => { const r = await handler({}); res.writeHead(r.statusCode, r.headers); res.end(r.body); }`,
    );
    children.push(inProcess);
    await ready(inProcess);

    const clientConfig = { region: edge.region, endpoint: edge.url, credentials };
    const apigw = new ApiGatewayV2Client(clientConfig);
    const lambda = new LambdaClient(clientConfig);
    const role = await createRole(new IAMClient(clientConfig), executionRole('bench', ['*']));
    const fn = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'bench',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: role,
        Code: { ZipFile: zipSync({ 'index.mjs': strToU8(HANDLER) }) },
      }),
    );
    const api = await apigw.send(new CreateApiCommand({ Name: 'bench', ProtocolType: 'HTTP' }));
    const httpInteg = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: api.ApiId,
        IntegrationType: 'HTTP_PROXY',
        IntegrationMethod: 'ANY',
        IntegrationUri: `http://127.0.0.1:${upstreamPort}`,
        PayloadFormatVersion: '1.0',
      }),
    );
    const fnInteg = await apigw.send(
      new CreateIntegrationCommand({
        ApiId: api.ApiId,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: fn.FunctionArn,
        PayloadFormatVersion: '2.0',
      }),
    );
    await apigw.send(
      new CreateRouteCommand({
        ApiId: api.ApiId,
        RouteKey: 'GET /ping',
        Target: `integrations/${httpInteg.IntegrationId}`,
      }),
    );
    await apigw.send(
      new CreateRouteCommand({
        ApiId: api.ApiId,
        RouteKey: 'GET /fn',
        Target: `integrations/${fnInteg.IntegrationId}`,
      }),
    );
    const jwt = await apigw.send(
      new CreateAuthorizerCommand({
        ApiId: api.ApiId,
        Name: 'users',
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: oidc.issuer, Audience: ['bench-client'] },
      }),
    );
    await apigw.send(
      new CreateRouteCommand({
        ApiId: api.ApiId,
        RouteKey: 'GET /secure/ping',
        Target: `integrations/${httpInteg.IntegrationId}`,
        AuthorizationType: 'JWT',
        AuthorizerId: jwt.AuthorizerId,
        AuthorizationScopes: ['api/read'],
      }),
    );
    // Access logs on, as `ddn up` sets them on the platform's stage (nginx logs too, buffered).
    const accessLog = {
      DestinationArn: `arn:aws:logs:${edge.region}:${edge.accountId}:log-group:/aws/apigw/bench`,
      Format: DEFAULT_ACCESS_LOG_FORMAT,
    };
    await apigw.send(
      new CreateStageCommand({
        ApiId: api.ApiId,
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: accessLog,
      }),
    );
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'bench',
        StatementId: 'apigw',
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:aws:execute-api:${edge.region}:${edge.accountId}:${api.ApiId}/*/*`,
      }),
    );
    await waitForFunction(lambda, 'bench');
    const gateway = `${edge.url}/_aws/execute-api/${api.ApiId}`;
    const bearer = `Authorization: Bearer ${oidc.token}`;
    for (const url of [`${gateway}/ping`, `${gateway}/fn`, `${gateway}/secure/ping`]) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${oidc.token}` } });
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    }

    console.log(
      `wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION} after a ${WARMUP} warm-up, GET /ping (and GET /fn), ${ROUNDS} rounds of all targets; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      'nginx: worker_processes 1; ddn: one Node process (the edge); upstream and in-process handler: one Node process each; access logs on in nginx and ddn\n',
    );
    const allTargets: Array<{ name: string; url: string; pid: () => number | undefined; headers?: string[] }> = [
      { name: 'upstream directly', url: `http://127.0.0.1:${upstreamPort}/ping`, pid: () => upstream.pid },
      {
        name: 'nginx proxy_pass (baseline)',
        url: `http://127.0.0.1:${nginxPort}/ping`,
        pid: () => nginxWorker(nginx.pid!),
      },
      { name: 'bare node:http + undici relay', url: `http://127.0.0.1:${relayPort}/ping`, pid: () => relay.pid },
      { name: 'ddn gateway HTTP_PROXY', url: `${gateway}/ping`, pid: () => edgeProcess.pid },
      { name: 'handler in-process (baseline)', url: `http://127.0.0.1:${inProcessPort}/fn`, pid: () => inProcess.pid },
      {
        name: 'bare node:http + worker threads',
        url: `http://127.0.0.1:${lambdaFloorPort}/fn`,
        pid: () => lambdaFloor.pid,
      },
      {
        name: 'bare node:http + child processes',
        url: `http://127.0.0.1:${processFloorPort}/fn`,
        pid: () => processFloor.pid,
      },
      { name: 'ddn gateway AWS_PROXY -> Lambda', url: `${gateway}/fn`, pid: () => edgeProcess.pid },
      {
        name: 'ddn gateway HTTP_PROXY, no authorizer',
        url: `${gateway}/ping`,
        pid: () => edgeProcess.pid,
        headers: [bearer],
      },
      {
        name: 'ddn gateway HTTP_PROXY + JWT',
        url: `${gateway}/secure/ping`,
        pid: () => edgeProcess.pid,
        headers: [bearer],
      },
    ];
    const only = process.env.BENCH_ONLY;
    const targets =
      only === 'jwt'
        ? allTargets.slice(-2)
        : only === 'lambda'
          ? allTargets.slice(4, 8)
          : only === 'proxy'
            ? allTargets.slice(2, 4)
            : allTargets;
    // Rounds of every target in turn, medians reported: the machine's other load drifts, and this spreads it evenly.
    const results = new Map<string, Result[]>(targets.map((t) => [t.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of targets) {
        const r = await wrk(t.url, t.pid(), t.headers);
        results.get(t.name)!.push(r);
        console.log(line(`${t.name} #${round}`, r));
      }
    }
    const median = (name: string): Result => {
      const rs = results.get(name)!;
      const mid = (f: (r: Result) => number) => rs.map(f).sort((a, b) => a - b)[rs.length >> 1];
      return {
        rps: mid((r) => r.rps),
        p99ms: mid((r) => r.p99ms),
        cpuUs: mid((r) => r.cpuUs ?? 0),
        ownCpuUs: mid((r) => r.ownCpuUs ?? 0),
      };
    };
    console.log('\nmedians');
    for (const t of targets) console.log(line(t.name, median(t.name)));
    const byName = (name: string) => median(allTargets.find((t) => t.name.startsWith(name))!.name);
    if (only === undefined || only === 'jwt') {
      const [open, secured] = targets.slice(-2).map((t) => median(t.name)) as [Result, Result];
      console.log(
        `\nJWT route vs the same route with no authorizer (same token sent to both): rps ${ratio(secured.rps, open.rps)}x (goal >= 0.8), p99 ${ratio(secured.p99ms, open.p99ms)}x, CPU per request +${(secured.cpuUs! - open.cpuUs!).toFixed(0)} µs`,
      );
    }
    if (only === undefined || only === 'proxy') {
      const [viaRelay, viaGateway] = ['bare node:http + undici', 'ddn gateway HTTP_PROXY'].map(byName) as [
        Result,
        Result,
      ];
      console.log(
        `\nHTTP_PROXY vs bare relay: rps ${ratio(viaGateway.rps, viaRelay.rps)}x (goal >= 0.8), p99 ${ratio(viaGateway.p99ms, viaRelay.p99ms)}x (goal <= 1.25), CPU per request ${ratio(viaGateway.cpuUs!, viaRelay.cpuUs!)}x`,
      );
    }
    if (only === undefined) {
      const [viaNginx, viaRelay, viaGateway] = ['nginx', 'bare node:http + undici', 'ddn gateway HTTP_PROXY'].map(
        byName,
      ) as [Result, Result, Result];
      // For reference only: a Node relay with no gateway logic reaches about 0.7x nginx here, so nginx sets no goal.
      console.log(
        `  vs nginx: HTTP_PROXY rps ${ratio(viaGateway.rps, viaNginx.rps)}x, p99 ${ratio(viaGateway.p99ms, viaNginx.p99ms)}x, CPU per request ${ratio(viaGateway.cpuUs!, viaNginx.cpuUs!)}x; bare relay rps ${ratio(viaRelay.rps, viaNginx.rps)}x, p99 ${ratio(viaRelay.p99ms, viaNginx.p99ms)}x`,
      );
    }
    if (only === undefined || only === 'lambda') {
      const [fnInProc, fnFloor, fnProcesses, fnGateway] = [
        'handler in-process',
        'bare node:http + worker',
        'bare node:http + child',
        'ddn gateway AWS_PROXY',
      ].map(byName) as [Result, Result, Result, Result];
      console.log(
        `Lambda vs in-process:  rps ${ratio(fnGateway.rps, fnInProc.rps)}x (goal >= 0.5), p99 ${ratio(fnGateway.p99ms, fnInProc.p99ms)}x, CPU per request ${ratio(fnGateway.cpuUs!, fnInProc.cpuUs!)}x`,
      );
      console.log(
        `  bare worker threads vs in-process: rps ${ratio(fnFloor.rps, fnInProc.rps)}x; Lambda vs bare worker threads: rps ${ratio(fnGateway.rps, fnFloor.rps)}x (goal >= 0.8), CPU per request +${(fnGateway.cpuUs! - fnFloor.cpuUs!).toFixed(0)} µs`,
      );
      console.log(
        `  bare child processes vs in-process: rps ${ratio(fnProcesses.rps, fnInProc.rps)}x; Lambda vs bare child processes: rps ${ratio(fnGateway.rps, fnProcesses.rps)}x, CPU per request ${ratio(fnGateway.cpuUs!, fnProcesses.cpuUs!)}x (+${(fnGateway.cpuUs! - fnProcesses.cpuUs!).toFixed(0)} µs)`,
      );
    }
    console.log(
      `load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (${cpus().length} cores; other processes on the machine skew rps and p99, less so CPU per request)`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    edgeProcess.kill('SIGTERM');
    oidc.server.close();
    oidc.server.closeAllConnections();
    await exited(edgeProcess);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
