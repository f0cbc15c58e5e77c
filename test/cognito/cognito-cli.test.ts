import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { awsCli, fieldOf } from '../helpers/aws-cli.ts';

let edge: TestEdge;
const cli = awsCli(() => edge.env, 'cognito-idp');
const { json: awsJson, error: awsError } = cli;

before(async () => {
  edge = await startTestEdge();
});

after(async () => {
  await edge.close();
});

test('aws cognito-idp: pool, client, user; NEW_PASSWORD_REQUIRED; tokens and the JWKS; refresh; get-user', async () => {
  const pool = (await awsJson('create-user-pool', '--pool-name', 'ddn-users')).UserPool;
  assert.match(pool.Id, /^us-east-1_[A-Za-z0-9]{9}$/);
  assert.equal(pool.Arn, `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${pool.Id}`);
  assert.deepEqual(pool.Policies.PasswordPolicy, {
    MinimumLength: 8,
    RequireUppercase: true,
    RequireLowercase: true,
    RequireNumbers: true,
    RequireSymbols: true,
    TemporaryPasswordValidityDays: 7,
  });
  assert.equal(typeof pool.CreationDate, 'number');
  assert.equal((await awsJson('describe-user-pool', '--user-pool-id', pool.Id)).UserPool.Name, 'ddn-users');
  const listed = await awsJson('list-user-pools', '--max-results', '10');
  assert.deepEqual(fieldOf(listed.UserPools, 'Id'), [pool.Id]);

  const client = (
    await awsJson(
      'create-user-pool-client',
      '--user-pool-id',
      pool.Id,
      '--client-name',
      'cli',
      '--explicit-auth-flows',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
    )
  ).UserPoolClient;
  assert.match(client.ClientId, /^[a-z0-9]{26}$/);
  assert.equal(client.ClientSecret, undefined);
  assert.deepEqual(client.TokenValidityUnits, { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' });

  const created = (
    await awsJson(
      'admin-create-user',
      '--user-pool-id',
      pool.Id,
      '--username',
      'diego',
      '--user-attributes',
      'Name=email,Value=diego@example.com',
      'Name=email_verified,Value=true',
      '--temporary-password',
      'Temp-Passw0rd',
      '--message-action',
      'SUPPRESS',
    )
  ).User;
  assert.equal(created.UserStatus, 'FORCE_CHANGE_PASSWORD');
  assert.equal(created.Enabled, true);
  const sub = (created.Attributes as Array<{ Name: string; Value: string }>).find((a) => a.Name === 'sub')!.Value;
  assert.match(sub, /^[0-9a-f-]{36}$/);
  assert.match(
    await awsError(
      'admin-create-user',
      '--user-pool-id',
      pool.Id,
      '--username',
      'diego',
      '--temporary-password',
      'Temp-Passw0rd',
    ),
    /\(UsernameExistsException\) .*: User account already exists/,
  );

  const challenge = await awsJson(
    'initiate-auth',
    '--client-id',
    client.ClientId,
    '--auth-flow',
    'USER_PASSWORD_AUTH',
    '--auth-parameters',
    'USERNAME=diego,PASSWORD=Temp-Passw0rd',
  );
  assert.equal(challenge.ChallengeName, 'NEW_PASSWORD_REQUIRED');
  assert.equal(challenge.ChallengeParameters.USER_ID_FOR_SRP, 'diego');
  assert.deepEqual(JSON.parse(challenge.ChallengeParameters.userAttributes), {
    email: 'diego@example.com',
    email_verified: 'true',
  });
  assert.match(
    await awsError(
      'respond-to-auth-challenge',
      '--client-id',
      client.ClientId,
      '--challenge-name',
      'NEW_PASSWORD_REQUIRED',
      '--session',
      challenge.Session,
      '--challenge-responses',
      'USERNAME=diego,NEW_PASSWORD=short',
    ),
    /\(InvalidPasswordException\) .*: Password did not conform with policy: Password not long enough/,
  );
  const answered = await awsJson(
    'respond-to-auth-challenge',
    '--client-id',
    client.ClientId,
    '--challenge-name',
    'NEW_PASSWORD_REQUIRED',
    '--session',
    challenge.Session,
    '--challenge-responses',
    'USERNAME=diego,NEW_PASSWORD=N3w-Password!',
  );
  const result = answered.AuthenticationResult;
  assert.equal(result.TokenType, 'Bearer');
  assert.equal(result.ExpiresIn, 3600);
  assert.ok(result.RefreshToken);
  assert.equal(
    (await awsJson('admin-get-user', '--user-pool-id', pool.Id, '--username', 'diego')).UserStatus,
    'CONFIRMED',
  );

  // The tokens verify with a standard library against the JWKS the discovery document names.
  const issuer = `${edge.url}/${pool.Id}`;
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
  };
  assert.equal(discovery.issuer, issuer);
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const id = await jwtVerify(result.IdToken, jwks, { issuer, audience: client.ClientId });
  assert.equal(id.payload.token_use, 'id');
  assert.equal(id.payload.sub, sub);
  assert.equal(id.payload['cognito:username'], 'diego');
  assert.equal(id.payload.email, 'diego@example.com');
  assert.equal(id.payload.email_verified, true);
  const access = await jwtVerify(result.AccessToken, jwks, { issuer });
  assert.equal(access.payload.token_use, 'access');
  assert.equal(access.payload.client_id, client.ClientId);
  assert.equal(access.payload.scope, 'aws.cognito.signin.user.admin');
  assert.equal(access.payload.username, 'diego');
  assert.equal(access.payload.origin_jti, id.payload.origin_jti);
  assert.equal(access.payload.exp! - access.payload.iat!, 3600);
  assert.notEqual(
    decodeProtectedHeader(result.IdToken).kid,
    decodeProtectedHeader(result.AccessToken).kid,
    'two keys, as Cognito',
  );
  assert.equal(decodeProtectedHeader(result.IdToken).alg, 'RS256');

  const user = await awsJson('get-user', '--access-token', result.AccessToken);
  assert.equal(user.Username, 'diego');
  assert.deepEqual(user.UserAttributes[0], { Name: 'sub', Value: sub });
  assert.match(
    await awsError('get-user', '--access-token', result.IdToken),
    /\(NotAuthorizedException\) .*: Invalid Access Token/,
  );
  const [h, p, s] = (result.AccessToken as string).split('.');
  const forged = Buffer.from(JSON.stringify({ ...access.payload, username: 'admin' })).toString('base64url');
  const tampered = `${h}.${forged}.${s}`;
  assert.ok(p);
  assert.match(await awsError('get-user', '--access-token', tampered), /Invalid Access Token/);

  const refreshed = (
    await awsJson(
      'initiate-auth',
      '--client-id',
      client.ClientId,
      '--auth-flow',
      'REFRESH_TOKEN_AUTH',
      '--auth-parameters',
      `REFRESH_TOKEN=${result.RefreshToken}`,
    )
  ).AuthenticationResult;
  assert.equal(refreshed.RefreshToken, undefined);
  const again = await jwtVerify(refreshed.IdToken, jwks, { issuer, audience: client.ClientId });
  assert.equal(again.payload.origin_jti, id.payload.origin_jti);
  assert.equal(again.payload.auth_time, id.payload.auth_time);
  assert.notEqual(again.payload.jti, id.payload.jti);
  assert.match(
    await awsError(
      'initiate-auth',
      '--client-id',
      client.ClientId,
      '--auth-flow',
      'REFRESH_TOKEN_AUTH',
      '--auth-parameters',
      'REFRESH_TOKEN=nope',
    ),
    /\(NotAuthorizedException\) .*: Invalid Refresh Token/,
  );

  // The same keys after a restart: tokens issued before still verify.
  const keysBefore = (await (await fetch(discovery.jwks_uri)).json()) as { keys: unknown[] };
  assert.equal(keysBefore.keys.length, 2);
  const dataDir = edge.dataDir;
  await edge.close(false);
  edge = await startTestEdge({
    DDN_DATA_DIR: dataDir,
    DDN_LOCAL_ACCESS_KEY_ID: edge.credentials.accessKeyId,
    DDN_LOCAL_SECRET_ACCESS_KEY: edge.credentials.secretAccessKey,
  });
  const keysAfter = (await (await fetch(`${edge.url}/${pool.Id}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
  assert.deepEqual(keysAfter, keysBefore);
  await jwtVerify(result.IdToken, createLocalJWKSet(keysAfter as never), { audience: client.ClientId });
  assert.equal(
    (await awsJson('admin-get-user', '--user-pool-id', pool.Id, '--username', 'diego')).UserStatus,
    'CONFIRMED',
  );
});

test("aws cognito-idp: Cognito's errors for sign-in and admin calls", async () => {
  const pool = (
    await awsJson(
      'create-user-pool',
      '--pool-name',
      'errors',
      '--policies',
      'PasswordPolicy={MinimumLength=10,RequireSymbols=false}',
    )
  ).UserPool;
  const client = (
    await awsJson(
      'create-user-pool-client',
      '--user-pool-id',
      pool.Id,
      '--client-name',
      'c',
      '--explicit-auth-flows',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
    )
  ).UserPoolClient;
  const srpOnly = (await awsJson('create-user-pool-client', '--user-pool-id', pool.Id, '--client-name', 'srp'))
    .UserPoolClient;
  await awsJson('admin-create-user', '--user-pool-id', pool.Id, '--username', 'ana', '--message-action', 'SUPPRESS');
  assert.match(
    await awsError(
      'admin-set-user-password',
      '--user-pool-id',
      pool.Id,
      '--username',
      'ana',
      '--password',
      'short',
      '--permanent',
    ),
    /\(InvalidPasswordException\) .*: Password did not conform with policy: Password not long enough/,
  );
  await awsJson(
    'admin-set-user-password',
    '--user-pool-id',
    pool.Id,
    '--username',
    'ana',
    '--password',
    'longenough1',
    '--permanent',
  );
  assert.equal(
    (await awsJson('admin-get-user', '--user-pool-id', pool.Id, '--username', 'ana')).UserStatus,
    'CONFIRMED',
  );

  const signIn = (clientId: string, username: string, password: string) =>
    awsError(
      'initiate-auth',
      '--client-id',
      clientId,
      '--auth-flow',
      'USER_PASSWORD_AUTH',
      '--auth-parameters',
      `USERNAME=${username},PASSWORD=${password}`,
    );
  assert.match(
    await signIn(client.ClientId, 'ana', 'wrongpass12'),
    /\(NotAuthorizedException\) .*: Incorrect username or password\./,
  );
  assert.match(
    await signIn(client.ClientId, 'nobody', 'wrongpass12'),
    /\(UserNotFoundException\) .*: User does not exist\./,
  );
  assert.match(
    await signIn(srpOnly.ClientId, 'ana', 'longenough1'),
    /\(InvalidParameterException\) .*: USER_PASSWORD_AUTH flow not enabled for this client/,
  );
  assert.match(
    await signIn('abcdefghijklmnopqrstuvwxyz', 'ana', 'longenough1'),
    /\(ResourceNotFoundException\) .*: User pool client abcdefghijklmnopqrstuvwxyz does not exist\./,
  );
  assert.match(
    await awsError('admin-get-user', '--user-pool-id', pool.Id, '--username', 'nobody'),
    /\(UserNotFoundException\) .*: User does not exist\./,
  );
  assert.match(
    await awsError('describe-user-pool', '--user-pool-id', 'us-east-1_nothere00'),
    /\(ResourceNotFoundException\) .*: User pool us-east-1_nothere00 does not exist\./,
  );
  assert.match(
    await awsError(
      'create-user-pool-client',
      '--user-pool-id',
      pool.Id,
      '--client-name',
      'x',
      '--explicit-auth-flows',
      'ALLOW_USER_PASSWORD_AUTH',
    ),
    /InvalidParameterException.*REFRESH_TOKEN_AUTH should always be allowed\./,
  );

  const users = await awsJson('list-users', '--user-pool-id', pool.Id, '--filter', 'username = "ana"');
  assert.deepEqual(fieldOf(users.Users, 'Username'), ['ana']);
  assert.deepEqual((await awsJson('list-users', '--user-pool-id', pool.Id, '--filter', 'username = "zed"')).Users, []);
  await awsJson('admin-delete-user', '--user-pool-id', pool.Id, '--username', 'ana');
  assert.match(await signIn(client.ClientId, 'ana', 'longenough1'), /UserNotFoundException/);

  assert.match(
    await awsError('sign-up', '--client-id', client.ClientId, '--username', 'x', '--password', 'longenough1'),
    /\(NotImplemented\) when calling the SignUp operation/,
  );
  await awsJson('delete-user-pool-client', '--user-pool-id', pool.Id, '--client-id', srpOnly.ClientId);
  await awsJson('delete-user-pool', '--user-pool-id', pool.Id);
  assert.match(await awsError('describe-user-pool', '--user-pool-id', pool.Id), /ResourceNotFoundException/);
});

test('unsigned requests reach only the public operations and the discovery documents', async () => {
  const call = (operation: string, body: unknown) =>
    fetch(edge.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(body),
    });
  const admin = await call('ListUserPools', { MaxResults: 10 });
  assert.equal(admin.status, 400);
  assert.deepEqual(await admin.json(), {
    __type: 'MissingAuthenticationTokenException',
    message: 'Missing Authentication Token',
  });
  const pub = await call('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: 'abcdefghijklmnopqrstuvwxyz',
    AuthParameters: { USERNAME: 'a', PASSWORD: 'b' },
  });
  assert.equal(pub.status, 400);
  assert.deepEqual(await pub.json(), {
    __type: 'ResourceNotFoundException',
    message: 'User pool client abcdefghijklmnopqrstuvwxyz does not exist.',
  });
  assert.equal((await fetch(`${edge.url}/us-east-1_nothere00/.well-known/jwks.json`)).status, 404);
});
