import { createHash, createHmac, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AwsError } from '../edge/errors.ts';
import { constantTimeEqual } from '../edge/sigv4.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MAX_LINE = 4096;
const CRLF = Buffer.from('\r\n');

/** What a signed aws-chunked body is verified with: the seed signature and key of the request. */
export interface ChunkSigning {
  signingKey: Uint8Array;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

type State = 'header' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * Decodes `Content-Encoding: aws-chunked` framing (`hex-size[;chunk-signature=sig]\r\n data \r\n ... 0\r\n trailers \r\n`),
 * passing only the payload on. With `signing`, every chunk signature (and the trailer signature) is verified;
 * a failure errors the stream, and the caller discards whatever it wrote. Trailers are collected in `trailers`.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  decodedLength = 0;
  private state: State = 'header';
  private line: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private chunkSignature = '';
  private previousSignature: string;
  private chunkHash?: Hash;

  constructor(private readonly signing?: ChunkSigning) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.previousSignature = signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'trailer' && this.line.length === 0) this.finishTrailers();
    if (this.state !== 'done') return callback(incompleteBody());
    callback();
  }

  private consume(buf: Buffer): void {
    let offset = 0;
    while (offset < buf.length) {
      switch (this.state) {
        case 'header':
        case 'trailer': {
          const end = buf.indexOf(0x0a, offset);
          const piece = buf.subarray(offset, end === -1 ? buf.length : end + 1);
          this.line = this.line.length ? Buffer.concat([this.line, piece]) : Buffer.from(piece);
          offset += piece.length;
          if (this.line.length > MAX_LINE) throw incompleteBody('aws-chunked line is too long');
          if (end === -1) break;
          const text = this.line.toString('latin1').replace(/\r?\n$/, '');
          this.line = Buffer.alloc(0);
          if (this.state === 'header') this.chunkHeader(text);
          else this.trailerLine(text);
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, buf.length - offset);
          const data = buf.subarray(offset, offset + take);
          offset += take;
          this.remaining -= take;
          this.decodedLength += take;
          this.chunkHash?.update(data);
          this.push(data);
          if (this.remaining === 0) this.state = 'data-crlf';
          break;
        }
        case 'data-crlf': {
          const need = CRLF.length - this.line.length;
          const piece = buf.subarray(offset, offset + need);
          this.line = Buffer.concat([this.line, piece]);
          offset += piece.length;
          if (this.line.length < CRLF.length) break;
          if (!this.line.equals(CRLF)) throw incompleteBody('aws-chunked data is not followed by CRLF');
          this.line = Buffer.alloc(0);
          this.endChunk();
          this.state = 'header';
          break;
        }
        case 'done':
          return;
      }
    }
  }

  private chunkHeader(text: string): void {
    const m = /^([0-9a-fA-F]+)(?:;chunk-signature=([0-9a-f]{64}))?\s*$/.exec(text);
    if (!m) throw incompleteBody(`malformed aws-chunked header ${JSON.stringify(text.slice(0, 80))}`);
    if (this.signing && !m[2])
      throw new AwsError(
        403,
        'SignatureDoesNotMatch',
        'A chunk of the aws-chunked body is missing its chunk-signature.',
      );
    const size = parseInt(m[1], 16);
    this.chunkSignature = m[2] ?? '';
    if (this.signing) this.chunkHash = createHash('sha256');
    if (size === 0) {
      this.endChunk();
      this.state = 'trailer';
    } else {
      this.remaining = size;
      this.state = 'data';
    }
  }

  private endChunk(): void {
    if (this.signing) {
      const payloadHash = this.chunkHash!.digest('hex');
      this.verify('AWS4-HMAC-SHA256-PAYLOAD', [EMPTY_SHA256, payloadHash], this.chunkSignature);
      this.chunkHash = undefined;
    }
  }

  private trailerLine(text: string): void {
    if (text === '') return this.finishTrailers();
    const colon = text.indexOf(':');
    if (colon <= 0) throw incompleteBody('malformed aws-chunked trailer');
    this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }

  private finishTrailers(): void {
    if (this.signing && this.trailers.size > 0) {
      const signature = this.trailers.get('x-amz-trailer-signature') ?? '';
      const canonical = [...this.trailers]
        .filter(([name]) => name !== 'x-amz-trailer-signature')
        .map(([n, v]) => `${n}:${v}\n`)
        .join('');
      this.verify('AWS4-HMAC-SHA256-TRAILER', [createHash('sha256').update(canonical).digest('hex')], signature);
    }
    this.trailers.delete('x-amz-trailer-signature');
    this.state = 'done';
  }

  private verify(algorithm: string, hashes: string[], provided: string): void {
    const s = this.signing!;
    const stringToSign = [algorithm, s.amzDate, s.scope, this.previousSignature, ...hashes].join('\n');
    const expected = createHmac('sha256', s.signingKey).update(stringToSign).digest('hex');
    if (!constantTimeEqual(expected, provided)) {
      throw new AwsError(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        {
          StringToSign: stringToSign,
          SignatureProvided: provided,
        },
      );
    }
    this.previousSignature = expected;
  }
}

function incompleteBody(detail?: string): AwsError {
  return new AwsError(
    400,
    'IncompleteBody',
    detail ? `The request body is incomplete: ${detail}.` : 'The request body terminated unexpectedly',
  );
}
