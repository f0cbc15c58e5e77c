import type { IncomingMessage } from 'node:http';
import { AwsError } from './aws-error.ts';

/** Reads a whole request body of at most `limit` bytes; more is 413 RequestEntityTooLargeException. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    throw new AwsError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new AwsError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Whether a request carries a body (GETs from browsers and curl carry none: nothing to read). */
export function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  );
}
