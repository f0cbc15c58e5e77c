import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestEdge } from '../helpers/edge.ts';
import { buildDeclaration } from '../../src/deploy/declaration.ts';
import { deploy, deployClients } from '../../src/deploy/index.ts';
import { buildPresignZip } from '../../src/functions/presign/bundle.ts';
import { presign, RemoteError } from '../../src/client/api.ts';

const execFileAsync = promisify(execFile);

test('through the gateway, the presign function answers errors as the original did: plain text', async () => {
  const edge = await startTestEdge();
  try {
    const clients = deployClients({ url: edge.url, region: edge.region, credentials: edge.credentials });
    const declaration = buildDeclaration(edge.config, {
      albDns: '127.0.0.1:9',
      s3Endpoint: edge.url,
      placeholderRole: true,
    });
    const { result } = await deploy(clients, declaration, await buildPresignZip());
    const api = result!.apiEndpoint;

    const { stdout } = await execFileAsync('curl', ['-s', '-i', `${api}/presign?mode=upload`]);
    const [head, body] = stdout.split('\r\n\r\n', 2) as [string, string];
    assert.match(head, /^HTTP\/1\.1 400/);
    assert.match(head, /content-type: text\/plain/i);
    assert.equal(body, 'file parameter is required');

    await assert.rejects(
      presign(api, 'download', ''),
      (err: Error) =>
        err instanceof RemoteError && err.status === 400 && err.message.includes(': file parameter is required'),
    );
    const ok = await presign(api, 'download', 'k.tif');
    assert.equal(new URL(ok.value).searchParams.get('X-Amz-Expires'), '3600', 'the default lifetime');
  } finally {
    await edge.close();
  }
});
