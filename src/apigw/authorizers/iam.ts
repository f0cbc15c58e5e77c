import { AwsError } from '../../edge/errors.ts';
import { sha256Hex } from '../../edge/server.ts';
import { readBody } from '../../protocols/body.ts';
import { parseSigV4, readSigV4Scope, verifySigV4, type SignedRequest } from '../../edge/sigv4.ts';
import type { EdgeCredentials } from '../../state/credentials.ts';
import { MAX_PAYLOAD } from '../http-proxy.ts';
import type { GatewayRequest } from '../request-context.ts';
import { refuse, type AuthorizerDecision, type RouteAuthorizer } from './types.ts';

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

export interface IamAuthorizerDeps {
  credentials: EdgeCredentials;
  region: string;
  accountId: string;
}

function signatureFailure(errorType: string, message: string): AuthorizerDecision {
  return { failure: { status: 403, message, errorType, error: message } };
}

/**
 * The authorization step of an `AWS_IAM` route: a SigV4 signature (header or query) for service `execute-api` and the
 * API's region, made with the edge's credentials, which hold every permission. A request with a body has it read
 * here, since its hash is part of the signature; the integration then gets the body from `g.body`.
 */
export function iamRouteAuthorizer(deps: IamAuthorizerDeps): RouteAuthorizer {
  return async (g: GatewayRequest): Promise<AuthorizerDecision> => {
    const query = new URLSearchParams(g.rawQuery);
    const scope = readSigV4Scope(g.req.headers, query);
    if (!scope) return refuse(403, 'The request carries no SigV4 signature');
    const url = g.req.url ?? '/';
    const q = url.indexOf('?');
    const signed: SignedRequest = {
      method: g.method,
      rawPath: q === -1 ? url : url.slice(0, q),
      query,
      rawHeaders: g.req.rawHeaders,
    };
    let params;
    try {
      params = parseSigV4(signed, scope.via);
    } catch (err) {
      if (err instanceof AwsError) return signatureFailure('IncompleteSignatureException', err.message);
      throw err;
    }
    if (params.service !== 'execute-api') {
      return signatureFailure(
        'InvalidSignatureException',
        "Credential should be scoped to correct service: 'execute-api'. ",
      );
    }
    if (params.region !== deps.region)
      return signatureFailure('InvalidSignatureException', 'Credential should be scoped to a valid region. ');
    let body = g.body;
    const hasBody =
      g.req.headers['transfer-encoding'] !== undefined || (g.req.headers['content-length'] ?? '0') !== '0';
    if (body === undefined && hasBody) {
      try {
        body = g.body = await readBody(g.req, MAX_PAYLOAD);
      } catch (err) {
        if (err instanceof AwsError && err.status === 413)
          return { failure: { status: 413, message: 'Request Entity Too Large', error: err.message } };
        throw err;
      }
    }
    try {
      await verifySigV4(signed, params, {
        credentials: deps.credentials,
        payloadHash: sha256Hex(body ?? ''),
        s3Path: false,
      });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      if (err.code === 'InvalidAccessKeyId')
        return signatureFailure(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      if (err.code === 'SignatureDoesNotMatch')
        return signatureFailure('InvalidSignatureException', SIGNATURE_MISMATCH);
      if (err.code === 'RequestTimeTooSkewed')
        return signatureFailure(
          'InvalidSignatureException',
          `Signature expired: ${params.amzDate} is outside the 15 minute window.`,
        );
      return signatureFailure('IncompleteSignatureException', err.message);
    }
    const root = `arn:aws:iam::${deps.accountId}:root`;
    return {
      context: {
        kind: 'iam',
        identity: {
          accessKey: params.accessKeyId,
          accountId: deps.accountId,
          callerId: deps.accountId,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: root,
          userId: deps.accountId,
        },
      },
    };
  };
}
