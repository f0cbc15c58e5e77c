import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/** The JSON preset of the API Gateway console; `ddn up` sets it on the platform's stage. */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod","routeKey":"$context.routeKey", "status":"$context.status","protocol":"$context.protocol", "responseLength":"$context.responseLength", "integrationError":"$context.integrationErrorMessage" }';

/** `$context` variables of one request; a variable that is absent renders as `-`. */
export type AccessLogContext = Record<string, string | number | undefined>;

const VARIABLE = /\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*))/g;

/** Replaces `$context.x` and `${context.x}`; values are inserted as they are, so a JSON template stays JSON for plain values. */
export function renderAccessLog(format: string, context: AccessLogContext): string {
  return format.replace(VARIABLE, (_m, braced: string | undefined, bare: string | undefined) => {
    const value = context[(braced ?? bare)!];
    return value === undefined || value === '' ? '-' : String(value).replace(/["\\\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
  });
}

/**
 * Access-log files, one per destination log group: `arn:aws:logs:R:A:log-group:/aws/apigw/x` is written to
 * `DATA_DIR/logs/apigw/aws/apigw/x.log`, one line per request.
 */
export class AccessLogFiles {
  private readonly streams = new Map<string, WriteStream>();

  constructor(private readonly dataDir: string) {}

  static fileOf(dataDir: string, destinationArn: string): string {
    const group = /:log-group:([^:]+)/.exec(destinationArn)?.[1] ?? 'default';
    const segments = group.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
    return path.join(dataDir, 'logs', 'apigw', ...segments.slice(0, -1), `${segments.at(-1) ?? 'default'}.log`);
  }

  write(destinationArn: string, line: string): void {
    const file = AccessLogFiles.fileOf(this.dataDir, destinationArn);
    let stream = this.streams.get(file);
    if (!stream) {
      mkdirSync(path.dirname(file), { recursive: true });
      stream = createWriteStream(file, { flags: 'a' });
      this.streams.set(file, stream);
    }
    stream.write(`${line}\n`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
    this.streams.clear();
  }
}
