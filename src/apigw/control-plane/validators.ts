import { badRequest } from '../errors.ts';
import { DEFAULT_TIMEOUT_MS, omitUndefined, type CorsConfiguration, type Integration } from '../model.ts';

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_$.{}-]+(:[A-Za-z0-9_$.{}-]+)?$/;
const LAMBDA_INVOKE_URI =
  /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/;
const LOG_GROUP_ARN = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_\-/.#]+(:\*)?$/;

/** The function an AWS_PROXY integration URI names: the ARN inside an invocation URI, or the URI itself. */
export function lambdaFunctionOfUri(uri: string): string {
  return LAMBDA_INVOKE_URI.exec(uri)?.[1] ?? uri;
}

export function validateCors(cors: CorsConfiguration | undefined): void {
  if (cors?.allowCredentials && cors.allowOrigins?.includes('*')) {
    throw badRequest("allow-credentials is not supported if 'allow-origin' is *");
  }
}

export type IntegrationDraft = Omit<Partial<Integration>, 'integrationType' | 'payloadFormatVersion'> & {
  integrationId: string;
  integrationType?: string;
  payloadFormatVersion?: string;
};

/** A complete integration from a draft, with AWS's defaults; refuses what HTTP APIs (or the local gateway) lack. */
export function validateIntegration(i: IntegrationDraft): Integration {
  const type = i.integrationType;
  if (type !== 'AWS_PROXY' && type !== 'HTTP_PROXY') {
    throw badRequest(
      ['AWS', 'HTTP', 'MOCK'].includes(type ?? '')
        ? `Integration type ${type} is not supported for HTTP APIs; use AWS_PROXY or HTTP_PROXY.`
        : `Invalid integrationType '${type}': use AWS_PROXY or HTTP_PROXY.`,
    );
  }
  if (!i.integrationUri) throw badRequest(`integrationUri is required for ${type} integrations.`);
  const timeout = i.timeoutInMillis ?? DEFAULT_TIMEOUT_MS;
  if (timeout < 50 || timeout > 30_000)
    throw badRequest(`Invalid timeoutInMillis ${timeout}: must be between 50 and 30000.`);
  let payloadFormatVersion = i.payloadFormatVersion;
  if (type === 'AWS_PROXY') {
    if (!LAMBDA_ARN.test(i.integrationUri) && !LAMBDA_INVOKE_URI.test(i.integrationUri)) {
      throw badRequest(
        `Invalid integrationUri '${i.integrationUri}' for AWS_PROXY: use a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME) or its invocation URI.`,
      );
    }
    if (payloadFormatVersion === undefined)
      throw badRequest('payloadFormatVersion is required for AWS_PROXY integrations ("1.0" or "2.0").');
  } else {
    let url: URL;
    try {
      url = new URL(i.integrationUri.replace(/\$\{stageVariables\.[A-Za-z0-9_]+\}/g, 'stagevar'));
    } catch {
      throw badRequest(`Invalid integrationUri '${i.integrationUri}' for HTTP_PROXY: must be an absolute http(s) URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw badRequest(`Invalid integrationUri '${i.integrationUri}' for HTTP_PROXY: must be an absolute http(s) URL.`);
    }
    payloadFormatVersion ??= '1.0';
  }
  if (payloadFormatVersion !== '1.0' && payloadFormatVersion !== '2.0') {
    throw badRequest(`Invalid payloadFormatVersion '${payloadFormatVersion}': use "1.0" or "2.0".`);
  }
  if (type === 'HTTP_PROXY' && payloadFormatVersion !== '1.0')
    throw badRequest('HTTP_PROXY integrations support only payloadFormatVersion 1.0.');
  const connectionType = i.connectionType ?? 'INTERNET';
  if (connectionType === 'VPC_LINK') {
    if (type !== 'HTTP_PROXY')
      throw badRequest('connectionType VPC_LINK is supported only for HTTP_PROXY integrations.');
    if (!i.connectionId) throw badRequest('connectionId is required when connectionType is VPC_LINK.');
  }
  return omitUndefined({
    ...i,
    integrationType: type,
    integrationUri: i.integrationUri,
    integrationMethod: type === 'AWS_PROXY' ? 'POST' : (i.integrationMethod ?? 'ANY').toUpperCase(),
    payloadFormatVersion,
    timeoutInMillis: timeout,
    connectionType,
    connectionId: connectionType === 'VPC_LINK' ? i.connectionId : undefined,
  });
}

export function validateStageVariables(vars: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(vars ?? {})) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(k))
      throw badRequest(`Invalid stage variable name "${k}": use letters, digits and '_'.`);
    if (!/^[A-Za-z0-9\-._~:/?#&=,]{1,2048}$/.test(v))
      throw badRequest(`Invalid value for stage variable "${k}": allowed characters are A-Za-z0-9-._~:/?#&=,`);
  }
}

export function validateAccessLog(settings: { destinationArn?: string; format?: string } | undefined): void {
  if (!settings) return;
  if (settings.destinationArn !== undefined && !LOG_GROUP_ARN.test(settings.destinationArn)) {
    throw badRequest(`Invalid destinationArn "${settings.destinationArn}": must be a CloudWatch Logs log group ARN.`);
  }
  if (settings.format !== undefined) {
    if (!settings.format.includes('$context.requestId'))
      throw badRequest('The access log format must contain $context.requestId.');
    if (Buffer.byteLength(settings.format) > 3072) throw badRequest('The access log format must be at most 3 KB.');
  }
}
