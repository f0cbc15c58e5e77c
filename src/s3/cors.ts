import { AwsError } from '../edge/errors.ts';
import type { EdgeRequest } from '../edge/types.ts';
import { noSuchBucket, requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { header, receiveSmallBody } from './ingest.ts';
import { document, el, malformedXml, parseXmlBody, wrap } from './xml.ts';

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];

function rulesOf(ctx: S3Context, bucket: string): CorsRule[] | undefined {
  const cors = ctx.meta.getBucket(bucket)?.cors;
  return cors ? (JSON.parse(cors) as CorsRule[]) : undefined;
}

/** `*` matches any run of characters (S3 allows one wildcard per origin / header pattern). */
function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'i' : '').test(value);
}

function findRule(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcardMatch(o, origin)) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a, h, true))),
  );
}

function corsHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': rule.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!rule.allowedOrigins.includes('*')) headers['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length) headers['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  return headers;
}

/** Answers a browser preflight from the bucket's rules, without authentication. */
export function preflight(ctx: S3Context, request: EdgeRequest, bucket: string | undefined): void {
  const origin = header(request.req.headers, 'origin');
  const method = header(request.req.headers, 'access-control-request-method');
  if (!origin || !method) {
    throw new AwsError(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
  }
  if (!bucket) throw new AwsError(403, 'AccessForbidden', 'CORSResponse: Bucket not found');
  if (!ctx.meta.getBucket(bucket)) throw noSuchBucket(bucket);
  const requestHeaders = (header(request.req.headers, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const rule = findRule(rulesOf(ctx, bucket) ?? [], origin, method, requestHeaders);
  if (!rule) {
    throw new AwsError(
      403,
      'AccessForbidden',
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      {
        Method: method,
        ResourceType: 'OBJECT',
      },
    );
  }
  const headers = corsHeaders(rule, origin);
  if (requestHeaders.length) headers['access-control-allow-headers'] = requestHeaders.join(', ');
  send(request, 200, headers);
}

/** Adds the CORS headers of the matching rule to an actual (signed) request that carries `Origin`. */
export function applyCorsHeaders(ctx: S3Context, request: EdgeRequest, bucket: string | undefined): void {
  const origin = header(request.req.headers, 'origin');
  if (!origin || !bucket) return;
  const rules = rulesOf(ctx, bucket);
  const rule = rules && findRule(rules, origin, request.method, []);
  if (!rule) return;
  for (const [name, value] of Object.entries(corsHeaders(rule, origin))) request.res.setHeader(name, value);
}

const asStrings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x).trim());

export async function putBucketCors(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): Promise<void> {
  requireBucket(ctx, bucket);
  const { body } = await receiveSmallBody(request, 64 * 1024);
  const doc = parseXmlBody(body, 'CORSConfiguration');
  const rawRules = (doc.CORSRule ?? []) as Array<Record<string, unknown>>;
  if (rawRules.length === 0 || rawRules.length > 100) throw malformedXml();
  const rules: CorsRule[] = rawRules.map((r) => {
    const rule: CorsRule = {
      id: typeof r.ID === 'string' ? r.ID : undefined,
      allowedOrigins: asStrings(r.AllowedOrigin),
      allowedMethods: asStrings(r.AllowedMethod),
      allowedHeaders: asStrings(r.AllowedHeader),
      exposeHeaders: asStrings(r.ExposeHeader),
      maxAgeSeconds: r.MaxAgeSeconds === undefined ? undefined : Number(r.MaxAgeSeconds),
    };
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) throw malformedXml();
    const bad = rule.allowedMethods.find((m) => !METHODS.includes(m));
    if (bad)
      throw new AwsError(
        400,
        'InvalidRequest',
        `Found unsupported HTTP method in CORS config. Unsupported method is ${bad}`,
      );
    if (rule.maxAgeSeconds !== undefined && !Number.isInteger(rule.maxAgeSeconds)) throw malformedXml();
    const origin = rule.allowedOrigins.find((o) => o.split('*').length > 2);
    if (origin !== undefined)
      throw new AwsError(400, 'InvalidRequest', `AllowedOrigin "${origin}" can not have more than one wildcard.`);
    const allowedHeader = rule.allowedHeaders.find((h) => h.split('*').length > 2);
    if (allowedHeader !== undefined) {
      throw new AwsError(
        400,
        'InvalidRequest',
        `AllowedHeader "${allowedHeader}" can not have more than one wildcard.`,
      );
    }
    return rule;
  });
  ctx.meta.setBucketCors(bucket, JSON.stringify(rules));
  send(request, 200);
}

export function getBucketCors(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  const rules = rulesOf(ctx, bucket);
  if (!rules)
    throw new AwsError(404, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist', { BucketName: bucket });
  const xml = rules
    .map((r) =>
      wrap(
        'CORSRule',
        el('ID', r.id) +
          r.allowedHeaders.map((h) => el('AllowedHeader', h)).join('') +
          r.allowedMethods.map((m) => el('AllowedMethod', m)).join('') +
          r.allowedOrigins.map((o) => el('AllowedOrigin', o)).join('') +
          r.exposeHeaders.map((h) => el('ExposeHeader', h)).join('') +
          el('MaxAgeSeconds', r.maxAgeSeconds),
      ),
    )
    .join('');
  send(request, 200, {}, document('CORSConfiguration', xml));
}

export function deleteBucketCors(ctx: S3Context, { request, bucket }: S3Call & { bucket: string }): void {
  requireBucket(ctx, bucket);
  ctx.meta.setBucketCors(bucket, null);
  send(request, 204);
}
