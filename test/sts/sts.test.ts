// STS, the example service, driven by the SDK v3 and the aws CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';

const run = promisify(execFile);
let edge: TestEdge;
let sts: STSClient;

before(async () => {
  edge = await startTestEdge({ ACCOUNT_ID: '123456789012' });
  sts = new STSClient({ region: edge.region, endpoint: edge.url, credentials: edge.credentials });
});
after(async () => {
  await edge.close();
});

test('GetCallerIdentity and GetAccessKeyInfo answer the local account', async () => {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  assert.deepEqual([identity.Account, identity.Arn], ['123456789012', 'arn:aws:iam::123456789012:root']);
  const info = await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: edge.credentials.accessKeyId }));
  assert.equal(info.Account, '123456789012');
  const { stdout } = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env: edge.env });
  assert.equal((JSON.parse(stdout) as { Account: string }).Account, '123456789012');
});

test('bad input is a ValidationError; an operation not implemented is 501 NotImplemented naming it', async () => {
  for (const key of ['short', 'AKIA-WITH-DASHES-0000']) {
    await assert.rejects(sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: key })), (err: Error) => {
      assert.equal(err.name, 'ValidationError');
      assert.match(err.message, new RegExp(`Value '${key}' at 'accessKeyId' failed to satisfy constraint`));
      return true;
    });
  }
  await assert.rejects(
    sts.send(new GetSessionTokenCommand({})),
    (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.deepEqual([err.name, err.$metadata.httpStatusCode], ['NotImplemented', 501]);
      assert.match(err.message, /GetSessionToken/);
      return true;
    },
  );
});

test('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidClientTokenId, in STS XML', async () => {
  const wrongSecret = new STSClient({
    region: edge.region,
    endpoint: edge.url,
    credentials: { ...edge.credentials, secretAccessKey: 'wrong' },
  });
  await assert.rejects(wrongSecret.send(new GetCallerIdentityCommand({})), { name: 'SignatureDoesNotMatch' });
  const unknownKey = new STSClient({
    region: edge.region,
    endpoint: edge.url,
    credentials: { ...edge.credentials, accessKeyId: 'AKIAUNKNOWN000000000' },
  });
  await assert.rejects(unknownKey.send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' });
});
