// The console's sign-in form in Debian's Chromium, against `ddn up` with sign-in on (DDN_AUTH=cognito).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cleanPhantom, DOSES, noisyPhantom } from '../../src/denoise/phantom.ts';
import { encodeTiff } from '../../src/inference/tiff.ts';
import { startDdnUp, type DdnUp } from '../helpers/ddn-up.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SIZE = 128;
const ALICE = 'Al1ce-password!';

let platform: DdnUp;
let browser: Browser;
let page: Page;
let files: string;
const pageErrors: string[] = [];

before(async () => {
  files = mkdtempSync(path.join(tmpdir(), 'ddn-console-sign-in-'));
  writeFileSync(
    path.join(files, 'phantom.tif'),
    await encodeTiff({
      pixels: noisyPhantom(cleanPhantom(SIZE, 7), DOSES.g8, 8),
      width: SIZE,
      height: SIZE,
      bitsPerSample: 16,
    }),
  );
  platform = await startDdnUp({ vars: { DDN_AUTH: 'cognito' } });
  for (const args of [
    ['user', 'add', 'alice', '--password', ALICE],
    ['user', 'add', 'bob', '--password', 'B0b-temporary!', '--temporary'],
  ]) {
    const result = await platform.run(args);
    assert.equal(result.code, 0, result.stderr);
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  // Opened as localhost while the pool's issuer names 127.0.0.1: the page must still reach Cognito.
  await page.goto(`http://localhost:${new URL(platform.edgeUrl).port}/_ddn/console/`);
  await page.waitForSelector('body[data-state=idle]');
});

after(async () => {
  await browser?.close();
  await platform?.stop();
  rmSync(files, { recursive: true, force: true });
});

async function signIn(username: string, password: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#sign-in-button');
}

async function denoise(): Promise<string> {
  await page.setInputFiles('#file', path.join(files, 'phantom.tif'));
  await page.waitForSelector('body[data-state=ready]');
  await page.click('#run');
  await page.waitForSelector('body[data-state=done], body[data-state=error]', { timeout: 240_000 });
  return (await page.getAttribute('body', 'data-state'))!;
}

function billedUsers(route: string): string[] {
  const log = readFileSync(path.join(platform.dataDir, 'logs', 'apigw', 'ddn', 'ddn-api.log'), 'utf8');
  return log
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { user: string; routeKey: string })
    .filter((l) => l.routeKey === route)
    .map((l) => l.user);
}

test('the API needs sign-in: the form shows and Denoise stays off; a wrong password is said plainly', async () => {
  assert.equal(await page.getAttribute('body', 'data-auth'), 'required');
  assert.equal(await page.isVisible('#sign-in'), true);
  assert.equal(await page.isVisible('#user'), false);
  await page.setInputFiles('#file', path.join(files, 'phantom.tif'));
  await page.waitForSelector('body[data-state=ready]');
  assert.equal(await page.isDisabled('#run'), true);

  await signIn('alice', 'Wr0ng-password!');
  await page.waitForSelector('#sign-in-error:not([hidden])');
  assert.equal(await page.textContent('#sign-in-error'), 'Sign-in refused: Incorrect username or password.');
  assert.equal(await page.getAttribute('body', 'data-auth'), 'required');
});

test('signed in, the page denoises with the token, and the access log bills alice', async () => {
  await signIn('alice', ALICE);
  await page.waitForSelector('body[data-auth=signed-in]');
  assert.equal(await page.textContent('#user-name'), 'Signed in as alice');
  assert.equal(await page.isVisible('#sign-in'), false);
  assert.equal(await denoise(), 'done', (await page.textContent('#error')) ?? '');
  await new Promise((resolve) => setTimeout(resolve, 300)); // the edge writes its access log in batches
  assert.ok(billedUsers('POST /invocations').includes('alice'));
  assert.ok(billedUsers('GET /presign').filter((u) => u === 'alice').length >= 2);
});

test('an expired token is refreshed by the page before it calls the API', async () => {
  const key = await page.evaluate(() => Object.keys(sessionStorage).find((k) => k.startsWith('ddn.console.tokens:'))!);
  const before = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)!) as { idToken: string }, key);
  await page.evaluate(
    (k) => sessionStorage.setItem(k, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(k)!), expiresAt: 0 })),
    key,
  );
  await page.reload();
  await page.waitForSelector('body[data-auth=signed-in]');
  assert.equal(await denoise(), 'done', (await page.textContent('#error')) ?? '');
  const after = await page.evaluate(
    (k) => JSON.parse(sessionStorage.getItem(k)!) as { idToken: string; expiresAt: number },
    key,
  );
  assert.notEqual(after.idToken, before.idToken);
  assert.ok(after.expiresAt > Date.now());
});

test('signing out shows the form again; a temporary password asks for a new one', async () => {
  await page.click('#sign-out');
  await page.waitForSelector('body[data-auth=required]');
  assert.equal(await page.isDisabled('#run'), true);
  await signIn('bob', 'B0b-temporary!');
  await page.waitForSelector('#new-password-label:not([hidden])');
  await page.fill('#new-password', 'B0b-permanent!');
  await page.click('#sign-in-button');
  await page.waitForSelector('body[data-auth=signed-in]');
  assert.equal(await page.textContent('#user-name'), 'Signed in as bob');
  const login = await platform.run(['login', '--username', 'bob', '--password', 'B0b-permanent!']);
  assert.equal(login.code, 0, login.stderr);
  assert.deepEqual(pageErrors, []);
});
