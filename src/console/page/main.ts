import {
  apiBaseFor,
  fetchStep,
  summariseInvocation,
  inputKeyFor,
  outputKeyFor,
  putWithProgress,
  readPresignedUrl,
  StepError,
  type ConsoleConfig,
  type InvocationRequest,
} from './api.ts';
import { defaultsFor } from './defaults.ts';
import { decodeGreyTiff, RefusedFileError, type GreyImage } from './tiff.ts';
import { Viewer, type ViewMode } from './viewer.ts';
import {
  cognitoEndpointFor,
  loadTokens,
  needsRefresh,
  refresh,
  saveTokens,
  setNewPassword,
  signIn,
  type PageTokens,
} from './sign-in.ts';

const PRESIGN_TIMEOUT_MS = 30_000;
const INVOKE_TIMEOUT_MS = 300_000;
const TRANSFER_TIMEOUT_MS = 600_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  apiStatus: $('api-status'),
  drop: $('drop'),
  file: $<HTMLInputElement>('file'),
  fileInfo: $('file-info'),
  form: $<HTMLFormElement>('params'),
  model: $<HTMLSelectElement>('model'),
  strength: $<HTMLInputElement>('strength'),
  strengthValue: $<HTMLOutputElement>('strength-value'),
  offset: $<HTMLInputElement>('offset'),
  pitch: $<HTMLInputElement>('pitch'),
  bits: $<HTMLInputElement>('bits'),
  run: $<HTMLButtonElement>('run'),
  uploadBar: $('upload-bar'),
  steps: $('steps'),
  error: $('error'),
  low: $<HTMLInputElement>('win-low'),
  high: $<HTMLInputElement>('win-high'),
  auto: $<HTMLButtonElement>('win-auto'),
  fit: $<HTMLButtonElement>('fit'),
  download: $<HTMLAnchorElement>('download'),
  pixel: $('pixel'),
  signInForm: $<HTMLFormElement>('sign-in'),
  username: $<HTMLInputElement>('username'),
  password: $<HTMLInputElement>('password'),
  newPasswordLabel: $('new-password-label'),
  newPassword: $<HTMLInputElement>('new-password'),
  signInButton: $<HTMLButtonElement>('sign-in-button'),
  signInError: $('sign-in-error'),
  user: $('user'),
  userName: $('user-name'),
  signOut: $<HTMLButtonElement>('sign-out'),
};

const viewer = new Viewer({
  stage: $('stage'),
  input: $<HTMLCanvasElement>('input-canvas'),
  output: $<HTMLCanvasElement>('output-canvas'),
  split: $<HTMLCanvasElement>('split-canvas'),
  difference: $<HTMLCanvasElement>('difference-canvas'),
  divider: $('divider'),
});
viewer.onWindowChange = (win) => {
  ui.low.value = String(Math.round(win.low));
  ui.high.value = String(Math.round(win.high));
};
viewer.onPointer = (text) => (ui.pixel.textContent = text);

let config: ConsoleConfig | undefined;
let apiBase: string | undefined;
let selected: { file: File; image: GreyImage } | undefined;
let running = false;
let tokens: PageTokens | undefined;
let challenge: { session: string; userIdForSrp: string } | undefined;

function setState(state: 'idle' | 'ready' | 'running' | 'done' | 'error' | 'refused'): void {
  document.body.dataset.state = state;
}

function showError(message: string | undefined): void {
  ui.error.hidden = !message;
  ui.error.textContent = message ?? '';
}

function updateRunButton(): void {
  ui.run.disabled = running || !selected || !apiBase || (config?.signIn != null && !tokens);
}

/** Shows the sign-in form or the signed-in user; `data-auth` on the body says which (off: the API is open). */
function showSignIn(): void {
  const required = config?.signIn != null;
  document.body.dataset.auth = !required ? 'off' : tokens ? 'signed-in' : 'required';
  ui.signInForm.hidden = !required || tokens !== undefined;
  ui.user.hidden = !required || tokens === undefined;
  ui.userName.textContent = tokens ? `Signed in as ${tokens.username}` : '';
  ui.newPasswordLabel.hidden = challenge === undefined;
  ui.newPassword.required = challenge !== undefined;
  updateRunButton();
}

function setTokens(next: PageTokens | undefined): void {
  tokens = next;
  if (config?.signIn) saveTokens(config.signIn, next);
  showSignIn();
}

