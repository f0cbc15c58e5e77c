// The Node.js runtime of one execution environment (a child process): it takes invocations from the Lambda Runtime
// API (AWS_LAMBDA_RUNTIME_API) and runs the function's handler on them, with AWS's handler semantics (async or
// callback handlers, the context object). Plain JavaScript: it loads the function's own code, which is JavaScript,
// and must not depend on the host's TypeScript loader.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import nodeModule, { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const env = process.env;
const [apiHost, apiPort] = env.AWS_LAMBDA_RUNTIME_API.split(':');
const handlerSetting = env._HANDLER;
const taskRoot = env.LAMBDA_TASK_ROOT;

// ES module imports ignore NODE_PATH, but Lambda resolves a bare specifier the function's code does not hold from
// its layers' package directories (Node 18 and later). registerHooks runs in this thread (Node >= 22.15); the hooks
// of older versions need a worker thread, which the permission model forbids, so there only require() finds layers.
const layerModuleDirs = env.NODE_PATH?.split(':').filter(Boolean) ?? [];
if (layerModuleDirs.length > 0 && typeof nodeModule.registerHooks === 'function') {
  const parents = layerModuleDirs.map((dir) => pathToFileURL(path.join(dir, 'layer.mjs')).href);
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (err) {
        if (err?.code !== 'ERR_MODULE_NOT_FOUND' || /^(\.|\/|[a-z]+:)/.test(specifier)) throw err;
        for (const parentURL of parents) {
          try {
            return nextResolve(specifier, { ...context, parentURL });
          } catch {
            // not in this directory: try the next
          }
        }
        throw err;
      }
    },
  });
}

/**
 * Lambda sets _X_AMZN_TRACE_ID for each invocation. In the process environment that would leak: glibc's setenv keeps
 * every value it was ever given (about 140 bytes an invocation, which takes a busy warm environment to its memory
 * limit within minutes). Functions start no processes here, so only JavaScript reads it: `process.env` serves the
 * variable from this runtime and everything else from the real environment.
 */
const TRACE_ID = '_X_AMZN_TRACE_ID';
let traceIdValue;
process.env = new Proxy(env, {
  get: (target, key) => (key === TRACE_ID ? traceIdValue : Reflect.get(target, key)),
  set(target, key, value) {
    if (key !== TRACE_ID) return Reflect.set(target, key, value);
    traceIdValue = String(value);
    return true;
  },
  defineProperty(target, key, descriptor) {
    if (key !== TRACE_ID) return Reflect.defineProperty(target, key, descriptor);
    traceIdValue = String(descriptor.value);
    return true;
  },
  deleteProperty(target, key) {
    if (key !== TRACE_ID) return Reflect.deleteProperty(target, key);
    traceIdValue = undefined;
    return true;
  },
  has: (target, key) => (key === TRACE_ID ? traceIdValue !== undefined : Reflect.has(target, key)),
  ownKeys: (target) => (traceIdValue === undefined ? Reflect.ownKeys(target) : [...Reflect.ownKeys(target), TRACE_ID]),
  getOwnPropertyDescriptor(target, key) {
    if (key !== TRACE_ID) return Reflect.getOwnPropertyDescriptor(target, key);
    if (traceIdValue === undefined) return undefined;
    return { value: traceIdValue, writable: true, enumerable: true, configurable: true };
  },
});

let currentRequestId;
for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
]) {
  const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
  console[method] = (...args) =>
    stream.write(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${format(...args)}\n`);
}

/**
 * The Runtime API client: one kept-alive connection, each step written in one piece (node:http's client costs more
 * than the rest of a small invocation). Requests may be pipelined: the answers come back in order. The edge going
 * away ends this environment.
 */
const socket = net.connect(Number(apiPort), apiHost);
socket.setNoDelay(true);
socket.on('error', () => process.exit(0));
socket.on('close', () => process.exit(0));
const ROUTE = '/2018-06-01/runtime/';
const NEXT = `GET ${ROUTE}invocation/next HTTP/1.1\r\nHost: ${apiHost}\r\n\r\n`;
const POST_HEAD = ` HTTP/1.1\r\nHost: ${apiHost}\r\nContent-Type: application/json\r\n`;
let received = Buffer.alloc(0);
/** Chunks of an answer still incomplete, joined once it is whole: joining each chunk would copy a large event over and over. */
let parts = [];
let partsLength = 0;
/** How many bytes `received` must hold before its first answer is complete (0: not known). */
let needed = 0;
/** What waits for each answer still to come, in order: a resolve function, or null for an answer nobody reads. */
const waiting = [];
socket.on('data', (chunk) => {
  if (received.length + partsLength + chunk.length < needed) {
    parts.push(chunk);
    partsLength += chunk.length;
    return;
  }
  received = received.length === 0 && parts.length === 0 ? chunk : Buffer.concat([received, ...parts, chunk]);
  parts = [];
  partsLength = 0;
  needed = 0;
  while (waiting.length > 0 && takeResponse());
});

/** The value of `name` (lower case, with its colon) in a response head and its lower-cased copy. */
function header(head, lower, name) {
  let at = lower.indexOf(name);
  if (at === -1) return undefined;
  at += name.length;
  const end = head.indexOf('\r\n', at);
  return head.slice(at, end === -1 ? head.length : end).trim();
}

/** Hands the first complete response to the first request waiting for one; false while none is complete. */
function takeResponse() {
  const end = received.indexOf('\r\n\r\n');
  if (end === -1) return false;
  const head = received.toString('latin1', 0, end);
  const lower = head.toLowerCase();
  const length = Number(header(head, lower, '\ncontent-length:') ?? 0);
  if (received.length < end + 4 + length) {
    needed = end + 4 + length;
    return false;
  }
  const resolve = waiting.shift();
  if (resolve)
    resolve({
      status: Number(head.slice(9, 12)),
      head,
      lower,
      body: received.toString('utf8', end + 4, end + 4 + length),
    });
  received = received.subarray(end + 4 + length);
  return true;
}

/** A request's text: `route` under the Runtime API, the JSON `payload` as its body. */
function postText(route, payload, errorType) {
  const type = errorType ? `Lambda-Runtime-Function-Error-Type: ${errorType}\r\n` : '';
  return `POST ${ROUTE}${route}${POST_HEAD}${type}Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
}

function send(text) {
  socket.write(text);
  return new Promise((resolve) => waiting.push(resolve));
}

/**
 * Output still queued in this process (a full pipe) is written before the result, so the log is complete. An empty
 * write's callback runs once everything queued before it is written; 'drain' would only come after a write that
 * crossed the high-water mark (stdio pipes are asynchronous on Node 24).
 */
async function flushOutput() {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength > 0) await new Promise((resolve) => stream.write('', resolve));
  }
}

