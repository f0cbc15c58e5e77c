import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ApiGatewayV2Client, CreateApiCommand } from '@aws-sdk/client-apigatewayv2';
import { startDdnUp, type DdnUp } from '../helpers/ddn-up.ts';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { encodeTiff } from '../../src/inference/tiff.ts';

const SCRIPTS = fileURLToPath(new URL('../../scripts/', import.meta.url));
const SIZE = 256;
const ENV_FILE =
  '# local settings, kept by ddn\nDDN_TEST_IMAGE_KEY=phantom.tif\n\n# written by ddn up:\nDDN_APIGW_ENDPOINT=http://stale.example\n# end\n';

async function writePhantom(file: string): Promise<Uint16Array> {
  const noisy = noisyPhantom(cleanPhantom(SIZE, 7), DOSES.g8, 8);
  writeFileSync(file, await encodeTiff({ pixels: noisy, width: SIZE, height: SIZE, bitsPerSample: 16 }));
  return noisy;
}

async function readGrey16(file: string): Promise<{ width: number; height: number; pixels: Uint16Array }> {
  const { data, info } = await sharp(file)
    .toColourspace('grey16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    pixels: new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2),
  };
}

function json<T>(result: { code: number | null; stdout: string; stderr: string }): T {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

test('ddn up: the platform end to end, deploy reconciles, restart reuses the API, destroy cleans up', async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ddn-e2e-'));
  writeFileSync(path.join(cwd, '.env'), ENV_FILE);
  let up: DdnUp | undefined;
  try {
    up = await startDdnUp({ cwd });
    const first = up;
    const apiId = /\/_aws\/execute-api\/([a-z0-9]+)$/.exec(first.apiEndpoint)?.[1];
    assert.ok(apiId, first.apiEndpoint);

    await t.test('health is 200 and .env got the endpoint with comments kept', async () => {
      const health = await fetch(`${first.edgeUrl}/_ddn/health`);
      assert.equal(health.status, 200, await health.clone().text());
      const body = (await health.json()) as { services: Record<string, { ready: boolean; apiId?: string }> };
      assert.equal(body.services.platform?.apiId, apiId);
      assert.equal(
        readFileSync(path.join(cwd, '.env'), 'utf8'),
        ENV_FILE.replace('http://stale.example', first.apiEndpoint),
      );
      assert.match(first.stdout(), /console\s+http:\/\/127\.0\.0\.1:\d+\/_ddn\/console\//);
    });

    await t.test(
      'ddn denoise of a phantom: the result decodes, has the same size and differs from the input',
      async () => {
        const input = await writePhantom(path.join(cwd, 'phantom.tif'));
        const result = json<{ out: string; key: string; timings: Record<string, number> }>(
          await first.run(['denoise', 'phantom.tif', '--out', 'result.tif', '--json']),
        );
        const output = await readGrey16(path.join(cwd, 'result.tif'));
        assert.equal(output.width, SIZE);
        assert.equal(output.height, SIZE);
        assert.notDeepEqual(output.pixels, input);
        for (const step of ['presignUploadMs', 'putMs', 'invokeMs', 'presignDownloadMs', 'getMs'])
          assert.ok(result.timings[step] > 0, step);

        // The same object through the curl + jq scripts.
        const exec = promisify(execFile);
        const env = { ...first.env, DDN_APIGW_ENDPOINT: first.apiEndpoint };
        const down = await exec('sh', [path.join(SCRIPTS, 'download.sh'), result.key, 'by-script.tif'], { cwd, env });
        assert.match(down.stdout, /download time: \d+ ms/);
        assert.deepEqual(readFileSync(path.join(cwd, 'by-script.tif')), readFileSync(path.join(cwd, 'result.tif')));
        const upload = await exec('sh', [path.join(SCRIPTS, 'upload.sh'), 'phantom.tif', 'scripted.tif'], { cwd, env });
        assert.match(upload.stdout, /upload time: \d+ ms/);
      },
    );

    await t.test('client commands: ping, and errors with their exit codes', async () => {
      const ping = json<{ response: { status: string } }>(await first.run(['ping', '--json']));
      assert.equal(ping.response.status, 'ok');
      const missing = await first.run(['denoise', 'no-such-file.tif']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /does not exist/);
      const noKey = await first.run(['download', 'never-written.tif', '--out', 'x.tif']);
      assert.equal(noKey.code, 1);
      assert.match(noKey.stderr, /NoSuchKey/);
      const badStrength = await first.run([
        'invoke',
        '--key',
        'phantom.tif',
        '--strength',
        '99',
        '--width',
        '4',
        '--height',
        '4',
      ]);
      assert.equal(badStrength.code, 2);
    });

    await t.test(
      'ddn deploy right after up plans and applies nothing; a new DDN_ALB_DNS is one integration update',
      async () => {
        const plan = json<{ apiId: string; changes: unknown[] }>(await first.run(['deploy', '--plan', '--json']));
        assert.deepEqual(plan.changes, []);
        assert.equal(plan.apiId, apiId);
        const applied = json<{ apiId: string; changes: unknown[] }>(await first.run(['deploy', '--json']));
        assert.deepEqual(applied.changes, []);
        const moved = json<{ changes: Array<{ kind: string; description: string }> }>(
          await first.run(['deploy', '--plan', '--json'], { DDN_ALB_DNS: '127.0.0.1:1' }),
        );
        assert.deepEqual(
          moved.changes.map((c) => c.kind),
          ['updateIntegration'],
        );
        assert.match(
          moved.changes[0].description,
          /integrationUri http:\/\/127\.0\.0\.1:\d+ -> http:\/\/127\.0\.0\.1:1/,
        );
      },
    );

    await t.test('a killed inference server is restarted and health follows it', async () => {
      type Health = { services: { inference: { ready: boolean; pid: number } } };
      const health = async () => (await (await fetch(`${first.edgeUrl}/_ddn/health`)).json()) as Health;
      const { pid } = (await health()).services.inference;
      process.kill(pid, 'SIGKILL');
      let now = await health();
      while (!(now.services.inference.ready && now.services.inference.pid !== pid)) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        now = await health();
      }
      const ping = json<{ response: { status: string } }>(await first.run(['ping', '--json']));
      assert.equal(ping.response.status, 'ok');
    });

    await first.stop(true);
    up = undefined;

    await t.test('a restart reuses the same API id', async () => {
      up = await startDdnUp({ cwd, credentials: first.credentials });
      assert.equal(up.apiEndpoint.split('/').pop(), apiId);
    });

    await t.test(
      'two APIs of the name: deploy refuses listing both; destroy removes both; destroy twice is fine',
      async () => {
        const second = up!;
        const apigw = new ApiGatewayV2Client({
          region: 'us-east-1',
          endpoint: second.edgeUrl,
          credentials: second.credentials,
        });
        const other = await apigw.send(new CreateApiCommand({ Name: 'ddn-api', ProtocolType: 'HTTP' }));
        const refused = await second.run(['deploy']);
        assert.equal(refused.code, 1);
        assert.ok(refused.stderr.includes(apiId) && refused.stderr.includes(other.ApiId!), refused.stderr);
        const destroyed = json<{ deletedApis: string[]; permissionRemoved: boolean }>(
          await second.run(['destroy', '--json']),
        );
        assert.deepEqual(destroyed.deletedApis.sort(), [apiId, other.ApiId!].sort());
        assert.equal(destroyed.permissionRemoved, true);
        const again = await second.run(['destroy']);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /no API named ddn-api/);
      },
    );
  } finally {
    await up?.stop(true);
    rmSync(cwd, { recursive: true, force: true });
  }
});
