import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AwsError } from '../protocols/aws-error.ts';
import type { EdgeCredentials } from '../state/credentials.ts';
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

/** What a service knows of the edge it runs on: where clients reach it and the credentials they sign with. */
export interface EdgeEndpoint {
  /** The URL clients use to reach the edge (presigned URLs, `apiEndpoint`, code locations); known once it listens. */
  readonly publicUrl: string;
  readonly credentials: EdgeCredentials;
}

/** A handler of the edge's own `/_ddn/...` paths. */
export type InternalHandler = (req: IncomingMessage, res: ServerResponse, rawPath: string) => void | Promise<void>;

export interface InternalRoute {
  /** `/_ddn/...`; the longest matching prefix wins. */
  readonly prefix: string;
  readonly handler: InternalHandler;
}

/** How a service's SigV4 signatures cover the request; the edge's default fits every service but S3. */
export interface SigningPolicy {
  /** The payload hash the signature covers (`via`: Authorization header or presigned query). */
  payloadHash(request: EdgeRequest, via: 'header' | 'query'): string;
  /** S3's canonical path: each segment decoded once, then encoded once (no double encoding). */
  readonly s3CanonicalPath: boolean;
  /** The bucket of a virtual-hosted request, part of SigV2's string to sign (S3 only). */
  sigV2Bucket?(request: EdgeRequest): string | undefined;
}

export interface EdgeService {
  /** The SigV4 service name that routes signed requests here (`s3`, `lambda`, `apigateway`, `sts`), or an internal name. */
  readonly name: string;
  /** The edge reads the whole body before verifying the signature and passes it in `body` (JSON APIs). */
  readonly bufferBody: boolean;
  /**
   * The largest body the edge buffers for this service (default 64 MiB); a larger one goes to `sendError` as 413
   * RequestEntityTooLargeException before anything else is done.
   */
  readonly maxBodyBytes?: number;
  /** How signatures cover the payload; absent: the SHA-256 of the body, which must then be buffered. */
  readonly signing?: SigningPolicy;
  /**
   * This service also takes what no credential scope routes: unsigned browser CORS preflights, SigV2 and anonymous
   * requests (S3, as AWS's endpoint does). One service at most.
   */
  readonly takesUnscoped?: boolean;
  /**
   * Whether this service takes a request by its host or path, before any signature is looked at (API data planes:
   * `{apiId}.execute-api.localhost`, `/_aws/execute-api/{apiId}/...`). Called on every request: keep it cheap.
   */
  claims?(host: string, rawPath: string): boolean;
  /**
   * Whether this service takes a request that carries no signature at all (Cognito's public operations and
   * `/.well-known/` documents). Asked only for unsigned requests, before the `takesUnscoped` service gets them.
   */
  takesUnsigned?(host: string, rawPath: string, headers: IncomingHttpHeaders): boolean;
  /** `/_ddn/...` routes the service serves (Lambda's code download). */
  readonly internalRoutes?: readonly InternalRoute[];
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
