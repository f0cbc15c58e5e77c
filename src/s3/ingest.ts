import { createHash, type Hash } from 'node:crypto';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsError } from '../edge/errors.ts';
import type { EdgeRequest } from '../edge/types.ts';
import { AwsChunkedDecoder } from './chunked.ts';
import {
  CHECKSUM_ALGORITHMS,
  badDigest,
  createChecksummer,
  validateChecksumValue,
  type ChecksumAlgorithm,
  type Checksummer,
} from './checksums.ts';

export const MAX_OBJECT_SIZE = 5 * 1024 ** 3;

export interface ReceivedBody {
  size: number;
  md5: Buffer;
  /** The verified checksum the client sent (header or trailer), base64. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** How the body is framed and what it must match, read from the request headers before any byte is read. */
interface BodyExpectations {
  sha256Hex?: string;
  chunked?: AwsChunkedDecoder;
  declaredLength?: number;
  md5?: Buffer;
  checksum?: { algorithm: ChecksumAlgorithm; value?: string; fromTrailer: boolean };
}

/**
 * Streams the request body into `sink`, verifying everything the client declared: the signed payload hash,
 * aws-chunked framing and chunk signatures, Content-MD5, and x-amz-checksum-* (header or trailer).
 * Throws an AwsError after the sink was written when a check fails; the caller discards what the sink holds.
 */
export async function receiveBody(
  request: EdgeRequest,
  sink: Writable,
  maxSize = MAX_OBJECT_SIZE,
): Promise<ReceivedBody> {
  const expect = readExpectations(request, maxSize);
  const meter = new DigestingStream(expect);
  const stages: Transform[] = expect.chunked ? [expect.chunked, meter] : [meter];
  const { req } = request;
  const onClose = () => {
    if (!req.complete)
      stages[0].destroy(new AwsError(400, 'IncompleteBody', 'The request body terminated unexpectedly'));
  };
  req.once('close', onClose);
  req.pipe(stages[0]);
  try {
    await pipeline([...stages, sink] as unknown as [Transform, Writable]);
  } finally {
    req.off('close', onClose);
    req.unpipe(stages[0]);
  }
  return meter.verify(expect.chunked);
}

function readExpectations(request: EdgeRequest, maxSize: number): BodyExpectations {
  const headers = request.req.headers;
  const expect: BodyExpectations = {};
  const contentSha =
    request.auth?.scheme === 'sigv4' && request.auth.via === 'header'
      ? header(headers, 'x-amz-content-sha256')
      : undefined;
  let trailerAllowed = false;
  if (contentSha?.startsWith('STREAMING-')) {
    if (contentSha === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      expect.chunked = new AwsChunkedDecoder();
      trailerAllowed = true;
    } else if (
      contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' ||
      contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
    ) {
      const auth = request.auth as Extract<EdgeRequest['auth'], { scheme: 'sigv4' }>;
      expect.chunked = new AwsChunkedDecoder({
        signingKey: auth.signingKey,
        amzDate: auth.amzDate,
        scope: auth.scope,
        seedSignature: auth.signature,
      });
      trailerAllowed = contentSha.endsWith('-TRAILER');
    } else {
      throw new AwsError(
        501,
        'NotImplemented',
        `The x-amz-content-sha256 value ${contentSha} is not supported by this server.`,
      );
    }
    const decoded = header(headers, 'x-amz-decoded-content-length');
    if (decoded === undefined)
      throw new AwsError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    expect.declaredLength = parseLength(decoded);
  } else if (contentSha !== undefined && contentSha !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(contentSha)) {
      throw new AwsError(
        400,
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.',
        {
          ArgumentName: 'x-amz-content-sha256',
          ArgumentValue: contentSha,
        },
      );
    }
    expect.sha256Hex = contentSha;
  }
  if (!expect.chunked) {
    const length = header(headers, 'content-length');
    if (length === undefined)
      throw new AwsError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    expect.declaredLength = parseLength(length);
  }
  if (expect.declaredLength! > maxSize) {
    throw new AwsError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: expect.declaredLength!,
      MaxSizeAllowed: maxSize,
    });
  }

  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined) {
    const decoded = Buffer.from(md5, 'base64');
    if (decoded.length !== 16 || decoded.toString('base64') !== md5.trim())
      throw new AwsError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': md5 });
    expect.md5 = decoded;
  }

  const present = CHECKSUM_ALGORITHMS.filter((a) => header(headers, `x-amz-checksum-${a}`) !== undefined);
  if (present.length > 1)
    throw new AwsError(
      400,
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  if (present.length === 1) {
    const algorithm = present[0];
    const value = header(headers, `x-amz-checksum-${algorithm}`)!;
    validateChecksumValue(algorithm, value);
    expect.checksum = { algorithm, value, fromTrailer: false };
  }
  const trailer = header(headers, 'x-amz-trailer')?.toLowerCase();
  if (trailer !== undefined) {
    const algorithm = CHECKSUM_ALGORITHMS.find((a) => trailer === `x-amz-checksum-${a}`);
    if (!trailerAllowed || !algorithm)
      throw new AwsError(400, 'InvalidRequest', `The value specified in the x-amz-trailer header is not supported`);
    if (expect.checksum)
      throw new AwsError(
        400,
        'InvalidRequest',
        'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
      );
    expect.checksum = { algorithm, fromTrailer: true };
  }
  return expect;
}

