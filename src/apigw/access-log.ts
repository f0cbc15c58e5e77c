import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/** The JSON preset of the API Gateway console; `ddn up` sets it on the platform's stage. */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod","routeKey":"$context.routeKey", "status":"$context.status","protocol":"$context.protocol", "responseLength":"$context.responseLength", "integrationError":"$context.integrationErrorMessage" }';

/** `$context` variables of one request; a variable that is absent renders as `-`. */
export type AccessLogContext = Record<string, string | number | undefined>;

const VARIABLE = /\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*))/g;
/** Flushed when this much is pending, else after FLUSH_MS: one write per batch of requests, not one per request. */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

/** A format split once into literal text (even indexes) and variable names (odd indexes). */
const compiledFormats = new Map<string, string[]>();
function compile(format: string): string[] {
  let parts = compiledFormats.get(format);
  if (!parts) {
    parts = [];
    let last = 0;
    for (const m of format.matchAll(VARIABLE)) {
      parts.push(format.slice(last, m.index), (m[1] ?? m[2])!);
      last = m.index + m[0].length;
    }
    parts.push(format.slice(last));
    if (compiledFormats.size >= 100) compiledFormats.clear();
    compiledFormats.set(format, parts);
  }
  return parts;
}

/** Replaces `$context.x` and `${context.x}`; values are inserted as they are, so a JSON template stays JSON for plain values. */
export function renderAccessLog(format: string, context: AccessLogContext): string {
  const parts = compile(format);
  let line = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const value = context[parts[i]!];
    line += value === undefined || value === '' ? '-' : escape(String(value));
    line += parts[i + 1]!;
  }
  return line;
}

function escape(value: string): string {
  return /["\\\n\r]/.test(value) ? value.replace(/["\\\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`)) : value;
}

interface LogFile {
  stream: WriteStream;
  pending: string[];
  bytes: number;
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
    log.pending.push(line, '\n');
    log.bytes += line.length + 1;
    if (log.bytes >= FLUSH_BYTES) this.flush(log);
    else this.timer ??= setTimeout(() => this.flushAll(), FLUSH_MS).unref();
  }

  private open(destinationArn: string): LogFile {
    const file = AccessLogFiles.fileOf(this.dataDir, destinationArn);
    let log = this.files.get(file);
    if (!log) {
      mkdirSync(path.dirname(file), { recursive: true });
      log = { stream: createWriteStream(file, { flags: 'a' }), pending: [], bytes: 0 };
      this.files.set(file, log);
    }
    this.byArn.set(destinationArn, log);
    return log;
  }

  private flush(log: LogFile): void {
    if (log.pending.length === 0) return;
    log.stream.write(log.pending.join(''));
    log.pending = [];
    log.bytes = 0;
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
