import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AwsError } from '../edge/errors.ts';
import { pathParameter, writeRestJsonError } from '../protocols/rest-json.ts';
import { RestJsonOperations } from '../protocols/rest-json-operations.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService, InternalRoute } from '../edge/types.ts';
import type { Logger } from '../config/logger.ts';
import type { LambdaMetadata, StoredEventInvokeConfig, StoredFunction } from '../state/lambda-metadata.ts';
import { InvalidCodeError, MAX_UNZIPPED_BYTES, unzippedSize, type LambdaCodeStore } from '../state/lambda-code.ts';
import type { FunctionLayer, LambdaLayers } from '../state/lambda-layers.ts';
import { functionArn, parseFunctionRef, type FunctionRef } from './arn.ts';
import { CODE_PATH, serveCode } from './code-server.ts';
import { codeSource, readS3Package, type CodeInput, type S3ObjectOpener } from './code-source.ts';
import { invalidParameter, lambdaErrorBody, notFound } from './errors.ts';
import { functionConfiguration } from './functions.ts';
import { FunctionLifecycle } from './lifecycle.ts';
import { retryDecision } from './async-retry.ts';
import type { EventObject, InvokeOptions, InvokeResult, LambdaInvoker } from './invoker.ts';
import type { IamRoles } from '../iam/service.ts';
import { LAMBDA_OPERATIONS } from './model-operations.ts';
import { functionOperations } from './operations/functions.ts';
import { invokeOperations } from './operations/invoke.ts';
import { concurrencyOperations } from './operations/concurrency.ts';
import { permissionOperations } from './operations/permissions.ts';
import { tagOperations } from './operations/tags.ts';
import { aliasOperations } from './operations/aliases.ts';
import { versionOperations } from './operations/versions.ts';
import { eventInvokeConfigOperations } from './operations/event-invoke-config.ts';
import { functionUrlOperations } from './operations/function-urls.ts';
import type { LambdaFunctionUrls } from '../state/lambda-function-urls.ts';
import { layerOperations } from './operations/layers.ts';
import { layerVariables, SYSTEM_PATH } from './runtime/layer-paths.ts';
import type { LambdaContext, LambdaOperation } from './operations/types.ts';
import { statementAllows, type PolicyStatement } from './policy.ts';
import { EnvironmentPool } from './runtime/pool.ts';
import type { EnvironmentSpec, Invocation, InvocationOutcome } from './runtime/environment.ts';

const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 1024 * 1024;
const MAX_RESPONSE_PAYLOAD = 6 * 1024 * 1024;
const MAX_ZIP_BYTES = 50 * 1024 * 1024;
/**
 * Lambda's limit on a request: a 50 MiB zip in base64, the number its RequestEntityTooLargeException names
 * (unconfirmed whether AWS measures the whole body or the ZipFile member; here the whole body).
 */
const MAX_REQUEST_BYTES = Math.ceil((MAX_ZIP_BYTES * 4) / 3);
const TAIL_BYTES = 4096;
/** More environments than cores only adds thread contention for CPU-bound functions; further calls queue. */
const DEFAULT_MAX_ENVIRONMENTS = Math.min(16, Math.max(2, availableParallelism()));
/** The operations the edge implements; every other operation of the model answers 501 NotImplemented. */
const OPERATIONS = new RestJsonOperations<LambdaOperation, LambdaContext, EdgeRequest>({
  service: 'lambda',
  operations: LAMBDA_OPERATIONS,
  handlers: {
    ...functionOperations,
    ...invokeOperations,
    ...permissionOperations,
    ...tagOperations,
    ...concurrencyOperations,
    ...versionOperations,
    ...aliasOperations,
    ...eventInvokeConfigOperations,
    ...functionUrlOperations,
    ...layerOperations,
  },
  decodeLabel: (raw) => pathParameter(raw, () => invalidParameter(`Invalid path segment: ${raw}`)),
  // Unconfirmed: AWS's answer to a method and path of no Lambda operation.
  unknownOperation: (r) => new AwsError(404, 'UnknownOperationException', `Unknown operation ${r.method} ${r.rawPath}`),
});

