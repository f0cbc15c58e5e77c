import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AwsError } from './errors.ts';
import type { VerifiedSigV4 } from './sigv4.ts';

export interface VerifiedSigV2 {
  scheme: 'sigv2';
  via: 'header' | 'query';
  accessKeyId: string;
}

export type VerifiedAuth = VerifiedSigV4 | VerifiedSigV2;

/** One request as the edge hands it to a service. */
export interface EdgeRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path exactly as received, percent-encoding kept. */
  rawPath: string;
  /** Query string as received, without `?`. */
  rawQuery: string;
  query: URLSearchParams;
  /** `host` header, lower-cased. */
  host: string;
  requestId: string;
  startedAt: number;
  /** The verified signature; undefined for anonymous requests. */
  auth?: VerifiedAuth;
  /** The whole body, for services registered with `bufferBody` (its hash was part of the signature check). */
  body?: Buffer;
}

export interface EdgeService {
  /** The SigV4 service name that routes signed requests here (`s3`, `lambda`, `apigateway`, `sts`), or an internal name. */
  readonly name: string;
  /** The edge reads the whole body before verifying the signature and passes it in `body` (JSON APIs). */
  readonly bufferBody: boolean;
  handle(request: EdgeRequest): Promise<void>;
  /** Writes an error in this service's wire format. */
  sendError(request: EdgeRequest, error: AwsError): void;
  /**
   * Answers a request whose body stopped arriving (DDN_BODY_IDLE_TIMEOUT_S), when the service has an answer for
   * that (S3's RequestTimeout); without one the edge closes the connection.
   */
  sendBodyTimeout?(request: EdgeRequest): void;
  /**
   * The blob ids this service's metadata references. Required of every service that stores blobs: at start-up
   * the edge deletes blob files that no service references (left by a crash between rename and commit).
   */
  referencedBlobs?(): Iterable<string>;
  close?(): Promise<void>;
}
