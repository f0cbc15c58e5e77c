import { randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, length: number): string {
  let out = '';
  while (out.length < length) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `{region}_{9 letters and digits}`, as `us-east-1_KePRX24Bn`. */
export const newPoolId = (region: string): string => `${region}_${pick(ALNUM, 9)}`;
/** 26 lower-case letters and digits. */
export const newClientId = (): string => pick(LOWER_ALNUM, 26);
/** 52 lower-case letters and digits. */
export const newClientSecret = (): string => pick(LOWER_ALNUM, 52);
/** An opaque challenge session, long like AWS's. */
export const newSession = (): string => `AYABe${pick(ALNUM, 200)}`;

/** Cognito's timestamps: epoch seconds with a millisecond fraction. */
export const epochSeconds = (ms = Date.now()): number => Math.round(ms) / 1000;