/** What the Lambda service is built from. */
export interface LambdaServiceDeps {
  metadata: LambdaMetadata;
  code: LambdaCodeStore;
  /** Function URL configurations (the data plane, FunctionUrlPlane, reads them too). */
  functionUrls: LambdaFunctionUrls;
  layers: LambdaLayers;
  region: string;
  accountId: string;
  logger: Logger;
  /** The edge's URL and credentials, handed to functions (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...). */
  endpoint: EdgeEndpoint;
  /** The edge's data directory, hidden from functions where the platform allows it. */
  dataDir?: string;
  /** How long a created function stays Pending and an updated one InProgress (DDN_LAMBDA_STATE_DELAY_MS). */
  stateDelayMs?: number;
  /** The first retry delay of a failed Event invocation (DDN_LAMBDA_RETRY_BASE_MS; AWS: one minute). */
  retryBaseMs?: number;
  /** IAM's roles: a function's role of the local account must exist. Absent: any role is accepted. */
  roles?: IamRoles;
  /** Opens an object of the edge's S3, for code sent as S3Bucket/S3Key. Absent: such code is refused. */
  s3Objects?: S3ObjectOpener;
}

export interface LambdaServiceOptions {
  /** Execution environments per function at most (Lambda's concurrency limit, per function). */
  maxEnvironmentsPerFunction?: number;
  /** How long an idle environment stays warm. */
  idleMs?: number;
}

/**
 * The Lambda API (`/2015-03-31/...`, rest-json) and the functions' runtime. Other services call functions
 * through `LambdaInvoker` (`invoke`, `isInvokeAllowed`).
 */
export class LambdaService implements EdgeService, LambdaInvoker, LambdaContext {
  readonly name = 'lambda';
  readonly bufferBody = true;
  readonly maxBodyBytes = MAX_REQUEST_BYTES;
  readonly metadata: LambdaMetadata;
  readonly code: LambdaCodeStore;
  readonly functionUrls: LambdaFunctionUrls;
  readonly layers: LambdaLayers;
  private readonly pools = new Map<string, { key: string; fn: StoredFunction; pool: EnvironmentPool }>();
  /** Invocations running per function, compared with its reserved concurrency. */
  private readonly running = new Map<string, number>();
  /** Retries of failed Event invocations waiting for their time. */
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly retryBaseMs: number;
  /** isInvokeAllowed's answers per policy (the metadata returns a new statements array after every change). */
  private readonly policyDecisions = new WeakMap<object, Map<string, boolean>>();
  private readonly logger: Logger;
  readonly region: string;
  readonly accountId: string;
  private readonly options: Required<LambdaServiceOptions>;
  private readonly endpoint: EdgeEndpoint;
  private readonly dataDir?: string;
  readonly lifecycle: FunctionLifecycle;
  private readonly roles?: IamRoles;
  private readonly s3Objects?: S3ObjectOpener;
  /** Where `GetFunction`'s `Code.Location` points: the zip, served by the edge. */
  readonly internalRoutes: readonly InternalRoute[] = [
    { prefix: CODE_PATH, handler: (_req, res, rawPath) => serveCode(this.referencedBlobs(), this.code, res, rawPath) },
  ];

  constructor(deps: LambdaServiceDeps, options: LambdaServiceOptions = {}) {
    this.metadata = deps.metadata;
    this.code = deps.code;
    this.functionUrls = deps.functionUrls;
    this.layers = deps.layers;
    this.code.removeUnreferenced(this.referencedBlobs());
    this.logger = deps.logger.child({ service: 'lambda' });
    this.region = deps.region;
    this.accountId = deps.accountId;
    this.endpoint = deps.endpoint;
    this.dataDir = deps.dataDir;
    this.lifecycle = new FunctionLifecycle(deps.stateDelayMs ?? 0);
    this.retryBaseMs = deps.retryBaseMs ?? 60_000;
    this.roles = deps.roles;
    this.s3Objects = deps.s3Objects;
    this.options = {
      maxEnvironmentsPerFunction: options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS,
      idleMs: options.idleMs ?? 10 * 60_000,
    };
  }

  /** The edge's URL as clients reach it (known once the edge listens). */
  get publicUrl(): string {
    return this.endpoint.publicUrl;
  }

  handle(request: EdgeRequest): Promise<void> {
    return OPERATIONS.serve(this, request);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    const err =
      error.code === 'RequestEntityTooLargeException' ? requestTooLarge(OPERATIONS.operationOf(request)) : error;
    writeRestJsonError(request, err, lambdaErrorBody);
  }

  /** The functions' code and the layers' archives, those of deleted layer versions that functions use included. */
  referencedBlobs(): Set<string> {
    return new Set([...this.metadata.codeBlobs(), ...this.layers.codeBlobs(), ...this.layers.blobsUsedByFunctions()]);
  }

  async close(): Promise<void> {
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    await Promise.all([...this.pools.values()].map((p) => p.pool.close()));
    this.pools.clear();
  }

