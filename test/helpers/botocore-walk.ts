// Walks the operations of a botocore service model against a running edge: for each operation it builds a request
// of the right shape (the model's protocol, HTTP method and request URI), signs it with the edge's credentials
// (SigV4, @smithy/signature-v4) and reads the answer as that protocol's clients do. Tests then assert, per
// operation, "implemented" or "501 NotImplemented in the right format". Reusable for any service botocore knows.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { EdgeCredentials } from '../../src/state/credentials.ts';

export type Protocol = 'query' | 'ec2' | 'json' | 'rest-json' | 'rest-xml';

export interface ModelOperation {
  name: string;
  http: { method: string; requestUri: string };
  /** Query keys and headers (lower case) its input requires: the walk sends placeholders for them. */
  requiredQuery?: string[];
  requiredHeaders?: string[];
}

export interface ServiceModel {
  service: string;
  protocol: Protocol;
  signingName: string;
  apiVersion: string;
  jsonVersion?: string;
  targetPrefix?: string;
  operations: ModelOperation[];
}

/** What an edge looks like to the walk (test/helpers/edge.ts's TestEdge satisfies it). */
export interface WalkTarget {
  url: string;
  region: string;
  credentials: EdgeCredentials;
}

export interface WalkedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface WalkAnswer {
  operation: string;
  request: WalkedRequest;
  status: number;
  /** The error code and message as the protocol's clients parse them; undefined for a success or an unparsable body. */
  error?: { code: string; message: string };
  contentType: string;
  body: string;
}

const PROTOCOL_PRIORITY: Protocol[] = ['json', 'rest-json', 'rest-xml', 'query', 'ec2'];
let botocoreData: string | undefined;

/** The machine's botocore data folder (from the python3 that has boto3). */
export function botocoreDataDir(): string {
  botocoreData ??= path.join(
    execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
    }).trim(),
    'data',
  );
  return botocoreData;
}

interface RawModel {
  metadata: {
    protocol: string;
    protocols?: string[];
    signingName?: string;
    endpointPrefix: string;
    apiVersion: string;
    jsonVersion?: string;
    targetPrefix?: string;
  };
  operations: Record<string, { name: string; http: { method: string; requestUri: string }; input?: { shape: string } }>;
  shapes: Record<
    string,
    { required?: string[]; members?: Record<string, { location?: string; locationName?: string }> }
  >;
}

/** The names of the input members `op` requires at `location` (their wire names). */
function requiredAt(raw: RawModel, op: RawModel['operations'][string], location: string): string[] {
  const shape = op.input ? raw.shapes[op.input.shape] : undefined;
  return (shape?.required ?? [])
    .map((name) => ({ name, member: shape?.members?.[name] }))
    .filter(({ member }) => member?.location === location)
    .map(({ name, member }) => member?.locationName ?? name);
}

/** The newest model of `service` (a botocore folder name: `sts`, `iam`, `apigatewayv2`, `s3`, ...). */
export function loadServiceModel(service: string): ServiceModel {
  const dir = path.join(botocoreDataDir(), service);
  const versions = readdirSync(dir)
    .filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))
    .sort();
  const version = versions.at(-1);
  if (!version) throw new Error(`botocore has no model for ${service}`);
  const file = path.join(dir, version, 'service-2.json');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  const raw = JSON.parse(text) as RawModel;
  const m = raw.metadata;
  const offered = m.protocols ?? [m.protocol];
  const protocol = PROTOCOL_PRIORITY.find((p) => offered.includes(p)) ?? 'json';
  return {
    service,
    protocol,
    signingName: m.signingName ?? m.endpointPrefix,
    apiVersion: m.apiVersion,
    jsonVersion: m.jsonVersion,
    targetPrefix: m.targetPrefix,
    operations: Object.values(raw.operations).map((op) => ({
      name: op.name,
      http: op.http,
      requiredQuery: requiredAt(raw, op, 'querystring'),
      requiredHeaders: requiredAt(raw, op, 'header').map((h) => h.toLowerCase()),
    })),
  };
}

/** The placeholder every URI parameter gets (`{FunctionName}`, `{Bucket}`, `{Key+}`...). */
export const PLACEHOLDER = 'ddnwalk';

/**
 * A request of the operation's shape: URI parameters are `labels[name]` (percent-encoded) or placeholders, bodies
 * empty (`{}` for JSON).
 */
