// The presign function: answers {"url": ...} with a presigned S3 PUT (mode=upload, on DDN_IN_BUCKET) or
// GET (mode=download, the default, on DDN_OUT_BUCKET). Deployable to AWS Lambda unchanged; configured
// only through environment variables.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface PresignEvent {
  queryStringParameters?: Record<string, string | undefined> | null;
  rawQueryString?: string;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface PresignResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const DEFAULT_EXPIRES = 3600;
const MAX_EXPIRES = 604800;
const MAX_KEY_BYTES = 1024;
const MODES = ['upload', 'download'];

class BadRequest extends Error {}

let cachedClient: { settings: string; client: S3Client } | undefined;

export const handler = async (event: PresignEvent | null | undefined): Promise<PresignResponse> => {
  let file: string;
  let mode: string;
  try {
    ({ file, mode } = readParameters(event ?? {}));
  } catch (err) {
    if (err instanceof BadRequest) return respondText(400, err.message);
    throw err;
  }
  try {
    const upload = mode === 'upload';
    const Bucket = upload
      ? process.env.DDN_IN_BUCKET || 'ddn-in-bucket'
      : process.env.DDN_OUT_BUCKET || 'ddn-out-bucket';
    const command = upload ? new PutObjectCommand({ Bucket, Key: file }) : new GetObjectCommand({ Bucket, Key: file });
    const url = await getSignedUrl(s3Client(), command, { expiresIn: expiresIn() });
    return respond(200, { url });
  } catch (err) {
    console.error('presign failed:', err);
    return respondText(500, 'Error generating presigned URL');
  }
};

/** `file` and `mode` from the query string (payload 1.0, 2.0 or a bare queryStringParameters), else from a JSON or form body. */
function readParameters(event: PresignEvent): { file: string; mode: string } {
  const query = event.queryStringParameters ?? {};
  let file: unknown = query.file;
  let mode: unknown = query.mode;
  if ((file === undefined || mode === undefined) && typeof event.body === 'string' && event.body !== '') {
    const body = readBody(event);
    file ??= body.file;
    mode ??= body.mode;
  }
  if (file === undefined || file === null || file === '') throw new BadRequest('file parameter is required');
  if (mode === undefined || mode === null || mode === '') mode = 'download';
  if (typeof mode !== 'string' || !MODES.includes(mode)) throw new BadRequest(`mode must be 'upload' or 'download'`);
  if (typeof file !== 'string') throw new BadRequest('file parameter must be a string');
  if (!isWellFormed(file) || !rawFileIsUtf8(event.rawQueryString))
    throw new BadRequest('file parameter must be valid UTF-8');
  if (Buffer.byteLength(file, 'utf8') > MAX_KEY_BYTES)
    throw new BadRequest(`file parameter must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  return { file, mode };
}

/** False for strings with lone surrogates, which have no UTF-8 form. */
function isWellFormed(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

function readBody(event: PresignEvent): Record<string, unknown> {
  const text = event.isBase64Encoded ? Buffer.from(event.body!, 'base64').toString('utf8') : event.body!;
  const contentType = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (contentType.includes('json') || (!contentType.includes('form') && text.trimStart().startsWith('{'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BadRequest('request body is not valid JSON');
    }
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** API Gateway decodes invalid percent-encoded UTF-8 into U+FFFD; the raw query string tells the two apart. */
function rawFileIsUtf8(rawQuery: string | undefined): boolean {
  if (!rawQuery) return true;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const pair of rawQuery.split('&')) {
    const [name, value = ''] = pair.split('=', 2) as [string, string?];
    if (name !== 'file') continue;
    try {
      decoder.decode(percentDecode(value.replace(/\+/g, ' ')));
    } catch {
      return false;
    }
  }
  return true;
}

function percentDecode(s: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i], 'utf8'));
    }
  }
  return Uint8Array.from(bytes);
}

function expiresIn(): number {
  const value = Number(process.env.DDN_S3_PRESIGN_EXPIRES);
  if (!Number.isFinite(value) || value < 1) return DEFAULT_EXPIRES;
  return Math.min(Math.floor(value), MAX_EXPIRES);
}

/** One client per configuration: the S3 endpoint override (path style, for the local edge), region, accelerate. */
function s3Client(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  const accelerate = endpoint === undefined && /^(1|true|yes|on)$/i.test(process.env.DDN_S3_USE_ACCELERATE ?? '');
  const settings = JSON.stringify([endpoint, region, accelerate]);
  if (cachedClient?.settings !== settings) {
    const client = new S3Client({
      region,
      endpoint,
      forcePathStyle: endpoint !== undefined,
      useAccelerateEndpoint: accelerate,
      // Keeps `x-amz-checksum-crc32` of an empty body out of presigned PUT URLs (some stores reject it).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    cachedClient = { settings, client };
  }
  return cachedClient.client;
}

function respond(statusCode: number, body: object): PresignResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Errors are the bare sentence, as the original function answered them (clients compare the text). */
function respondText(statusCode: number, message: string): PresignResponse {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: message };
}
