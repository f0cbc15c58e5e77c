import type { ServiceDeps } from '../edge/start.ts';
import { AwsError } from '../edge/errors.ts';
import type { EdgeRequest, EdgeService } from '../edge/types.ts';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** STS codes for the edge's S3-style signature errors. */
const AUTH_CODES: Record<string, string> = {
  InvalidAccessKeyId: 'InvalidClientTokenId',
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  RequestTimeTooSkewed: 'SignatureDoesNotMatch',
  AuthorizationHeaderMalformed: 'IncompleteSignature',
  AuthorizationQueryParametersError: 'IncompleteSignature',
  AccessDenied: 'AccessDenied',
};

/** STS `GetCallerIdentity` (query protocol): the one call the platform's scripts make, to read the account id. */
export class StsService implements EdgeService {
  readonly name = 'sts';
  readonly bufferBody = true;

  constructor(private readonly deps: ServiceDeps) {}

  async handle(request: EdgeRequest): Promise<void> {
    const params = new URLSearchParams(request.rawQuery);
    if (request.method === 'POST') for (const [k, v] of new URLSearchParams((request.body ?? Buffer.alloc(0)).toString('utf8'))) params.set(k, v);
    const action = params.get('Action');
    if (action !== 'GetCallerIdentity') {
      throw new AwsError(400, 'InvalidAction', `Could not find operation ${action ?? '(none)'} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    }
    const account = this.deps.config.accountId;
    const body =
      `<GetCallerIdentityResponse xmlns="${NAMESPACE}">\n  <GetCallerIdentityResult>\n` +
      `    <Arn>arn:aws:iam::${account}:root</Arn>\n    <UserId>${account}</UserId>\n    <Account>${account}</Account>\n` +
      `  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${request.requestId}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`;
    request.res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': request.requestId });
    request.res.end(body);
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    const code = AUTH_CODES[error.code] ?? error.code;
    const body =
      `<ErrorResponse xmlns="${NAMESPACE}">\n  <Error>\n    <Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>\n` +
      `    <Code>${escapeXml(code)}</Code>\n    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n` +
      `  <RequestId>${request.requestId}</RequestId>\n</ErrorResponse>\n`;
    if (request.res.headersSent) return void request.res.destroy();
    request.res.writeHead(error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': request.requestId });
    request.res.end(body);
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
