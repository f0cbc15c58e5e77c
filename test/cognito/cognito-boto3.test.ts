import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestEdge } from '../helpers/edge.ts';

const execFileAsync = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./fixtures/secret_client.py', import.meta.url));

test('boto3: an app client with a secret (SECRET_HASH) on a pool that signs in with email', async () => {
  const edge = await startTestEdge();
  try {
    const { stdout } = await execFileAsync('python3', [SCRIPT], { env: edge.env });
    const out = JSON.parse(stdout);
    assert.match(out.secret, /^[a-z0-9]{52}$/);
    assert.equal(out.described_secret, out.secret);
    assert.match(out.internal_username, /^[0-9a-f-]{36}$/, 'the internal username is a UUID');
    assert.equal(out.attributes.sub, out.internal_username);
    assert.equal(out.attributes.email, 'Jane@Example.com');
    assert.deepEqual(out.no_hash, [
      'NotAuthorizedException',
      `Client ${out.client_id} is configured with secret but SECRET_HASH was not received`,
      400,
    ]);
    assert.deepEqual(out.bad_hash, [
      'NotAuthorizedException',
      `Unable to verify secret hash for client ${out.client_id}`,
      400,
    ]);
    assert.deepEqual(out.signed_in, ['AccessToken', 'ExpiresIn', 'IdToken', 'RefreshToken', 'TokenType']);
    assert.deepEqual(out.refreshed, ['AccessToken', 'ExpiresIn', 'IdToken', 'TokenType']);
    assert.equal(out.get_user, out.internal_username);
    const issuer = `${edge.url}/${out.pool_id}`;
    const { payload } = await jwtVerify(out.id_token, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), {
      issuer,
      audience: out.client_id,
    });
    assert.equal(payload['cognito:username'], out.internal_username);
    assert.equal(payload.email, 'Jane@Example.com');
  } finally {
    await edge.close();
  }
});
