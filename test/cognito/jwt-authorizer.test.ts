import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAuthorizerCommand,
  GetRoutesCommand,
  UpdateRouteCommand,
  ApiGatewayV2Client,
} from '@aws-sdk/client-apigatewayv2';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { startTestEdge } from '../helpers/edge.ts';
import { deployApi, ECHO_FUNCTION, sdkAllow, sdkFunction } from '../apigw/helpers.ts';
import { cognitoClient } from '../../src/client/aws-clients.ts';
import { addUser, ensureSignInSetup } from '../../src/client/user-pool.ts';

test("the edge's JWT authorizer accepts the local user pool's tokens and refuses others", async () => {
  const edge = await startTestEdge();
  const endpoint = { url: edge.url, region: edge.region, credentials: edge.credentials };
  const cognito = cognitoClient(endpoint);
  const apigw = new ApiGatewayV2Client({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
  try {
    const setup = await ensureSignInSetup(endpoint, 'ddn-users', 'ddn-cli');
    await addUser(endpoint, setup.userPoolId, 'ana', 'Corr3ct-horse!');
    const other = await ensureSignInSetup(endpoint, 'other-pool', 'other-cli');
    await addUser(endpoint, other.userPoolId, 'ana', 'Corr3ct-horse!');
    const signIn = async (clientId: string) =>
      (
        await cognito.send(
          new InitiateAuthCommand({
            ClientId: clientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: 'ana', PASSWORD: 'Corr3ct-horse!' },
          }),
        )
      ).AuthenticationResult!;

    const fn = await sdkFunction(edge, 'echo', ECHO_FUNCTION);
    const { apiId, base } = await deployApi(edge, [{ routeKey: 'GET /me', target: fn }]);
    await sdkAllow(edge, 'echo', apiId);
    const authorizer = await apigw.send(
      new CreateAuthorizerCommand({
        ApiId: apiId,
        Name: 'users',
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: setup.issuer, Audience: [setup.clientId] },
      }),
    );
    const route = (await apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items![0];
    await apigw.send(
      new UpdateRouteCommand({
        ApiId: apiId,
        RouteId: route.RouteId,
        AuthorizationType: 'JWT',
        AuthorizerId: authorizer.AuthorizerId,
      }),
    );

    const call = (token?: string) =>
      fetch(`${base}/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const tokens = await signIn(setup.clientId);
    const withId = await call(tokens.IdToken);
    assert.equal(withId.status, 200);
    const event = (await withId.json()) as {
      requestContext: { authorizer: { jwt: { claims: Record<string, string> } } };
    };
    assert.equal(event.requestContext.authorizer.jwt.claims['cognito:username'], 'ana');
    assert.equal((await call(tokens.AccessToken)).status, 200, 'an access token matches the audience by client_id');
    assert.equal((await call()).status, 401);
    assert.equal((await call((await signIn(other.clientId)).IdToken)).status, 401, "another pool's token");
  } finally {
    cognito.destroy();
    apigw.destroy();
    await edge.close();
  }
});
