// Sign-in as the client commands do it, against the Cognito user pool of a real edge; a small API that
// verifies the ID token with jose against the pool's JWKS stands in for the gateway's JWT authorizer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { cognitoClient } from '../../src/client/aws-clients.ts';
import { authHint, ping, RemoteError } from '../../src/client/api.ts';
import { refreshTokens, signIn, userPoolEndpoint, type UserPoolTarget } from '../../src/client/auth/cognito.ts';
import { LoginSession, SessionExpiredError, staticToken } from '../../src/client/auth/session.ts';
import { TokenStore } from '../../src/client/auth/token-store.ts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';

const PASSWORD = 'Corr3ct-horse!';
let edge: TestEdge;
let target: UserPoolTarget;
let userPoolId: string;
let api: Server;
let apiUrl: string;
let dataDir: string;
const seenTokens: Array<string | undefined> = [];

before(async () => {
  edge = await startTestEdge();
  const cognito = cognitoClient({ url: edge.url, region: edge.region, credentials: edge.credentials });
  userPoolId = (await cognito.send(new CreateUserPoolCommand({ PoolName: 'signin-test' }))).UserPool!.Id!;
  const clientId = (
    await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: 'cli',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    )
  ).UserPoolClient!.ClientId!;
  target = { issuer: `${edge.running.edge.publicUrl}/${userPoolId}`, clientId, region: edge.region };
  await cognito.send(
    new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: 'alice', MessageAction: 'SUPPRESS' }),
  );
  await cognito.send(
    new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: 'alice', Password: PASSWORD, Permanent: true }),
  );
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: 'bob',
      MessageAction: 'SUPPRESS',
      TemporaryPassword: 'Temp0rary!pw',
    }),
  );

  const jwks = createRemoteJWKSet(new URL(`${target.issuer}/.well-known/jwks.json`));
  api = createServer((req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    seenTokens.push(token);
    const refuse = () =>
      res
        .writeHead(401, {
          'www-authenticate': 'Bearer scope="" error="invalid_token" error_description="the token has expired"',
        })
        .end('{"message":"Unauthorized"}');
    if (!token) return void refuse();
    jwtVerify(token, jwks, { issuer: target.issuer, audience: target.clientId }).then(
      ({ payload }) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ user: payload['cognito:username'] })),
      refuse,
    );
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  dataDir = mkdtempSync(path.join(tmpdir(), 'ddn-auth-'));
});

after(async () => {
  api?.close();
  await edge?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the issuer names the sign-in endpoint and the pool', () => {
  assert.deepEqual(userPoolEndpoint(`http://127.0.0.1:4566/${userPoolId}`), {
    endpoint: 'http://127.0.0.1:4566',
    userPoolId,
  });
  assert.deepEqual(userPoolEndpoint('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC'), {
    endpoint: 'https://cognito-idp.eu-west-1.amazonaws.com',
    userPoolId: 'eu-west-1_AbC',
  });
});

test('sign-in gives an ID token for the app client, naming the user; the store keeps it owner-only', async () => {
  const tokens = await signIn(target, 'alice', PASSWORD, () => assert.fail('alice has a permanent password'));
  const claims = decodeJwt(tokens.idToken);
  assert.equal(claims['cognito:username'], 'alice');
  assert.equal(claims.aud, target.clientId);
  assert.equal(tokens.expiresAt, claims.exp! * 1000);
  const store = new TokenStore(dataDir);
  store.write(tokens);
  assert.equal(statSync(store.file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(store.file)).mode & 0o777, 0o700);
  assert.deepEqual(store.read(), tokens);
  assert.deepEqual(await ping(apiUrl, new LoginSession(tokens, store, edge.region)).then((r) => r.value), {
    user: 'alice',
  });
});

test('a wrong password is NotAuthorizedException', async () => {
  await assert.rejects(
    signIn(target, 'alice', 'Wr0ng-password!', () => Promise.resolve('x')),
    (err: Error) => {
      assert.equal(err.name, 'NotAuthorizedException');
      assert.equal(err.message, 'Incorrect username or password.');
      return true;
    },
  );
});

test('a temporary password is replaced through NEW_PASSWORD_REQUIRED, then the new one signs in', async () => {
  let asked = 0;
  const tokens = await signIn(target, 'bob', 'Temp0rary!pw', () => (asked++, Promise.resolve('N3w-password!')));
  assert.equal(asked, 1);
  assert.equal(decodeJwt(tokens.idToken)['cognito:username'], 'bob');
  await signIn(target, 'bob', 'N3w-password!', () => assert.fail('no second challenge'));
});

test('an expired token is refreshed before it is sent, and the store gets the new one', async () => {
  const store = new TokenStore(dataDir);
  const tokens = await signIn(target, 'alice', PASSWORD, () => assert.fail('permanent'));
  store.write({ ...tokens, expiresAt: Date.now() - 1000 });
  const session = new LoginSession(store.read()!, store, edge.region);
  seenTokens.length = 0;
  assert.deepEqual((await ping(apiUrl, session)).value, { user: 'alice' });
  assert.equal(seenTokens.length, 1, 'one request: the refresh came first');
  assert.notEqual(seenTokens[0], tokens.idToken);
  const stored = store.read()!;
  assert.equal(stored.idToken, seenTokens[0]);
  assert.ok(stored.expiresAt > Date.now());
  assert.equal(stored.refreshToken, tokens.refreshToken);
});

test('a refused token is refreshed once and the request retried', async () => {
  const store = new TokenStore(dataDir);
  const tokens = await signIn(target, 'alice', PASSWORD, () => assert.fail('permanent'));
  const tampered = `${tokens.idToken.slice(0, -4)}AAAA`;
  const session = new LoginSession({ ...tokens, idToken: tampered }, store, edge.region);
  seenTokens.length = 0;
  assert.deepEqual((await ping(apiUrl, session)).value, { user: 'alice' });
  assert.equal(seenTokens.length, 2);
  assert.equal(seenTokens[0], tampered);
  assert.equal(decodeJwt(seenTokens[1]!)['cognito:username'], 'alice');
});

test('a dead refresh token says to sign in again', async () => {
  const tokens = await signIn(target, 'alice', PASSWORD, () => assert.fail('permanent'));
  await assert.rejects(refreshTokens(target, { ...tokens, refreshToken: 'not-a-refresh-token' }), {
    name: 'NotAuthorizedException',
  });
  const session = new LoginSession(
    { ...tokens, refreshToken: 'not-a-refresh-token', expiresAt: 0 },
    new TokenStore(dataDir),
    edge.region,
  );
  await assert.rejects(
    ping(apiUrl, session),
    (err: Error) => err instanceof SessionExpiredError && /run ddn login/.test(err.message),
  );
});

test('401 and 403 say what to do', async () => {
  await assert.rejects(
    ping(apiUrl),
    (err: Error) =>
      err instanceof RemoteError &&
      err.status === 401 &&
      /\(the token has expired\): the API needs a signed-in user: run ddn login/.test(err.message),
  );
  await assert.rejects(ping(apiUrl, staticToken('abc')), (err: Error) => /DDN_API_TOKEN was refused/.test(err.message));
});

test('a 403 names the scope the route wants when the gateway says it', () => {
  assert.match(
    authHint(403, staticToken('t'), 'Bearer scope="ddn/denoise" error="insufficient_scope"'),
    /your token lacks scope ddn\/denoise/,
  );
  assert.match(authHint(403, undefined, undefined), /your token lacks a scope this route needs/);
});