/** Passes bytes through while computing MD5 (the ETag), and the SHA-256 / checksum the client declared. */
class DigestingStream extends Transform {
  size = 0;
  private readonly md5: Hash = createHash('md5');
  private readonly sha256?: Hash;
  private readonly checksummer?: Checksummer;

  constructor(private readonly expect: BodyExpectations) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    if (expect.sha256Hex) this.sha256 = createHash('sha256');
    if (expect.checksum) this.checksummer = createChecksummer(expect.checksum.algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.expect.declaredLength!) {
      return callback(
        new AwsError(400, 'IncompleteBody', 'The request body is longer than the declared content length.'),
      );
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksummer?.update(chunk);
    callback(null, chunk);
  }

  async verify(chunked?: AwsChunkedDecoder): Promise<ReceivedBody> {
    const { expect } = this;
    if (this.size !== expect.declaredLength) {
      throw new AwsError(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
      );
    }
    const md5 = this.md5.digest();
    if (this.sha256) {
      const computed = this.sha256.digest('hex');
      if (computed !== expect.sha256Hex) {
        throw new AwsError(
          400,
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          {
            ClientComputedContentSHA256: expect.sha256Hex!,
            S3ComputedContentSHA256: computed,
          },
        );
      }
    }
    if (expect.md5 && !expect.md5.equals(md5)) {
      throw new AwsError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: expect.md5.toString('hex'),
        CalculatedDigest: md5.toString('base64'),
      });
    }
    let checksum: ReceivedBody['checksum'];
    if (expect.checksum) {
      const { algorithm } = expect.checksum;
      let value = expect.checksum.value;
      if (expect.checksum.fromTrailer) {
        value = chunked?.trailers.get(`x-amz-checksum-${algorithm}`);
        if (value === undefined)
          throw new AwsError(
            400,
            'MalformedTrailerError',
            'The request contained trailing data that was not well-formed or did not conform to our published schema.',
          );
        validateChecksumValue(algorithm, value, 'trailer');
      }
      if ((await this.checksummer!.digest()) !== value) throw badDigest(algorithm);
      checksum = { algorithm, value: value };
    }
    return { size: this.size, md5, checksum };
  }
}

/** A sink that keeps the body in memory, for small XML request bodies. */
export class MemorySink extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    callback();
  }
  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Reads and verifies a small request body (XML documents). */
export async function receiveSmallBody(
  request: EdgeRequest,
  limit = 1024 * 1024,
): Promise<{ body: Buffer; received: ReceivedBody }> {
  const sink = new MemorySink();
  const received = await receiveBody(request, sink, limit);
  return { body: sink.body, received };
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseLength(text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new AwsError(400, 'InvalidArgument', 'Content-Length must be a non-negative integer.');
  return Number(text);
}