async function submitSignIn(): Promise<void> {
  const settings = config?.signIn;
  if (!settings) return;
  const endpoint = cognitoEndpointFor(settings.issuer, location.origin);
  ui.signInButton.disabled = true;
  ui.signInError.hidden = true;
  try {
    const username = ui.username.value.trim();
    if (challenge) {
      setTokens(await setNewPassword(endpoint, settings.clientId, username, challenge, ui.newPassword.value));
      challenge = undefined;
    } else {
      const outcome = await signIn(endpoint, settings.clientId, username, ui.password.value);
      if ('tokens' in outcome) setTokens(outcome.tokens);
      else challenge = outcome.newPasswordRequired;
    }
    if (tokens) {
      ui.password.value = '';
      ui.newPassword.value = '';
    }
  } catch (err) {
    ui.signInError.textContent = (err as Error).message;
    ui.signInError.hidden = false;
  } finally {
    ui.signInButton.disabled = false;
    showSignIn();
  }
}

/** The Authorization header for the API (refreshing an expired token first); none when the API is open. */
async function authHeaders(): Promise<Record<string, string>> {
  const settings = config?.signIn;
  if (!settings) return {};
  if (!tokens) throw new StepError('Sign in first.');
  let current = tokens;
  if (needsRefresh(current)) {
    try {
      current = await refresh(cognitoEndpointFor(settings.issuer, location.origin), settings.clientId, current);
      setTokens(current);
    } catch (err) {
      setTokens(undefined);
      throw new StepError(`Your sign-in has expired (${(err as Error).message}): sign in again.`);
    }
  }
  return { authorization: `Bearer ${current.idToken}` };
}

async function loadConfig(): Promise<void> {
  try {
    const response = await fetchStep('Loading the console configuration', 'config.json', {
      timeoutMs: PRESIGN_TIMEOUT_MS,
    });
    config = (await response.json()) as ConsoleConfig;
    apiBase = config.apiEndpoint ? apiBaseFor(config.apiEndpoint, location.origin) : undefined;
    ui.apiStatus.textContent = apiBase
      ? `API ${apiBase} · buckets ${config.inBucket} → ${config.outBucket}`
      : 'No API is deployed yet: start the platform with `ddn up`, then reload this page.';
    tokens = config.signIn ? loadTokens(config.signIn) : undefined;
    showSignIn();
  } catch (err) {
    ui.apiStatus.textContent = (err as Error).message;
  }
  setState('idle');
  updateRunButton();
}

async function selectFile(file: File): Promise<void> {
  selected = undefined;
  ui.download.hidden = true;
  ui.steps.replaceChildren();
  ui.uploadBar.style.width = '0';
  showError(undefined);
  updateRunButton();
  ui.fileInfo.textContent = `${file.name} — reading…`;
  try {
    const image = await decodeGreyTiff(await file.arrayBuffer());
    selected = { file, image };
    const d = defaultsFor(image);
    ui.offset.value = String(d.digitalOffset);
    ui.bits.value = String(d.usingBits);
    ui.bits.max = String(image.bitsPerSample);
    ui.pitch.value = String(d.pixelPitchUm);
    ui.fileInfo.textContent = `${file.name} — ${image.width}×${image.height}, ${image.bitsPerSample}-bit grey, ${formatBytes(file.size)}`;
    viewer.setInput(image);
    setState('ready');
  } catch (err) {
    const message =
      err instanceof RefusedFileError ? err.message : `The file could not be read: ${(err as Error).message}`;
    ui.fileInfo.textContent = `${file.name} — refused`;
    showError(message);
    setState('refused');
  }
  updateRunButton();
}

/** Runs one step, listing it with its duration; rethrows its error after marking it failed. */
async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const item = document.createElement('li');
  item.className = 'running';
  item.textContent = `${label}…`;
  ui.steps.append(item);
  const started = performance.now();
  try {
    const result = await work();
    item.className = 'done';
    item.textContent = `${label} — ${formatMs(performance.now() - started)}`;
    return result;
  } catch (err) {
    item.className = 'failed';
    item.textContent = `${label} — failed after ${formatMs(performance.now() - started)}`;
    throw err;
  }
}

