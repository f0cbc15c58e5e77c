// Drives the console in Debian's Chromium against a whole platform started by `ddn up`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from '../../src/client/aws-clients.ts';
import { loadConfig } from '../../src/config/index.ts';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { encodeTiff } from '../../src/inference/tiff.ts';
import { startDdnUp, type DdnUp } from '../helpers/ddn-up.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/console');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const { inBucket, region } = loadConfig({});
const SIZE = 320;

let platform: DdnUp;
let browser: Browser;
let page: Page;
let pageUrl: string;
let files: string;
const pageErrors: string[] = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  files = mkdtempSync(path.join(tmpdir(), 'ddn-console-files-'));
  const noisy = noisyPhantom(cleanPhantom(SIZE, 7), DOSES.g8, 8);
  writeFileSync(
    path.join(files, 'phantom.tif'),
    await encodeTiff({ pixels: noisy, width: SIZE, height: SIZE, bitsPerSample: 16 }),
  );
  writeFileSync(
    path.join(files, 'photo.png'),
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#884422' } })
      .png()
      .toBuffer(),
  );
  platform = await startDdnUp();
  assert.equal((await fetch(`${platform.edgeUrl}/_ddn/health`)).status, 200);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  // The page is opened as `localhost` while presigned URLs name 127.0.0.1: the uploads and
  // downloads are cross-origin and need the buckets' CORS rules.
  pageUrl = `http://localhost:${new URL(platform.edgeUrl).port}/_ddn/console/`;
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-state=idle]');
});

after(async () => {
  await browser?.close();
  await platform?.stop();
  rmSync(files, { recursive: true, force: true });
});

async function objectsIn(bucket: string): Promise<string[]> {
  const s3 = s3Client({ url: platform.edgeUrl, region, credentials: platform.credentials });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

/** What a canvas shows, summarised in the page: distinct grey levels and a fingerprint of its pixels. */
function canvasSummary(id: string): Promise<{ distinct: number; fingerprint: string }> {
  return page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const levels = new Set<number>();
    let a = 1;
    let b = 0;
    for (let i = 0; i < data.length; i += 4) {
      levels.add(data[i]);
      a = (a + data[i]) % 65521;
      b = (b + a) % 65521;
    }
    return { distinct: levels.size, fingerprint: `${canvas.width}x${canvas.height}:${a}:${b}` };
  }, id);
}

/** How many pixels differ between two canvases of the same size, and out of how many. */
function differingPixels(a: string, b: string): Promise<{ changed: number; total: number }> {
  return page.evaluate(
    ([idA, idB]) => {
      // No helper functions in here: tsx would wrap them in a __name() the page does not have.
      const [pa, pb] = [idA, idB].map((id) => {
        const canvas = document.getElementById(id) as HTMLCanvasElement;
        return canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      });
      let changed = 0;
      for (let i = 0; i < pa.length; i += 4) if (pa[i] !== pb[i]) changed++;
      return { changed, total: pa.length / 4 };
    },
    [a, b],
  );
}

/** Bounding box [left, top, right, bottom] of the image on a canvas (the background is not grey). */
function imageExtent(id: string): Promise<number[]> {
  return page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
    const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const box = [width, height, -1, -1];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        if (data[i] !== data[i + 2]) continue;
        box[0] = Math.min(box[0], x);
        box[1] = Math.min(box[1], y);
        box[2] = Math.max(box[2], x);
        box[3] = Math.max(box[3], y);
      }
    }
    return box;
  }, id);
}

test('a PNG is refused before any upload, with a message', async () => {
  const before = await objectsIn(inBucket);
  await page.setInputFiles('#file', path.join(files, 'photo.png'));
  await page.waitForSelector('body[data-state=refused]');
  assert.match((await page.textContent('#error')) ?? '', /This is a PNG image, not a TIFF/);
  assert.equal(await page.isDisabled('#run'), true);
  await page.screenshot({ path: path.join(ARTIFACTS, 'refused-png.png') });
  assert.deepEqual(await objectsIn(inBucket), before);
});

