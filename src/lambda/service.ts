import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { AwsError } from '../protocols/aws-error.ts';
import { PageTokens } from '../protocols/pagination.ts';
import { parseJsonBody } from '../protocols/json-errors.ts';
import { pathParameter, sendRestJson, writeRestJsonError } from '../protocols/rest-json.ts';
import type { EdgeEndpoint, EdgeRequest, EdgeService, InternalRoute } from '../edge/types.ts';
import type { Logger } from '../config/logger.ts';
import type { LambdaMetadata, StoredFunction } from '../state/lambda-metadata.ts';
import { InvalidCodeError, type LambdaCodeStore } from '../state/lambda-code.ts';
import { functionArn, parseFunctionRef, type FunctionRef } from './arn.ts';
import { conflict, invalidParameter, lambdaErrorBody, notFound, preconditionFailed } from './errors.ts';
import {
  createFunctionInput,
  functionConfiguration,
  lambdaTimestamp,
  parseInput,
  settingsFromCreate,
  settingsFromUpdate,
  updateCodeInput,
  updateConfigurationInput,
  zipFromCode,
} from './functions.ts';
import type { EventObject, InvokeOptions, InvokeResult, LambdaInvoker } from './invoker.ts';
import { addPermissionInput, buildStatement, statementAllows, type PolicyStatement } from './policy.ts';
import { EnvironmentPool } from './runtime/pool.ts';
import type { EnvironmentSpec, Invocation } from './runtime/environment.ts';

const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD = 1024 * 1024;
const MAX_RESPONSE_PAYLOAD = 6 * 1024 * 1024;
const MAX_ZIP_BYTES = 50 * 1024 * 1024;
const TAIL_BYTES = 4096;
/** More environments than cores only adds thread contention for CPU-bound functions; further calls queue. */
const DEFAULT_MAX_ENVIRONMENTS = Math.min(16, Math.max(2, availableParallelism()));
const CODE_PATH = '/_ddn/lambda/code';
const FUNCTION_PAGES = new PageTokens('functions');
const FUNCTIONS_PATH = /^\/2015-03-31\/functions(?:\/([^/]+)(?:\/(configuration|code|invocations|policy)(?:\/([^/]+))?)?)?\/?$/;

/** What the Lambda service is built from. */
export interface LambdaServiceDeps {
  metadata: LambdaMetadata;
  code: LambdaCodeStore;
  region: string;
  accountId: string;
  logger: Logger;
  /** The edge's URL and credentials, handed to functions (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...). */
  endpoint: EdgeEndpoint;
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
export class LambdaService implements EdgeService, LambdaInvoker {
  readonly name = 'lambda';
  readonly bufferBody = true;
  private readonly metadata: LambdaMetadata;
  private readonly code: LambdaCodeStore;
  private readonly pools = new Map<string, { key: string; fn: StoredFunction; pool: EnvironmentPool }>();
  /** isInvokeAllowed's answers per policy (the metadata returns a new statements array after every change). */
  private readonly policyDecisions = new WeakMap<object, Map<string, boolean>>();
  private readonly logger: Logger;
  private readonly region: string;
  private readonly accountId: string;
  private readonly options: Required<LambdaServiceOptions>;
  private readonly endpoint: EdgeEndpoint;
  /** Where `GetFunction`'s `Code.Location` points: the zip, served by the edge. */
  readonly internalRoutes: readonly InternalRoute[] = [
    { prefix: CODE_PATH, handler: (_req, res, rawPath) => this.serveCode(res, rawPath) },
  ];

  constructor(deps: LambdaServiceDeps, options: LambdaServiceOptions = {}) {
    this.metadata = deps.metadata;
    this.code = deps.code;
    this.code.removeUnreferenced(this.metadata.codeBlobs());
    this.logger = deps.logger.child({ service: 'lambda' });
    this.region = deps.region;
    this.accountId = deps.accountId;
    this.endpoint = deps.endpoint;
    this.options = { maxEnvironmentsPerFunction: options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS, idleMs: options.idleMs ?? 10 * 60_000 };
  }

