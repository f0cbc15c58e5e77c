import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { clfTime } from '../protocols/http-payload.ts';
import type { GatewayRequest } from './request-context.ts';

/** The JSON preset of the API Gateway console; `ddn up` sets it on the platform's stage. */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod","routeKey":"$context.routeKey", "status":"$context.status","protocol":"$context.protocol", "responseLength":"$context.responseLength", "integrationError":"$context.integrationErrorMessage" }';

/** What happened to one data-plane request: its access-log line is made from this and the request. */
export interface RequestOutcome {
  status: number;
  length: number;
  integrationStatus?: number;
  integrationError?: string;
  integrationLatency?: number;
  errorMessage?: string;
  /** Why the route's authorizer refused the request (`$context.authorizer.error`). */
  authorizerError?: string;
}

export interface AccessLogRecord {
  request: GatewayRequest;
  outcome: RequestOutcome;
  endedAt: number;
}

type Variable = (r: AccessLogRecord) => string | number | undefined;

/** The `$context` variables the gateway knows; any other renders as `-`, as an absent value does. */
const VARIABLES: Record<string, Variable> = {
  accountId: (r) => r.request.accountId,
  apiId: (r) => r.request.apiId,
  domainName: (r) => r.request.domainName,
  domainPrefix: (r) => r.request.domainPrefix,
  requestId: (r) => r.request.requestId,
  extendedRequestId: (r) => r.request.requestId,
  httpMethod: (r) => r.request.method,
  path: (r) => r.request.fullPath,
  protocol: () => 'HTTP/1.1',
  routeKey: (r) => r.request.routeKey,
  stage: (r) => r.request.stageName,
  status: (r) => r.outcome.status,
  responseLength: (r) => r.outcome.length,
  dataProcessed: (r) => r.outcome.length,
  requestTime: (r) => clfTime(r.request.startedAt),
  requestTimeEpoch: (r) => r.request.startedAt,
  responseLatency: (r) => r.endedAt - r.request.startedAt,
  integrationLatency: (r) => r.outcome.integrationLatency,
  'integration.latency': (r) => r.outcome.integrationLatency,
  integrationStatus: (r) => r.outcome.integrationStatus,
  'integration.integrationStatus': (r) => r.outcome.integrationStatus,
  'integration.status': (r) => r.outcome.integrationStatus,
  integrationErrorMessage: (r) => r.outcome.integrationError,
  'integration.error': (r) => r.outcome.integrationError,
  'error.message': (r) => r.outcome.errorMessage,
  'error.messageString': (r) => (r.outcome.errorMessage === undefined ? undefined : `"${r.outcome.errorMessage}"`),
  'identity.sourceIp': (r) => r.request.sourceIp,
  'identity.userAgent': (r) => r.request.userAgent,
  'identity.accessKey': (r) => iamIdentity(r)?.accessKey,
  'identity.accountId': (r) => iamIdentity(r)?.accountId,
  'identity.caller': (r) => iamIdentity(r)?.callerId,
  'identity.user': (r) => iamIdentity(r)?.userId,
  'identity.userArn': (r) => iamIdentity(r)?.userArn,
  'authorizer.error': (r) => r.outcome.authorizerError,
  'authorizer.principalId': (r) =>
    r.request.authorizer?.kind === 'lambda' ? r.request.authorizer.principalId : undefined,
  'authorizer.claims': () => undefined,
};
const UNKNOWN: Variable = () => undefined;

function iamIdentity(r: AccessLogRecord) {
  return r.request.authorizer?.kind === 'iam' ? r.request.authorizer.identity : undefined;
}

/** `authorizer.claims.<name>` (a JWT claim) or `authorizer.<key>` (a Lambda authorizer's context value). */
function authorizerVariable(name: string): Variable | undefined {
  if (name.startsWith('authorizer.claims.')) {
    const claim = name.slice('authorizer.claims.'.length);
    return (r) => (r.request.authorizer?.kind === 'jwt' ? r.request.authorizer.claims[claim] : undefined);
  }
  if (!name.startsWith('authorizer.')) return undefined;
  const key = name.slice('authorizer.'.length);
  return (r) => {
    const context = r.request.authorizer?.kind === 'lambda' ? r.request.authorizer.context : undefined;
    const value = context && Object.hasOwn(context, key) ? context[key] : undefined;
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' || typeof value === 'number' ? value : JSON.stringify(value);
  };
}