export function requestFor(
  model: ServiceModel,
  op: ModelOperation,
  labels: Readonly<Record<string, string>> = {},
): WalkedRequest {
  switch (model.protocol) {
    case 'query':
    case 'ec2':
      return {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: `Action=${op.name}&Version=${model.apiVersion}`,
      };
    case 'json':
      return {
        method: 'POST',
        path: '/',
        headers: {
          'content-type': `application/x-amz-json-${model.jsonVersion ?? '1.0'}`,
          'x-amz-target': `${model.targetPrefix}.${op.name}`,
        },
        body: '{}',
      };
    case 'rest-json':
    case 'rest-xml': {
      let uri = op.http.requestUri.replace(/\{([^}+]+)\+?\}/g, (_, name: string) =>
        labels[name] === undefined ? PLACEHOLDER : encodeURIComponent(labels[name]),
      );
      for (const key of op.requiredQuery ?? []) uri += `${uri.includes('?') ? '&' : '?'}${key}=${PLACEHOLDER}`;
      const hasBody = !['GET', 'HEAD', 'DELETE'].includes(op.http.method);
      const json = model.protocol === 'rest-json';
      const headers: Record<string, string> = hasBody
        ? { 'content-type': json ? 'application/json' : 'application/xml' }
        : {};
      for (const name of op.requiredHeaders ?? []) headers[name] ??= PLACEHOLDER;
      return { method: op.http.method, path: uri, headers, body: hasBody && json ? '{}' : '' };
    }
  }
}

/** Sends `request` to the edge, signed for `model`'s service with the edge's credentials. */
export async function sendSigned(target: WalkTarget, model: ServiceModel, request: WalkedRequest): Promise<Response> {
  const url = new URL(request.path, target.url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? [query[k]].flat().concat(v) : v;
  const s3 = model.signingName === 's3';
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const signer = new SignatureV4({
    service: model.signingName,
    region: target.region,
    credentials: target.credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: !s3,
  });
  const unsigned = new HttpRequest({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query,
    headers: { ...request.headers, host: url.host, 'x-amz-content-sha256': payloadHash },
    body: request.body,
  });
  const signed = (await signer.sign(unsigned)) as HttpRequest;
  const headers = new Headers();
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers.set(k, v);
  return fetch(url, { method: request.method, headers, body: request.body === '' ? undefined : request.body });
}

/** The error a client of `protocol` reads from an answer (botocore's parsers, simplified). */
export function parseError(protocol: Protocol, status: number, headers: Headers, body: string): WalkAnswer['error'] {
  if (status < 300) return undefined;
  if (protocol === 'json' || protocol === 'rest-json') {
    let doc: Record<string, unknown> = {};
    try {
      doc = JSON.parse(body) as Record<string, unknown>;
    } catch {
      if (protocol === 'json') return undefined;
    }
    const header = headers.get('x-amzn-errortype')?.split(':')[0];
    const rawCode = protocol === 'rest-json' ? (header ?? doc.code ?? doc.__type) : (doc.__type ?? header);
    const code = typeof rawCode === 'string' ? rawCode.slice(rawCode.lastIndexOf('#') + 1) : undefined;
    const message = doc.message ?? doc.Message;
    return code === undefined ? undefined : { code, message: typeof message === 'string' ? message : '' };
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? '';
  const rootOk =
    protocol === 'ec2'
      ? /<Response>\s*<Errors>\s*<Error>/.test(body)
      : protocol === 'query'
        ? /<ErrorResponse[\s>]/.test(body)
        : /<Error>/.test(body);
  return code !== undefined && rootOk ? { code, message } : undefined;
}

/**
 * Sends one request per operation (in model order, one at a time) and reads each answer. `labelsFor` gives an
 * operation's URI parameters by name (e.g. the id of an API that must survive the walk); placeholders otherwise.
 */
export async function walkOperations(
  target: WalkTarget,
  model: ServiceModel,
  operations = model.operations,
  labelsFor: (op: ModelOperation) => Readonly<Record<string, string>> = () => ({}),
): Promise<WalkAnswer[]> {
  const answers: WalkAnswer[] = [];
  for (const op of operations) {
    const request = requestFor(model, op, labelsFor(op));
    const res = await sendSigned(target, model, request);
    const body = await res.text();
    answers.push({
      operation: op.name,
      request,
      status: res.status,
      error: parseError(model.protocol, res.status, res.headers, body),
      contentType: res.headers.get('content-type') ?? '',
      body,
    });
  }
  return answers;
}

/** Whether an answer is the 501 NotImplemented the edge gives for an operation it does not implement. */
export function isNotImplemented(answer: WalkAnswer): boolean {
  return answer.status === 501 && answer.error?.code === 'NotImplemented';
}