  async handle(request: EdgeRequest): Promise<void> {
    const m = FUNCTIONS_PATH.exec(request.rawPath);
    if (!m) throw new AwsError(404, 'UnknownOperationException', `Unknown operation ${request.method} ${request.rawPath}`);
    const [, rawName, sub, rawSid] = m;
    const method = request.method;
    if (rawName === undefined) {
      if (method === 'GET') return this.listFunctions(request);
      if (method === 'POST') return this.createFunction(request);
    } else {
      const ref = parseFunctionRef(decode(rawName));
      if (sub === undefined && method === 'GET') return this.getFunction(request, ref);
      if (sub === undefined && method === 'DELETE') return this.deleteFunction(request, ref);
      if (sub === 'configuration' && method === 'GET') return this.send(request, 200, this.configuration(this.find(ref, request.query.get('Qualifier'))));
      if (sub === 'configuration' && method === 'PUT') return this.updateConfiguration(request, ref);
      if (sub === 'code' && method === 'PUT') return this.updateCode(request, ref);
      if (sub === 'invocations' && method === 'POST') return this.invokeApi(request, ref);
      if (sub === 'policy' && rawSid === undefined && method === 'POST') return this.addPermission(request, ref);
      if (sub === 'policy' && rawSid === undefined && method === 'GET') return this.getPolicy(request, ref);
      if (sub === 'policy' && rawSid !== undefined && method === 'DELETE') return this.removePermission(request, ref, decode(rawSid));
    }
    throw new AwsError(404, 'UnknownOperationException', `Unknown operation ${method} ${request.rawPath}`);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    const err = error.code === 'RequestEntityTooLargeException' ? new AwsError(413, 'RequestTooLargeException', error.message) : error;
    writeRestJsonError(request, err, lambdaErrorBody);
  }

