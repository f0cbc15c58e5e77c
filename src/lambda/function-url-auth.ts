import type { IncomingMessage } from 'node:http';
import { AwsError } from '../protocols/aws-error.ts';
import { sha256Hex } from '../edge/server.ts';
import { parseSigV4, readSigV4Scope, verifySigV4 } from '../edge/sigv4.ts';
import type { EdgeCredentials } from '../state/credentials.ts';
import type { StoredStatement } from '../state/lambda-metadata.ts';
import type { PolicyStatement } from './policy.ts';

/** `requestContext.authorizer.iam` of a function URL event (the shape API Gateway's IAM authorizer gives too). */
export interface UrlCaller {
  accessKey: string;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
}

/**
 * The caller of an `AWS_IAM` URL: a SigV4 signature for service `lambda` in the edge's region, made with the edge's
 * credentials (the account's own, which hold every permission). Undefined for a missing or wrong signature.
 */
export async function signedCaller(
  req: IncomingMessage,
  rawPath: string,
  query: URLSearchParams,
  body: Buffer,
  deps: { credentials: EdgeCredentials; region: string; accountId: string },
): Promise<UrlCaller | undefined> {
  const scope = readSigV4Scope(req.headers, query);
  if (!scope || scope.service !== 'lambda') return undefined;
  const signed = { method: req.method ?? 'GET', rawPath, query, rawHeaders: req.rawHeaders };
  try {
    const params = parseSigV4(signed, scope.via);
    if (params.region !== deps.region) return undefined;
    await verifySigV4(signed, params, { credentials: deps.credentials, payloadHash: sha256Hex(body), s3Path: false });
    return {
      accessKey: params.accessKeyId,
      accountId: deps.accountId,
      callerId: deps.accountId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: `arn:aws:iam::${deps.accountId}:root`,
      userId: deps.accountId,
    };
  } catch (err) {
    if (err instanceof AwsError) return undefined;
    throw err;
  }
}

/**
 * Whether the function's resource policy opens a URL to everyone. Since October 2025 AWS wants two statements for
 * `Principal: *`: `lambda:InvokeFunctionUrl` (its `lambda:FunctionUrlAuthType` condition naming the URL's auth type)
 * and `lambda:InvokeFunction` (unconditioned, or with `lambda:InvokedViaFunctionUrl` true). `resource`: the ARN
 * the statements were added to (the alias's for an alias's URL).
 */
export function publicUrlAllowed(statements: readonly StoredStatement[], resource: string, authType: string): boolean {
  let url = false;
  let invoke = false;
  for (const { statement: text } of statements) {
    const s = JSON.parse(text) as PolicyStatement;
    if (s.Effect !== 'Allow' || s.Resource !== resource || !isEveryone(s.Principal)) continue;
    const wildcard = s.Action === 'lambda:*' || s.Action === '*';
    if ((wildcard || s.Action === 'lambda:InvokeFunctionUrl') && urlConditionsHold(s.Condition, authType)) url = true;
    if ((wildcard || s.Action === 'lambda:InvokeFunction') && urlConditionsHold(s.Condition, authType)) invoke = true;
  }
  return url && invoke;
}

function isEveryone(principal: PolicyStatement['Principal']): boolean {
  return principal === '*' || (typeof principal === 'object' && 'AWS' in principal && principal.AWS === '*');
}

/** Conditions an anonymous URL request satisfies: only the URL's auth type and "invoked via a function URL". */
function urlConditionsHold(condition: PolicyStatement['Condition'], authType: string): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      const lower = key.toLowerCase();
      if (operator === 'StringEquals' && lower === 'lambda:functionurlauthtype' && value === authType) continue;
      if (operator === 'Bool' && lower === 'lambda:invokedviafunctionurl' && String(value) === 'true') continue;
      return false;
    }
  }
  return true;
}