async function post(route, payload, errorType) {
  await flushOutput();
  return send(postText(route, payload, errorType));
}

/**
 * Posts an invocation's result and asks for the next invocation in the same write (the Runtime API answers them in
 * order; the answer to the post is not needed): one round trip per invocation instead of two.
 */
function postAndNext(route, payload, errorType) {
  const text = postText(route, payload, errorType) + NEXT;
  if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0)
    return flushOutput().then(() => postAndNextNow(text));
  return postAndNextNow(text);
}

function postAndNextNow(text) {
  waiting.push(null);
  return send(text);
}

/** AWS's error object for the Node.js runtime (`trace`), with `stackTrace` as other runtimes name it. */
function errorObject(err, errorTypeOverride) {
  if (err instanceof Error) {
    const trace = (err.stack ?? `${err.name}: ${err.message}`).split('\n');
    return { errorType: errorTypeOverride ?? err.name ?? 'Error', errorMessage: err.message, trace, stackTrace: trace };
  }
  return {
    errorType: errorTypeOverride ?? typeof err,
    errorMessage: typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)),
    trace: [],
    stackTrace: [],
  };
}

async function loadHandler() {
  const slash = handlerSetting.lastIndexOf('/');
  const dot = handlerSetting.indexOf('.', slash + 1);
  if (dot === -1) {
    throw Object.assign(new Error(`Bad handler ${handlerSetting}: missing module or function name`), {
      lambdaType: 'Runtime.MalformedHandlerName',
    });
  }
  const moduleName = handlerSetting.slice(0, dot);
  const exportPath = handlerSetting.slice(dot + 1).split('.');
  const base = path.resolve(taskRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`), {
      lambdaType: 'Runtime.ImportModuleError',
    });
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
    if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND')
      throw Object.assign(err, { lambdaType: 'Runtime.ImportModuleError' });
    throw err;
  }
  let fn = mod;
  for (const key of exportPath) fn = fn?.[key];
  if (typeof fn !== 'function' && mod?.default) {
    fn = mod.default;
    for (const key of exportPath) fn = fn?.[key];
  }
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${handlerSetting} is undefined or not exported`), {
      lambdaType: 'Runtime.HandlerNotFound',
    });
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
    if (returned && typeof returned.then === 'function')
      returned.then(
        (r) => callback(null, r),
        (e) => callback(e ?? new Error('rejected')),
      );
  });
}

let handler;
try {
  handler = await loadHandler();
} catch (err) {
  const error = errorObject(err, err?.lambdaType);
  console.error(`${error.errorType}: ${error.errorMessage}`);
  await post('init/error', JSON.stringify(error), error.errorType);
  process.exit(1);
}

const functionName = env.AWS_LAMBDA_FUNCTION_NAME;
const functionVersion = env.AWS_LAMBDA_FUNCTION_VERSION;
const memoryLimitInMB = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
const logGroupName = env.AWS_LAMBDA_LOG_GROUP_NAME;
const logStreamName = env.AWS_LAMBDA_LOG_STREAM_NAME;

let next = await send(NEXT);
for (;;) {
  const { head, lower } = next;
  const requestId = header(head, lower, '\nlambda-runtime-aws-request-id:');
  const deadline = Number(header(head, lower, '\nlambda-runtime-deadline-ms:'));
  const traceId = header(head, lower, '\nlambda-runtime-trace-id:');
  const clientContext = header(head, lower, '\nlambda-runtime-client-context:');
  const identity = header(head, lower, '\nlambda-runtime-cognito-identity:');
  currentRequestId = requestId;
  traceIdValue = traceId;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion,
    invokedFunctionArn: header(head, lower, '\nlambda-runtime-invoked-function-arn:'),
    memoryLimitInMB,
    awsRequestId: requestId,
    logGroupName,
    logStreamName,
    clientContext: clientContext ? JSON.parse(clientContext) : undefined,
    identity: identity ? JSON.parse(identity) : undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let route = `invocation/${requestId}/response`;
  let payload;
  let errorType;
  try {
    const result = await runHandler(handler, JSON.parse(next.body), context);
    payload = JSON.stringify(result) ?? 'null';
  } catch (err) {
    const error = errorObject(err);
    console.error(`Invoke Error \t${JSON.stringify(error)}`);
    [route, payload, errorType] = [`invocation/${requestId}/error`, JSON.stringify(error), error.errorType];
  }
  currentRequestId = undefined;
  next = await postAndNext(route, payload, errorType);
}