  referencedBlobs(): Set<string> {
    return this.metadata.codeBlobs();
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.pool.close()));
    this.pools.clear();
  }

  // --- LambdaInvoker -------------------------------------------------------------------------------

  async invoke(functionNameOrArn: string, payload: Buffer | string | EventObject, options: InvokeOptions = {}): Promise<InvokeResult> {
    const ref = parseFunctionRef(functionNameOrArn);
    const fn = this.find(ref, options.qualifier);
    const type = options.invocationType ?? 'RequestResponse';
    const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
    let event: string | EventObject;
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      if (byteLengthOver(payload, limit)) {
        throw new AwsError(413, 'RequestTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`);
      }
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      event = options.payloadIsJson ? text : eventText(text);
    } else {
      event = payload;
    }
    if (type === 'DryRun') return { statusCode: 204, payload: '', executedVersion: '$LATEST' };
    const requestId = randomUUID();
    const run = this.run(fn, { requestId, event, clientContext: options.clientContext });
    if (type === 'Event') {
      run.catch((err: unknown) => this.logger.error({ err, function: fn.name, requestId }, 'asynchronous invocation failed'));
      return { statusCode: 202, payload: '', executedVersion: '$LATEST' };
    }
    const outcome = await run;
    const result: InvokeResult = { statusCode: 200, payload: outcome.payload, executedVersion: '$LATEST' };
    if (outcome.failed) result.functionError = 'Unhandled';
    if (options.logType === 'Tail') result.logResult = tail(outcome.log());
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
    const key = `${principal} ${sourceArn}`;
    let allowed = decisions.get(key);
    if (allowed === undefined) {
      allowed = statements.some((s) => statementAllows(JSON.parse(s.statement) as PolicyStatement, principal, sourceArn));
      if (decisions.size >= 1000) decisions.clear();
      decisions.set(key, allowed);
    }
    return allowed;
  }

  // --- runtime -------------------------------------------------------------------------------------

  /** Runs one invocation; `log` makes its log text (START, the function's lines, END, REPORT) when asked for. */
  private async run(fn: StoredFunction, invocation: Invocation): Promise<{ payload: string; failed: boolean; log: () => string }> {
    const pool = this.poolFor(fn);
    const outcome = await pool.invoke(invocation);
    let { payload, failed } = outcome;
    if (byteLengthOver(payload, MAX_RESPONSE_PAYLOAD)) {
      payload = JSON.stringify({
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD} bytes).`,
        errorType: 'Function.ResponseSizeTooLarge',
      });
      failed = true;
    }
    const id = invocation.requestId;
    const log = () =>
      `START RequestId: ${id} Version: $LATEST\n${outcome.log}END RequestId: ${id}\n` +
      `REPORT RequestId: ${id}\tDuration: ${outcome.durationMs.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(outcome.durationMs))} ms\tMemory Size: ${fn.settings.memorySize} MB\n`;
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ function: fn.name, requestId: id, failed, log: log() }, 'invocation');
    return { payload, failed, log };
  }

  private poolFor(fn: StoredFunction): EnvironmentPool {
    const existing = this.pools.get(fn.name);
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
    this.pools.set(fn.name, { key, fn, pool });
    return pool;
  }

  private retirePool(name: string): void {
    this.pools.get(name)?.pool.retire();
    this.pools.delete(name);
  }

  private async environmentSpec(fn: StoredFunction): Promise<EnvironmentSpec> {
    const s = fn.settings;
    const taskRoot = await this.code.taskRoot(fn.codeBlob);
    const logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
    const { credentials, publicUrl } = this.endpoint;
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      // Where the function's SDK calls go by default: this edge (a function may override it with its own variables).
      AWS_ENDPOINT_URL: publicUrl,
      ...s.environment,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_EXECUTION_ENV: `AWS_Lambda_${s.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(s.memorySize),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: s.handler,
    };
    return {
      taskRoot,
      handler: s.handler,
      env,
      memorySize: s.memorySize,
      timeoutSeconds: s.timeout,
      functionName: fn.name,
      functionVersion: '$LATEST',
      functionArn: functionArn(this.region, this.accountId, fn.name),
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName,
    };
  }

  // --- management API ------------------------------------------------------------------------------

  private async createFunction(request: EdgeRequest): Promise<void> {
    const input = parseInput(createFunctionInput, jsonBody(request));
    const settings = settingsFromCreate(input);
    const zip = zipFromCode(input.Code);
    if (this.metadata.get(input.FunctionName)) throw conflict(`Function already exist: ${input.FunctionName}`);
    const stored = await this.storeCode(zip);
    const fn: StoredFunction = { name: input.FunctionName, settings, ...stored, revisionId: randomUUID(), lastModified: lambdaTimestamp() };
    if (!this.metadata.insert(fn)) {
      await this.code.remove(stored.codeBlob);
      throw conflict(`Function already exist: ${input.FunctionName}`);
    }
    this.send(request, 201, this.configuration(fn));
  }

  private listFunctions(request: EdgeRequest): void {
    const maxItems = Number(request.query.get('MaxItems') ?? 50);
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) {
      throw new AwsError(400, 'ValidationException', `1 validation error detected: Value '${request.query.get('MaxItems')}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`);
    }
    const limit = Math.min(maxItems, 50);
    const marker = request.query.get('Marker');
    const after = marker === null ? '' : FUNCTION_PAGES.decode(marker);
    // unconfirmed: Lambda's exact message for a Marker it did not make.
    if (after === undefined) throw invalidParameter(`Invalid Marker: ${marker}`);
    const page = this.metadata.list(after, limit + 1);
    const functions = page.slice(0, limit);
    const body: Record<string, unknown> = { Functions: functions.map((f) => this.configuration(f)) };
    if (page.length > limit) body.NextMarker = FUNCTION_PAGES.encode(functions.at(-1)!.name);
    this.send(request, 200, body);
  }

  private getFunction(request: EdgeRequest, ref: FunctionRef): void {
    const fn = this.find(ref, request.query.get('Qualifier'));
    const body: Record<string, unknown> = {
      Configuration: this.configuration(fn),
      Code: { RepositoryType: 'S3', Location: `${this.endpoint.publicUrl}${CODE_PATH}/${fn.codeBlob}` },
    };
    if (Object.keys(fn.settings.tags).length > 0) body.Tags = fn.settings.tags;
    this.send(request, 200, body);
  }

  private async deleteFunction(request: EdgeRequest, ref: FunctionRef): Promise<void> {
    const fn = this.find(ref, request.query.get('Qualifier'));
    this.metadata.delete(fn.name);
    this.retirePool(fn.name);
    await this.code.remove(fn.codeBlob);
    this.send(request, 204);
  }

  private updateConfiguration(request: EdgeRequest, ref: FunctionRef): void {
    const fn = this.find(ref);
    const input = parseInput(updateConfigurationInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    const updated: StoredFunction = { ...fn, settings: settingsFromUpdate(fn.settings, input), revisionId: randomUUID(), lastModified: lambdaTimestamp() };
    if (!this.metadata.update(updated, fn.revisionId)) throw preconditionFailed();
    this.retirePool(fn.name);
    this.send(request, 200, this.configuration(updated));
  }

  private async updateCode(request: EdgeRequest, ref: FunctionRef): Promise<void> {
    const fn = this.find(ref);
    const input = parseInput(updateCodeInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    const zip = zipFromCode(input);
    if (input.DryRun) return this.send(request, 200, this.configuration(fn));
    const stored = await this.storeCode(zip);
    const updated: StoredFunction = { ...fn, ...stored, revisionId: randomUUID(), lastModified: lambdaTimestamp() };
    if (!this.metadata.update(updated, fn.revisionId)) {
      await this.code.remove(stored.codeBlob);
      throw preconditionFailed();
    }
    this.retirePool(fn.name);
    await this.code.remove(fn.codeBlob);
    this.send(request, 200, this.configuration(updated));
  }

  private async invokeApi(request: EdgeRequest, ref: FunctionRef): Promise<void> {
    const header = (name: string) => {
      const v = request.req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const invocationType = header('x-amz-invocation-type') ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      throw new AwsError(400, 'ValidationException', `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
    }
    const logType = header('x-amz-log-type') ?? 'None';
    if (logType !== 'None' && logType !== 'Tail') {
      throw new AwsError(400, 'ValidationException', `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]`);
    }
    const clientContext = decodeClientContext(header('x-amz-client-context'));
    const qualifier = request.query.get('Qualifier') ?? undefined;
    const name = ref.qualifier ? `${ref.name}:${ref.qualifier}` : ref.name;
    const result = await this.invoke(name, request.body ?? Buffer.alloc(0), {
      invocationType: invocationType as InvokeOptions['invocationType'],
      logType,
      qualifier,
      clientContext,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': request.requestId,
      'x-amz-executed-version': result.executedVersion,
    };
    if (result.functionError) headers['x-amz-function-error'] = result.functionError;
    if (result.logResult !== undefined) headers['x-amz-log-result'] = result.logResult;
    if (result.statusCode !== 200) delete headers['content-type'];
    request.res.writeHead(result.statusCode, headers);
    request.res.end(result.statusCode === 200 ? result.payload : undefined);
  }

  private addPermission(request: EdgeRequest, ref: FunctionRef): void {
    const qualifier = request.query.get('Qualifier') ?? ref.qualifier;
    const fn = this.find(ref, qualifier);
    const input = parseInput(addPermissionInput, jsonBody(request));
    if (input.RevisionId !== undefined && input.RevisionId !== fn.revisionId) throw preconditionFailed();
    const statement = buildStatement(input, functionArn(this.region, this.accountId, fn.name, qualifier ?? undefined));
    const text = JSON.stringify(statement);
    if (!this.metadata.addStatement(fn.name, input.StatementId, text, randomUUID())) {
      throw conflict(`The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    }
    this.send(request, 201, { Statement: text });
  }

  private removePermission(request: EdgeRequest, ref: FunctionRef, sid: string): void {
    const fn = this.find(ref, request.query.get('Qualifier'));
    const revision = request.query.get('RevisionId');
    if (revision !== null && revision !== fn.revisionId) throw preconditionFailed();
    if (!this.metadata.removeStatement(fn.name, sid, randomUUID())) throw notFound(`Statement ${sid} is not found in resource policy.`);
    this.send(request, 204);
  }

  private getPolicy(request: EdgeRequest, ref: FunctionRef): void {
    const fn = this.find(ref, request.query.get('Qualifier'));
    const statements = this.metadata.statements(fn.name);
    if (statements.length === 0) throw notFound('The resource you requested does not exist.');
    const policy = { Version: '2012-10-17', Id: 'default', Statement: statements.map((s) => JSON.parse(s.statement) as unknown) };
    this.send(request, 200, { Policy: JSON.stringify(policy), RevisionId: this.metadata.get(fn.name)!.revisionId });
  }

  // --- helpers -------------------------------------------------------------------------------------

  /** The function a reference names; only `$LATEST` exists locally (no published versions or aliases). */
  private find(ref: FunctionRef, qualifier?: string | null): StoredFunction {
    const q = qualifier ?? ref.qualifier;
    const fn = this.metadata.get(ref.name);
    if (!fn || (q !== undefined && q !== '$LATEST')) {
      throw notFound(`Function not found: ${functionArn(this.region, this.accountId, ref.name, q)}`);
    }
    return fn;
  }

  private configuration(fn: StoredFunction): Record<string, unknown> {
    return functionConfiguration(fn, this.region, this.accountId);
  }

  private async storeCode(zip: Buffer): Promise<{ codeBlob: string; codeSha256: string; codeSize: number }> {
    if (zip.length > MAX_ZIP_BYTES) throw new AwsError(413, 'RequestTooLargeException', `Request must be smaller than ${MAX_ZIP_BYTES} bytes for the CreateFunction operation`);
    try {
      const codeBlob = await this.code.store(zip);
      return { codeBlob, codeSha256: createHash('sha256').update(zip).digest('base64'), codeSize: zip.length };
    } catch (err) {
      if (err instanceof InvalidCodeError) throw invalidParameter(err.message);
      throw err;
    }
  }

  private send(request: EdgeRequest, status: number, body?: unknown): void {
    sendRestJson(request, status, body);
  }

  private async serveCode(res: ServerResponse, rawPath: string): Promise<void> {
    const blob = rawPath.slice(CODE_PATH.length + 1);
    if (!/^[0-9a-f]{32}$/.test(blob) || !this.metadata.codeBlobs().has(blob)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ message: 'Not Found' }));
    }
    const zip = await this.code.zip(blob);
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
    res.end(zip);
  }
}

function decode(segment: string): string {
  return pathParameter(segment, (raw) => invalidParameter(`Invalid path segment: ${raw}`));
}

function jsonBody(request: EdgeRequest): unknown {
  return parseJsonBody(request.body, (reason) => new AwsError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${reason}`));
}

/** The event as JSON text; an empty payload is `{}`, anything that is not JSON is refused. */
/** Whether `payload` is more than `limit` bytes (UTF-8); short strings are decided without encoding them. */
function byteLengthOver(payload: Buffer | string, limit: number): boolean {
  if (typeof payload !== 'string') return payload.length > limit;
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  return payload.length * 3 > limit && Buffer.byteLength(payload) > limit;
}

function eventText(text: string): string {
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (err) {
    throw new AwsError(400, 'InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`);
  }
  return text;
}

function decodeClientContext(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > 3583) throw invalidParameter('Client context must be less than 3583 bytes.');
  const text = Buffer.from(value, 'base64').toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    throw invalidParameter('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

function tail(log: string): string {
  const bytes = Buffer.from(log);
  return bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)).toString('base64');
}