function readParameters(): {
  model: InvocationRequest['model'];
  strength: number;
  offset: number;
  pitch: number;
  bits: number;
} {
  const number = (input: HTMLInputElement, name: string) => {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v) || !input.checkValidity()) {
      throw new StepError(`${name} must be a number between ${input.min} and ${input.max}.`);
    }
    return v;
  };
  return {
    model: ui.model.value as InvocationRequest['model'],
    strength: number(ui.strength, 'Strength'),
    offset: number(ui.offset, 'Digital offset'),
    pitch: number(ui.pitch, 'Pixel pitch'),
    bits: number(ui.bits, 'Bits used'),
  };
}

async function denoise(): Promise<void> {
  if (!selected || !apiBase || !config || running) return;
  const { file, image } = selected;
  running = true;
  updateRunButton();
  showError(undefined);
  setState('running');
  ui.steps.replaceChildren();
  ui.download.hidden = true;
  ui.uploadBar.style.width = '0';
  const total = performance.now();
  try {
    const p = readParameters();
    const inKey = inputKeyFor(file.name);
    const outKey = outputKeyFor(inKey, p.model, p.strength);
    const presign = async (mode: 'upload' | 'download', key: string) => {
      const what = `Asking the API for ${mode === 'upload' ? 'an upload' : 'a download'} URL`;
      const url = `${apiBase}/presign?mode=${mode}&file=${encodeURIComponent(key)}`;
      const headers = await authHeaders();
      return readPresignedUrl(what, await fetchStep(what, url, { timeoutMs: PRESIGN_TIMEOUT_MS, headers }));
    };
    const putUrl = await step('Presign upload', () => presign('upload', inKey));
    await step(`Upload ${formatBytes(file.size)}`, () =>
      putWithProgress(
        putUrl,
        file,
        TRANSFER_TIMEOUT_MS,
        (f) => (ui.uploadBar.style.width = `${(f * 100).toFixed(1)}%`),
      ),
    );
    const body: InvocationRequest = {
      model: p.model,
      type: 'static',
      pixel_pitch: p.pitch,
      img_input_url: `s3://${config.inBucket}/${inKey}`,
      img_output_url: `s3://${config.outBucket}/${outKey}`,
      digital_offset: p.offset,
      using_bits: p.bits,
      strength: p.strength,
      width: image.width,
      height: image.height,
    };
    const answer = await step(`Denoise (${p.model}, strength ${p.strength})`, async () => {
      const response = await fetchStep('The denoising request', `${apiBase}/invocations`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...(await authHeaders()) },
        timeoutMs: INVOKE_TIMEOUT_MS,
      });
      return summariseInvocation(await response.text());
    });
    if (answer) ui.steps.lastElementChild!.append(` (${answer})`);
    const getUrl = await step('Presign download', () => presign('download', outKey));
    const bytes = await step('Download result', async () =>
      (await fetchStep('The download', getUrl, { timeoutMs: TRANSFER_TIMEOUT_MS })).arrayBuffer(),
    );
    const result = await step('Decode result', () => decodeGreyTiff(bytes));
    viewer.setOutput(result);
    if (ui.download.href) URL.revokeObjectURL(ui.download.href);
    ui.download.href = URL.createObjectURL(new Blob([bytes], { type: 'image/tiff' }));
    ui.download.download = outKey.split('/').pop()!;
    ui.download.hidden = false;
    const item = document.createElement('li');
    item.textContent = `Total — ${formatMs(performance.now() - total)}`;
    ui.steps.append(item);
    setState('done');
  } catch (err) {
    showError(
      err instanceof StepError || err instanceof RefusedFileError
        ? err.message
        : `Unexpected error: ${(err as Error).message}`,
    );
    setState('error');
  } finally {
    running = false;
    updateRunButton();
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) void selectFile(file);
});
ui.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void selectFile(file);
});
ui.signInForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void submitSignIn();
});
ui.signOut.addEventListener('click', () => setTokens(undefined));
ui.strength.addEventListener('input', () => (ui.strengthValue.value = ui.strength.value));
ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  void denoise();
});
document.querySelectorAll<HTMLInputElement>('input[name=mode]').forEach((radio) => {
  radio.addEventListener('change', () => radio.checked && viewer.setMode(radio.value as ViewMode));
});
const applyWindow = () => {
  const low = Number(ui.low.value);
  const high = Number(ui.high.value);
  if (Number.isFinite(low) && Number.isFinite(high) && high > low) viewer.setWindow({ low, high });
};
ui.low.addEventListener('change', applyWindow);
ui.high.addEventListener('change', applyWindow);
ui.auto.addEventListener('click', () => viewer.autoWindow());
ui.fit.addEventListener('click', () => viewer.fit());

void loadConfig();
