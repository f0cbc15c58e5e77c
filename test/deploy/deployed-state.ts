import { awsApiEndpoint, type Declaration } from '../../src/deploy/declaration.ts';
import type { TargetState } from '../../src/deploy/target.ts';

/** The deploy plan tests' target: its account, code hash, and (with sign-in) user pool and app client ids. */
export const ACCOUNT = '123456789012';
export const CODE = 'c29tZWhhc2g=';
export const POOL = 'eu-west-1_AbCdEf123';
export const CLIENT = '3nkoep4151b7umeggnottc30u9';

/** A target that holds exactly what `declaration` declares (sign-in included), as `readTarget` would report it. */
export function deployedState(declaration: Declaration): TargetState {
  const fn = declaration.function;
  const ids = { lambda: 'int0001', backend: 'int0002' } as const;
  const stage = declaration.api.stage.accessLogSettings;
  const auth = declaration.auth;
  return {
    accountId: ACCOUNT,
    buckets: Object.fromEntries(
      declaration.buckets.map((b) => [b.name, { exists: true, cors: structuredClone(b.cors) }]),
    ),
    roleExists: declaration.role ? true : undefined,
    function: {
      codeSha256: CODE,
      runtime: fn.runtime,
      handler: fn.handler,
      role: fn.role(ACCOUNT),
      timeout: fn.timeout,
      memorySize: fn.memorySize,
      environment: { ...fn.environment },
    },
    apis: [{ apiId: 'abc1234567', apiEndpoint: awsApiEndpoint('abc1234567', declaration.region) }],
    api: {
      apiId: 'abc1234567',
      apiEndpoint: awsApiEndpoint('abc1234567', declaration.region),
      integrations: [
        {
          integrationId: ids.lambda,
          integrationType: 'AWS_PROXY',
          integrationMethod: 'POST',
          payloadFormatVersion: '2.0',
          integrationUri: declaration.api.integrations.lambda.integrationUri(ACCOUNT),
        },
        {
          integrationId: ids.backend,
          integrationType: 'HTTP_PROXY',
          integrationMethod: 'ANY',
          payloadFormatVersion: '1.0',
          integrationUri: declaration.api.integrations.backend.integrationUri(ACCOUNT),
        },
      ],
      routes: declaration.api.routes.map((r, i) => ({
        routeId: `route0${i}`,
        routeKey: r.routeKey,
        target: `integrations/${ids[r.integration]}`,
        authorizationType: r.authorizationType,
        authorizerId: r.authorizationType === 'JWT' ? 'auth01' : undefined,
      })),
      stages: [
        {
          stageName: '$default',
          autoDeploy: true,
          accessLogSettings: stage && { destinationArn: stage.destinationArn(ACCOUNT), format: stage.format },
        },
      ],
      authorizers: auth
        ? [
            {
              authorizerId: 'auth01',
              name: auth.authorizer.name,
              authorizerType: 'JWT',
              identitySource: [auth.authorizer.identitySource],
              issuer: auth.authorizer.issuer(POOL),
              audience: [CLIENT],
            },
          ]
        : [],
    },
    permission: { sourceArn: declaration.permission.sourceArn(ACCOUNT, 'abc1234567') },
    ...(auth && {
      auth: {
        userPools: [{ id: POOL, name: auth.userPool.name }],
        clients: [
          {
            clientId: CLIENT,
            clientName: auth.client.name,
            explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH'],
            hasSecret: false,
          },
        ],
      },
    }),
    ...(declaration.logGroup && { logGroup: { exists: true } }),
  };
}
