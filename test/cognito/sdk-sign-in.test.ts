import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetUserCommand, InitiateAuthCommand, NotAuthorizedException } from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestEdge } from '../helpers/edge.ts';
import { cognitoClient } from '../../src/client/aws-clients.ts';
import { addUser, ensureSignInSetup } from '../../src/client/user-pool.ts';

test('SDK v3: ensureSignInSetup and addUser (idempotent); USER_PASSWORD_AUTH, refresh and GetUser', async () => {
  const edge = await startTestEdge();
  const endpoint = { url: edge.url, region: edge.region, credentials: edge.credentials };
  const cognito = cognitoClient({ url: edge.url, region: edge.region });
  try {
    const setup = await ensureSignInSetup(endpoint, 'ddn-users', 'ddn-cli');
    assert.deepEqual(
      await ensureSignInSetup(endpoint, 'ddn-users', 'ddn-cli'),
      setup,
      'a second call finds the same pool and client',
    );
    assert.equal(setup.issuer, `${edge.url}/${setup.userPoolId}`);
    const user = await addUser(endpoint, setup.userPoolId, 'maria', 'S3cret-pass!');
    assert.equal(user.created, true);
    assert.deepEqual(await addUser(endpoint, setup.userPoolId, 'maria', 'An0ther-pass!'), {
      sub: user.sub,
      created: false,
    });

    // The sign-in operations need no credentials: this client has none.
    const signIn = (password: string) =>
      cognito.send(
        new InitiateAuthCommand({
          ClientId: setup.clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'maria', PASSWORD: password },
        }),
      );
    await assert.rejects(
      signIn('S3cret-pass!'),
      (err: Error) => err instanceof NotAuthorizedException && err.message === 'Incorrect username or password.',
    );
    const result = (await signIn('An0ther-pass!')).AuthenticationResult!;
    const jwks = createRemoteJWKSet(new URL(`${setup.issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(result.IdToken!, jwks, { issuer: setup.issuer, audience: setup.clientId });
    assert.equal(payload.sub, user.sub);
    const refreshed = await cognito.send(
      new InitiateAuthCommand({
        ClientId: setup.clientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: result.RefreshToken! },
      }),
    );
    const me = await cognito.send(new GetUserCommand({ AccessToken: refreshed.AuthenticationResult!.AccessToken }));
    assert.equal(me.Username, 'maria');
  } finally {
    cognito.destroy();
    await edge.close();
  }
});