test('a 16-bit phantom is uploaded, denoised with efficient, shown, compared and downloaded', async () => {
  await page.setInputFiles('#file', path.join(files, 'phantom.tif'));
  await page.waitForSelector('body[data-state=ready]');
  assert.match((await page.textContent('#file-info')) ?? '', new RegExp(`${SIZE}×${SIZE}, 16-bit grey`));
  assert.equal(await page.inputValue('#bits'), '16');
  assert.equal(await page.isVisible('#error'), false);
  await page.selectOption('#model', 'efficient');
  await page.fill('#strength', '12');
  await page.click('#run');
  await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 240_000 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'side-by-side.png') });
  assert.equal(
    await page.getAttribute('body', 'data-state'),
    'done',
    `the flow failed: ${await page.textContent('#error')}\n${platform.stdout()}`,
  );
  const steps = await page.locator('#steps li').allTextContents();
  assert.equal(steps.length, 7, steps.join('\n'));
  for (const s of steps) assert.match(s, / — \d+(\.\d+)? (ms|s)( \(.*\))?$/);
  assert.match(steps[2], /^Denoise \(efficient, strength 12\) — .*\(server: .*denoise \d+ ms/);
  assert.equal(await page.evaluate(() => (document.getElementById('upload-bar') as HTMLElement).style.width), '100%');

  // Both canvases show an image, and not the same one.
  assert.ok((await canvasSummary('input-canvas')).distinct > 50, 'the input canvas is drawn');
  assert.ok((await canvasSummary('output-canvas')).distinct > 50, 'the output canvas is drawn');
  const { changed, total } = await differingPixels('input-canvas', 'output-canvas');
  assert.ok(changed > total / 100, `only ${changed} of ${total} pixels differ`);

  // Zooming (out) on one canvas and panning on the other moves both the same way.
  const extentBefore = await imageExtent('input-canvas');
  assert.deepEqual(await imageExtent('output-canvas'), extentBefore);
  const inputBox = (await page.locator('#input-canvas').boundingBox())!;
  await page.mouse.move(inputBox.x + inputBox.width / 2, inputBox.y + inputBox.height / 2);
  await page.mouse.wheel(0, 300);
  const outputBox = (await page.locator('#output-canvas').boundingBox())!;
  await page.mouse.move(outputBox.x + 100, outputBox.y + 100);
  await page.mouse.down();
  await page.mouse.move(outputBox.x + 160, outputBox.y + 130, { steps: 3 });
  await page.mouse.up();
  const extentAfter = await imageExtent('input-canvas');
  assert.notDeepEqual(extentAfter, extentBefore);
  assert.ok(
    extentAfter[2] - extentAfter[0] < extentBefore[2] - extentBefore[0],
    `zoomed out: ${extentBefore.join(',')} → ${extentAfter.join(',')}`,
  );
  assert.deepEqual(await imageExtent('output-canvas'), extentAfter);
  await page.screenshot({ path: path.join(ARTIFACTS, 'zoomed.png') });
  await page.click('#fit');

  // Split view: moving the divider changes what is shown.
  await page.check('input[name=mode][value=split]');
  const splitBefore = await canvasSummary('split-canvas');
  const box = (await page.locator('#divider').boundingBox())!;
  const canvasBox = (await page.locator('#split-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(canvasBox.x + canvasBox.width * 0.4, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const left = await page.evaluate(() => (document.getElementById('divider') as HTMLElement).style.left);
  assert.ok(Math.abs(parseFloat(left) - 40) < 2, `divider at ${left}`);
  const splitAfter = await canvasSummary('split-canvas');
  assert.notEqual(splitAfter.fingerprint, splitBefore.fingerprint);
  await page.screenshot({ path: path.join(ARTIFACTS, 'split.png') });

  await page.check('input[name=mode][value=difference]');
  assert.ok((await canvasSummary('difference-canvas')).distinct > 10, 'the difference view is drawn');
  await page.screenshot({ path: path.join(ARTIFACTS, 'difference.png') });

  // The downloaded result is a 16-bit grey TIFF of the input's size.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const saved = path.join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(saved);
  assert.match(download.suggestedFilename(), /_efficient_s12\.tif$/);
  const { data, info } = await sharp(readFileSync(saved))
    .toColourspace('grey16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [SIZE, SIZE, 1]);
  assert.equal(data.length, SIZE * SIZE * 2);
  assert.deepEqual(pageErrors, []);
});

test('a failing step is reported in plain words and the page does not hang', async () => {
  // Point the page at an API id that does not exist: the presign call fails with a status.
  await page.route('**/_ddn/console/config.json', async (route) => {
    const real = await (await route.fetch()).json();
    await route.fulfill({ json: { ...real, apiEndpoint: `${platform.edgeUrl}/_aws/execute-api/nosuchapi` } });
  });
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-state=idle]');
  await page.setInputFiles('#file', path.join(files, 'phantom.tif'));
  await page.waitForSelector('body[data-state=ready]');
  await page.click('#run');
  await page.waitForSelector('body[data-state=error]');
  assert.match((await page.textContent('#error')) ?? '', /^Asking the API for an upload URL failed with HTTP \d{3}/);
  assert.equal(await page.isDisabled('#run'), false);
  await page.screenshot({ path: path.join(ARTIFACTS, 'error.png') });
  await page.unroute('**/_ddn/console/config.json');
});
