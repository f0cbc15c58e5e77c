// The Node.js runtime inside one execution environment (a worker thread). Plain JavaScript: it loads
// the function's own code, which is JavaScript, and must not depend on the host's TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const MAX_LOG_BYTES = 1 << 20;
const { taskRoot, handler: handlerSetting, functionName, functionVersion, functionArn, memorySize, logGroupName, logStreamName, results } = workerData;
// A queued invocation starts right after the running one only if that one ended this long before its deadline;
// later, the host may be declaring a timeout, so it decides (it re-sends the invocation or runs it elsewhere).
const START_NEXT_GUARD_MS = 100;

let currentRequestId = undefined;
let log = [];
let logBytes = 0;

function appendLog(text) {
  log.push(text);
  logBytes += text.length;
  while (logBytes > MAX_LOG_BYTES && log.length > 1) logBytes -= log.shift().length;
}

function takeLog() {
  const text = log.join('');
  log = [];
  logBytes = 0;
  return text;
}

for (const [method, level] of [['log', 'INFO'], ['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['debug', 'DEBUG'], ['trace', 'TRACE']]) {
  console[method] = (...args) => appendLog(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${format(...args)}\n`);
}
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    appendLog(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') queueMicrotask(cb);
    return true;
  };
}

/** AWS's error object for the Node.js runtime (`trace`), with `stackTrace` as other runtimes name it. */
function errorObject(err, errorTypeOverride) {
  if (err instanceof Error) {
    const trace = (err.stack ?? `${err.name}: ${err.message}`).split('\n');
    return { errorType: errorTypeOverride ?? err.name ?? 'Error', errorMessage: err.message, trace, stackTrace: trace };
  }
  return { errorType: errorTypeOverride ?? typeof err, errorMessage: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err), trace: [], stackTrace: [] };
}

async function loadHandler() {
  const slash = handlerSetting.lastIndexOf('/');
  const dot = handlerSetting.indexOf('.', slash + 1);
  if (dot === -1) {
    throw Object.assign(new Error(`Bad handler ${handlerSetting}: missing module or function name`), { lambdaType: 'Runtime.MalformedHandlerName' });
  }
  const moduleName = handlerSetting.slice(0, dot);
  const exportPath = handlerSetting.slice(dot + 1).split('.');
  const base = path.resolve(taskRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`), { lambdaType: 'Runtime.ImportModuleError' });
  }
  let mod;
  try {
    if (file.endsWith('.mjs')) mod = await import(pathToFileURL(file).href);
    else {
      try {
        mod = createRequire(file)(file);
      } catch (err) {
        if (err?.code !== 'ERR_REQUIRE_ESM') throw err;
        mod = await import(pathToFileURL(file).href);
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) throw Object.assign(err, { lambdaType: 'Runtime.UserCodeSyntaxError' });
    if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') throw Object.assign(err, { lambdaType: 'Runtime.ImportModuleError' });
    throw err;
  }
  let fn = mod;
  for (const key of exportPath) fn = fn?.[key];
  if (typeof fn !== 'function' && mod?.default) {
    fn = mod.default;
    for (const key of exportPath) fn = fn?.[key];
  }
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${handlerSetting} is undefined or not exported`), { lambdaType: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (err) => callback(err ?? new Error('handled'));
    const returned = handler(event, context, callback);
    // Like the Lambda runtime: a returned promise settles the invocation; otherwise the callback must.
    if (returned && typeof returned.then === 'function') returned.then((r) => callback(null, r), (e) => callback(e ?? new Error('rejected')));
  });
}

let handler;
try {
  handler = await loadHandler();
  results.postMessage({ type: 'ready', log: takeLog() });
} catch (err) {
  results.postMessage({ type: 'init-error', error: errorObject(err, err?.lambdaType), log: takeLog() });
}

// Invocations may arrive while one runs (the host queues the next one to save a thread hand-off); they run one at a
// time, in order, each with its own deadline from the moment it starts.
const queue = [];
let running = false;

parentPort.on('message', (message) => {
  if (message.type !== 'invoke') return;
  queue.push(...message.invocations);
  if (!running) void runQueue();
});

let previousDeadline = 0;
/** Invocations handed back and not yet sent again: the host sends them again in its order, one at a time. */
const handedBack = new Set();

async function runQueue() {
  running = true;
  while (queue.length > 0) {
    const next = queue.shift();
    // An invocation without a host deadline was queued behind the previous one. Results are posted before the next
    // invocation starts, so a host that drains them on its timer sees the previous result; near the previous
    // deadline the host may be declaring a timeout instead, so hand the queued one back. While any is handed back,
    // later queued ones are handed back too: the host's order stays the order they run in.
    if (next.deadline === undefined && (handedBack.size > 0 || Date.now() > previousDeadline - START_NEXT_GUARD_MS)) {
      handedBack.add(next.requestId);
      results.postMessage({ type: 'held', requestId: next.requestId });
      continue;
    }
    handedBack.delete(next.requestId);
    previousDeadline = await invoke(next);
  }
  running = false;
}

/** Runs one invocation, posts its result and returns its deadline. */
async function invoke({ requestId, event, timeoutMs, deadline: hostDeadline, clientContext }) {
  const deadline = Math.min(Date.now() + timeoutMs, hostDeadline ?? Infinity);
  currentRequestId = requestId;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memorySize),
    awsRequestId: requestId,
    logGroupName,
    logStreamName,
    clientContext: clientContext === undefined ? undefined : JSON.parse(clientContext),
    identity: undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let reply;
  try {
    const result = await runHandler(handler, typeof event === 'string' ? JSON.parse(event) : event, context);
    reply = { ok: true, payload: JSON.stringify(result) ?? 'null' };
  } catch (err) {
    const error = errorObject(err);
    console.error(`Invoke Error \t${JSON.stringify(error)}`);
    reply = { ok: false, payload: JSON.stringify(error) };
  }
  currentRequestId = undefined;
  results.postMessage({ type: 'result', requestId, ...reply, log: takeLog() });
  return deadline;
}
