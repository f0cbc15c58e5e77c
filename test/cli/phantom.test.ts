import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runDdn } from '../helpers/ddn-up.ts';

test('ddn phantom writes a noisy 16-bit grey TIFF; bad options exit 2 and write nothing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddn-phantom-'));
  try {
    const ok = await runDdn(['phantom', '--out', 'p.tif', '--size', '96', '--dose', 'g32', '--json'], dir, process.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).width, 96);
    const { data, info } = await sharp(path.join(dir, 'p.tif'))
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [96, 96, 1]);
    const pixels = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    assert.ok(Math.max(...pixels) > 255, 'values use the 16-bit range');

    for (const args of [
      ['--size', '10'],
      ['--dose', 'g5'],
    ]) {
      const bad = await runDdn(['phantom', '--out', 'bad.tif', ...args], dir, process.env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /must be/);
      assert.equal(existsSync(path.join(dir, 'bad.tif')), false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