  // --- LambdaInvoker -------------------------------------------------------------------------------

  async invoke(
    functionNameOrArn: string,
    payload: Buffer | string | EventObject,
    options: InvokeOptions = {},
  ): Promise<InvokeResult> {
    const ref = parseFunctionRef(functionNameOrArn);
    const fn = this.find(ref, options.qualifier, true);
    this.lifecycle.checkInvocable(fn.name);
    // Reserved concurrency is the function's, shared by its versions.
    const reserved =
      fn.version === undefined ? fn.reservedConcurrency : this.metadata.get(fn.name)?.reservedConcurrency;
    const executedVersion = fn.version ?? '$LATEST';
    const type = options.invocationType ?? 'RequestResponse';
    const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
    let event: string | EventObject;
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      if (byteLengthOver(payload, limit)) {
        throw new AwsError(
          413,
          'RequestTooLargeException',
          `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
        );
      }
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      event = options.payloadIsJson ? text : eventText(text);
    } else {
      event = payload;
    }
    if (type === 'DryRun') return { statusCode: 204, payload: '', executedVersion };
    const requestId = randomUUID();
    const running = this.running.get(fn.name) ?? 0;
    if (reserved !== undefined && running >= reserved) {
      if (type !== 'Event') throw throttled();
      // Unconfirmed how long: AWS keeps a throttled event and retries it for up to 6 hours; the edge drops it.
      this.logger.warn(
        { function: fn.name, requestId },
        'asynchronous invocation throttled by reserved concurrency; dropped',
      );
      return { statusCode: 202, payload: '', executedVersion };
    }
    this.running.set(fn.name, running + 1);
    // The log is read for a tail and for debug logging (`run`).
    const logWanted = options.logType === 'Tail' || this.logger.isLevelEnabled('debug');
    const run = this.run(fn, { requestId, event, clientContext: options.clientContext, logWanted });
    if (type === 'Event') {
      const config = this.metadata.eventInvokeConfig(fn.name, options.qualifier ?? ref.qualifier ?? '$LATEST');
      this.settleEvent(fn, { requestId, event, clientContext: options.clientContext }, run, config, Date.now(), 0);
      return { statusCode: 202, payload: '', executedVersion };
    }
    const outcome = await run;
    const result: InvokeResult = { statusCode: 200, payload: outcome.payload, executedVersion };
    if (outcome.failed) result.functionError = 'Unhandled';
    if (options.logType === 'Tail') result.logResult = tail(invocationLog(fn, requestId, outcome));
    return result;
  }

  isInvokeAllowed(functionNameOrArn: string, principal: string, sourceArn: string): boolean {
    let ref: FunctionRef;
    try {
      ref = parseFunctionRef(functionNameOrArn);
    } catch {
      return false;
    }
    const statements = this.metadata.statements(ref.name);
    let decisions = this.policyDecisions.get(statements);
    if (!decisions) {
      decisions = new Map();
      this.policyDecisions.set(statements, decisions);
    }
    const key = `${ref.qualifier ?? ''} ${principal} ${sourceArn}`;
    let allowed = decisions.get(key);
    if (allowed === undefined) {
      // A statement covers the function it was added to: an alias or version's, or the unqualified function's.
      const resource = functionArn(
        this.region,
        this.accountId,
        ref.name,
        ref.qualifier === '$LATEST' ? undefined : ref.qualifier,
      );
      allowed = statements.some((s) => {
        const statement = JSON.parse(s.statement) as PolicyStatement;
        return statement.Resource === resource && statementAllows(statement, principal, sourceArn);
      });
      if (decisions.size >= 1000) decisions.clear();
      decisions.set(key, allowed);
    }
    return allowed;
  }

  /** Retries a failed Event invocation as its asynchronous invocation settings say, or logs why it is dropped. */
  private settleEvent(
    fn: StoredFunction,
    invocation: Invocation,
    run: Promise<{ failed: boolean; payload: string }>,
    config: StoredEventInvokeConfig | undefined,
    queuedAt: number,
    attempt: number,
  ): void {
    const failed = (error: unknown) => {
      const detail = { function: fn.name, requestId: invocation.requestId, attempt: attempt + 1, error };
      const decision = retryDecision(attempt, config, Date.now() - queuedAt, this.retryBaseMs);
      if ('drop' in decision) {
        const why =
          decision.drop === 'too-old' ? 'older than MaximumEventAgeInSeconds' : 'MaximumRetryAttempts reached';
        return this.logger.error(detail, `asynchronous invocation failed; event dropped (${why})`);
      }
      this.logger.warn(detail, `asynchronous invocation failed; retrying in ${decision.retryInMs} ms`);
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.running.set(fn.name, (this.running.get(fn.name) ?? 0) + 1);
        this.settleEvent(fn, invocation, this.run(fn, invocation), config, queuedAt, attempt + 1);
      }, decision.retryInMs);
      this.retries.add(timer);
    };
    void run.then((outcome) => {
      if (outcome.failed) failed(outcome.payload.slice(0, 500));
    }, failed);
  }

  // --- runtime -------------------------------------------------------------------------------------

  /** Runs one invocation; `invocationLog` makes its log text (START, the function's lines, END, REPORT) when asked for. */
  private async run(fn: StoredFunction, invocation: Invocation): Promise<InvocationOutcome> {
    let outcome;
    try {
      outcome = await this.poolFor(fn).invoke(invocation);
    } finally {
      this.running.set(fn.name, this.running.get(fn.name)! - 1);
    }
    if (byteLengthOver(outcome.payload, MAX_RESPONSE_PAYLOAD)) {
      outcome.payload = JSON.stringify({
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD} bytes).`,
        errorType: 'Function.ResponseSizeTooLarge',
      });
      outcome.failed = true;
    }
    if (this.logger.isLevelEnabled('debug')) {
      const { requestId } = invocation;
      const log = invocationLog(fn, requestId, outcome);
      this.logger.debug({ function: fn.name, requestId, failed: outcome.failed, log }, 'invocation');
    }
    return outcome;
  }

  private poolFor(fn: StoredFunction): EnvironmentPool {
    const poolName = fn.version === undefined ? fn.name : `${fn.name}:${fn.version}`;
    const existing = this.pools.get(poolName);
    // The metadata hands out the same object until the function changes.
    if (existing?.fn === fn) return existing.pool;
    const key = `${fn.codeBlob}|${fn.lastModified}|${JSON.stringify(fn.settings)}`;
    if (existing?.key === key) {
      existing.fn = fn;
      return existing.pool;
    }
    existing?.pool.retire();
    const pool = new EnvironmentPool(() => this.environmentSpec(fn), {
      maxEnvironments: this.options.maxEnvironmentsPerFunction,
      idleMs: this.options.idleMs,
    });
    this.pools.set(poolName, { key, fn, pool });
    return pool;
  }

  checkRole(role: string | undefined): void {
    if (role !== undefined && this.roles?.roleExists(role) === false) {
      throw invalidParameter('The role defined for the function cannot be assumed by Lambda.');
    }
  }

  retirePool(name: string, withVersions = false): void {
    for (const [poolName, { pool }] of this.pools) {
      if (poolName === name || (withVersions && poolName.startsWith(`${name}:`))) {
        pool.retire();
        this.pools.delete(poolName);
      }
    }
  }

  private async environmentSpec(fn: StoredFunction): Promise<EnvironmentSpec> {
    const s = fn.settings;
    const taskRoot = await this.code.taskRoot(fn.codeBlob);
    const optDir = s.layers?.length ? await this.code.layersRoot(s.layers.map((l) => l.codeBlob)) : undefined;
    const version = fn.version ?? '$LATEST';
    const logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[${version}]${randomUUID().replace(/-/g, '')}`;
    const { credentials, publicUrl } = this.endpoint;
    const env: Record<string, string> = {
      PATH: SYSTEM_PATH,
      LANG: 'en_US.UTF-8',
      // Where the function's SDK calls go by default: this edge (a function may override it with its own variables).
      AWS_ENDPOINT_URL: publicUrl,
      ...(optDir && layerVariables(s.runtime, optDir)),
      ...s.environment,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    };
    return {
      runtime: s.runtime,
      taskRoot,
      optDir,
      dataDir: this.dataDir,
      handler: s.handler,
      env,
      memorySize: s.memorySize,
      timeoutSeconds: s.timeout,
      functionName: fn.name,
      functionVersion: version,
      functionArn: functionArn(this.region, this.accountId, fn.name, fn.version),
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName,
    };
  }

  // --- helpers -------------------------------------------------------------------------------------

  /**
   * The function, version or alias's version a reference names (its qualifier, else `qualifier`). `route`: an alias
   * with a RoutingConfig picks its additional version by weight (Invoke); otherwise its main version.
   */
  find(ref: FunctionRef, qualifier?: string | null, route = false): StoredFunction {
    const q = qualifier ?? ref.qualifier;
    const fn = this.metadata.get(ref.name);
    if (fn && (q === undefined || q === '$LATEST')) return fn;
    const version = !fn || q === undefined ? undefined : versionOf(this.metadata, fn.name, q, route);
    if (version === '$LATEST') return fn!;
    const found = version === undefined ? undefined : this.metadata.version(ref.name, version);
    if (!found) throw notFound(`Function not found: ${functionArn(this.region, this.accountId, ref.name, q)}`);
    return found;
  }

  configuration(fn: StoredFunction): Record<string, unknown> {
    return functionConfiguration(fn, this.region, this.accountId, this.lifecycle.status(fn.name));
  }

  async deploymentPackage(code: CodeInput, operation: string): Promise<Buffer> {
    const source = codeSource(code);
    if (source.kind === 's3') {
      if (!this.s3Objects)
        throw invalidParameter("Code from S3 needs the edge's S3, which this Lambda service was not given.");
      return await readS3Package(this.s3Objects, source);
    }
    // Inline, the request limit (this zip's size in base64) refuses these first; this keeps the zip's own limit.
    if (source.zip.length > MAX_ZIP_BYTES) throw requestTooLarge(operation);
    return source.zip;
  }

  async checkSizeWithLayers(code: Buffer | string, layers: readonly FunctionLayer[] | undefined): Promise<void> {
    if (!layers?.length) return;
    try {
      let total = typeof code === 'string' ? await this.code.unzippedSize(code) : unzippedSize(code);
      for (const layer of layers) total += await this.code.unzippedSize(layer.codeBlob);
      if (total > MAX_UNZIPPED_BYTES) {
        throw invalidParameter(
          `Function code combined with layers exceeds the maximum allowed size of ${MAX_UNZIPPED_BYTES} bytes. The actual size is ${total} bytes.`,
        );
      }
    } catch (err) {
      if (err instanceof InvalidCodeError) throw invalidParameter(err.message);
      throw err;
    }
  }

  async storeCode(zip: Buffer): Promise<{ codeBlob: string; codeSha256: string; codeSize: number }> {
    try {
      const { id, sha256 } = await this.code.store(zip);
      return { codeBlob: id, codeSha256: sha256, codeSize: zip.length };
    } catch (err) {
      if (err instanceof InvalidCodeError) throw invalidParameter(err.message);
      throw err;
    }
  }
}

/** AWS's answer to a request over MAX_REQUEST_BYTES (its front end's: RequestEntityTooLargeException). */
function requestTooLarge(operation: string | undefined): AwsError {
  const named = operation === undefined ? '' : ` for the ${operation} operation`;
  return new AwsError(
    413,
    'RequestEntityTooLargeException',
    `Request must be smaller than ${MAX_REQUEST_BYTES} bytes${named}`,
  );
}

/** The version a qualifier names: a version number, or an alias's version (by weight when `route`). */
function versionOf(metadata: LambdaMetadata, name: string, qualifier: string, route: boolean): string | undefined {
  if (/^\d+$/.test(qualifier)) return qualifier;
  const alias = metadata.alias(name, qualifier);
  if (!alias) return undefined;
  if (route) {
    let draw = Math.random();
    for (const [version, weight] of Object.entries(alias.weights)) {
      if (draw < weight) return version;
      draw -= weight;
    }
  }
  return alias.functionVersion;
}

/** Invoke's answer beyond the function's reserved concurrency (the message is AWS's, as the CLI shows it). */
function throttled(): AwsError {
  return new AwsError(429, 'TooManyRequestsException', 'Rate Exceeded.', {
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  });
}

/** An invocation's log as Lambda writes it: START, the function's lines, END and REPORT. */
function invocationLog(fn: StoredFunction, id: string, outcome: InvocationOutcome): string {
  const { durationMs } = outcome;
  return (
    `START RequestId: ${id} Version: ${fn.version ?? '$LATEST'}\n${outcome.log}END RequestId: ${id}\n` +
    `REPORT RequestId: ${id}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(durationMs))} ms\tMemory Size: ${fn.settings.memorySize} MB\n`
  );
}

/** Whether `payload` is more than `limit` bytes (UTF-8); short strings are decided without encoding them. */
function byteLengthOver(payload: Buffer | string, limit: number): boolean {
  if (typeof payload !== 'string') return payload.length > limit;
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  return payload.length * 3 > limit && Buffer.byteLength(payload) > limit;
}

/** The event as JSON text; an empty payload is `{}`, anything that is not JSON is refused. */
function eventText(text: string): string {
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (err) {
    throw new AwsError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`,
    );
  }
  return text;
}

function tail(log: string): string {
  const bytes = Buffer.from(log);
  return bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)).toString('base64');
}