/** `$context.x.y` or `${context.x.y}`; after `authorizer.` a name may hold `:` and `-` (`claims.cognito:username`). */
const VARIABLE =
  /\$(?:\{context\.([A-Za-z0-9_.:-]+)\}|context\.(authorizer(?:\.[A-Za-z0-9_]+(?:[:-][A-Za-z0-9_]+)*)+|[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*))/g;
/** Written when this much is pending, else after FLUSH_MS: one write per batch of requests, not one per request. */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

/** A format split once into its literal text and, between each two, the variable to insert there. */
interface CompiledFormat {
  literals: string[];
  variables: Variable[];
}

const compiledFormats = new Map<string, CompiledFormat>();
function compile(format: string): CompiledFormat {
  let compiled = compiledFormats.get(format);
  if (!compiled) {
    compiled = { literals: [], variables: [] };
    let last = 0;
    for (const m of format.matchAll(VARIABLE)) {
      const name = m[1] ?? m[2];
      compiled.literals.push(format.slice(last, m.index));
      compiled.variables.push(Object.hasOwn(VARIABLES, name) ? VARIABLES[name] : (authorizerVariable(name) ?? UNKNOWN));
      last = m.index + m[0].length;
    }
    compiled.literals.push(format.slice(last));
    if (compiledFormats.size >= 100) compiledFormats.clear();
    compiledFormats.set(format, compiled);
  }
  return compiled;
}

/** Replaces `$context.x` and `${context.x}`; values are inserted as they are, so a JSON template stays JSON for plain values. */
export function renderAccessLog(format: string, record: AccessLogRecord): string {
  const { literals, variables } = compile(format);
  let line = literals[0];
  for (let i = 0; i < variables.length; i++) {
    const value = variables[i](record);
    line += value === undefined || value === '' ? '-' : typeof value === 'number' ? String(value) : escape(value);
    line += literals[i + 1];
  }
  return line;
}

function escape(value: string): string {
  return /["\\\n\r]/.test(value)
    ? value.replace(/["\\\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`))
    : value;
}

interface LogFile {
  stream: WriteStream;
  /** Lines not yet written, encoded as they come: no string outlives its request. */
  buffer: Buffer;
  used: number;
}

/**
 * Access-log files, one per destination log group: `arn:aws:logs:R:A:log-group:/aws/apigw/x` is written to
 * `DATA_DIR/logs/apigw/aws/apigw/x.log`, one line per request. Lines are buffered briefly (like nginx's
 * `access_log ... buffer= flush=`): a crash can lose the last FLUSH_MS of lines, never break one.
 */
export class AccessLogFiles {
  private readonly files = new Map<string, LogFile>();
  private readonly byArn = new Map<string, LogFile>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly dataDir: string) {}

  static fileOf(dataDir: string, destinationArn: string): string {
    const group = /:log-group:([^:]+)/.exec(destinationArn)?.[1] ?? 'default';
    const segments = group.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
    return path.join(dataDir, 'logs', 'apigw', ...segments.slice(0, -1), `${segments.at(-1) ?? 'default'}.log`);
  }

  write(destinationArn: string, line: string): void {
    const log = this.byArn.get(destinationArn) ?? this.open(destinationArn);
    // A UTF-16 code unit takes at most 3 bytes; a line that might not fit goes after what is buffered.
    if (log.used + line.length * 3 + 1 > FLUSH_BYTES) {
      this.flush(log);
      if (line.length * 3 + 1 > FLUSH_BYTES) return void log.stream.write(`${line}\n`);
    }
    log.used += log.buffer.write(line, log.used);
    log.buffer[log.used++] = 0x0a;
    this.timer ??= setTimeout(() => this.flushAll(), FLUSH_MS).unref();
  }

  private open(destinationArn: string): LogFile {
    const file = AccessLogFiles.fileOf(this.dataDir, destinationArn);
    let log = this.files.get(file);
    if (!log) {
      mkdirSync(path.dirname(file), { recursive: true });
      log = { stream: createWriteStream(file, { flags: 'a' }), buffer: Buffer.allocUnsafe(FLUSH_BYTES), used: 0 };
      this.files.set(file, log);
    }
    this.byArn.set(destinationArn, log);
    return log;
  }

  private flush(log: LogFile): void {
    if (log.used === 0) return;
    log.stream.write(log.buffer.subarray(0, log.used));
    log.buffer = Buffer.allocUnsafe(FLUSH_BYTES);
    log.used = 0;
  }

  private flushAll(): void {
    this.timer = undefined;
    for (const log of this.files.values()) this.flush(log);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.flushAll();
    await Promise.all([...this.files.values()].map((log) => new Promise<void>((resolve) => log.stream.end(resolve))));
    this.files.clear();
    this.byArn.clear();
  }
}
