import type { IncomingHttpHeaders } from 'node:http';
import type { AwsError } from '../protocols/aws-error.ts';
import type { EdgeRequest, EdgeService } from '../edge/types.ts';
import {
  serveJson,
  targetOperation,
  writeJsonProtocolError,
  type JsonOperation,
  type JsonService,
} from '../protocols/json.ts';
import type { CognitoMetadata } from '../state/cognito-metadata.ts';
import { authOperations } from './auth.ts';
import type { CognitoContext } from './context.ts';
import { cognitoErrors } from './errors.ts';
import { poolOperations } from './pools.ts';
import { TokenSigner, poolJwks } from './tokens.ts';
import { userOperations } from './users.ts';

const COGNITO: JsonService = {
  name: 'cognito-idp',
  targetPrefix: 'AWSCognitoIdentityProviderService',
  jsonVersion: '1.1',
};

/** The operations Cognito serves without a signature (botocore's `smithy.api#noAuth` ones). */
const PUBLIC_OPERATIONS = new Set([
  'AssociateSoftwareToken',
  'ChangePassword',
  'CompleteWebAuthnRegistration',
  'ConfirmDevice',
  'ConfirmForgotPassword',
  'ConfirmSignUp',
  'DeleteUser',
  'DeleteUserAttributes',
  'DeleteWebAuthnCredential',
  'ForgetDevice',
  'ForgotPassword',
  'GetDevice',
  'GetTokensFromRefreshToken',
  'GetUser',
  'GetUserAttributeVerificationCode',
  'GetUserAuthFactors',
  'GlobalSignOut',
  'InitiateAuth',
  'ListDevices',
  'ListWebAuthnCredentials',
  'ResendConfirmationCode',
  'RespondToAuthChallenge',
  'RevokeToken',
  'SetUserMFAPreference',
  'SetUserSettings',
  'SignUp',
  'StartWebAuthnRegistration',
  'UpdateAuthEventFeedback',
  'UpdateDeviceStatus',
  'UpdateUserAttributes',
  'VerifySoftwareToken',
  'VerifyUserAttribute',
]);

/** `/{userPoolId}/.well-known/{jwks.json | openid-configuration}` */
const WELL_KNOWN = /^\/([\w-]+_[0-9a-zA-Z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/;

export interface CognitoServiceDeps {
  store: CognitoMetadata;
  region: string;
  accountId: string;
  /** Where clients reach the edge: the pools' issuers are `{publicUrl}/{userPoolId}`. */
  endpoint: { readonly publicUrl: string };
}

/**
 * Cognito user pools (JSON 1.1, scope `cognito-idp`): pools, app clients, users, password sign-in with RS256 tokens,
 * and each pool's discovery documents. Sign-in operations and the documents are served unsigned, as on AWS.
 */
export class CognitoService implements EdgeService {
  readonly name = 'cognito-idp';
  readonly bufferBody = true;
  private readonly ctx: CognitoContext;
  private readonly operations: Record<string, JsonOperation>;

  constructor(private readonly deps: CognitoServiceDeps) {
    this.ctx = {
      store: deps.store,
      signer: new TokenSigner(),
      region: deps.region,
      account: deps.accountId,
      issuer: (poolId) => `${deps.endpoint.publicUrl}/${poolId}`,
    };
    this.operations = { ...poolOperations(this.ctx), ...userOperations(this.ctx), ...authOperations(this.ctx) };
  }

  /**
   * Unsigned requests AWS also serves: the pools' `/.well-known/` documents, and every request naming a Cognito
   * operation (the public ones are answered, the others refused in Cognito's format by `handle`).
   */
  takesUnsigned(_host: string, rawPath: string, headers: IncomingHttpHeaders): boolean {
    if (WELL_KNOWN.test(rawPath)) return true;
    return rawPath === '/' && targetOperation(headers['x-amz-target'], COGNITO.targetPrefix) !== undefined;
  }

  async handle(request: EdgeRequest): Promise<void> {
    const wellKnown = WELL_KNOWN.exec(request.rawPath);
    if (request.method === 'GET' && wellKnown) return this.serveDiscovery(request, wellKnown[1], wellKnown[2]);
    const operation = targetOperation(request.req.headers['x-amz-target'], COGNITO.targetPrefix);
    if (request.auth === undefined && (operation === undefined || !PUBLIC_OPERATIONS.has(operation)))
      throw cognitoErrors.missingAuthentication();
    await serveJson(COGNITO, this.operations, request, request.req.headers['x-amz-target'], request.body);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    writeJsonProtocolError(request, COGNITO.jsonVersion, error);
  }

  private serveDiscovery(request: EdgeRequest, poolId: string, document: string): void {
    const pool = this.deps.store.getPool(poolId);
    const send = (status: number, body: unknown): void => {
      request.res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': request.requestId });
      request.res.end(JSON.stringify(body));
    };
    // unconfirmed: the body AWS answers for an unknown pool.
    if (!pool) return send(404, { message: `User pool ${poolId} does not exist.` });
    if (document === 'jwks.json') return send(200, poolJwks(pool));
    const issuer = this.ctx.issuer(poolId);
    send(200, {
      authorization_endpoint: issuer,
      id_token_signing_alg_values_supported: ['RS256'],
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ['code', 'id_token', 'token id_token', 'none'],
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  }
}

export function createCognitoService(deps: CognitoServiceDeps): CognitoService {
  return new CognitoService(deps);
}
