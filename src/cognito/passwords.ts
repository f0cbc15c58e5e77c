import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: about 50 ms of one core per hash, 32 MiB of memory. */
const COST: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A salted scrypt hash, `scrypt$N$r$p$salt$hash` (base64); the password itself is never stored. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches `stored`; with no stored hash it still spends the time of one check. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = stored?.split('$');
  if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') {
    await derive(password, randomBytes(16), COST);
    return false;
  }
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: COST.maxmem,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface PasswordPolicy {
  MinimumLength: number;
  RequireUppercase: boolean;
  RequireLowercase: boolean;
  RequireNumbers: boolean;
  RequireSymbols: boolean;
  TemporaryPasswordValidityDays: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  TemporaryPasswordValidityDays: 7,
};

/** The characters Cognito counts as symbols (its documentation's list, space included). */
const SYMBOLS = new Set('^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ');

/**
 * What the policy finds wrong with `password`, as Cognito words it after `Password did not conform with policy: `;
 * undefined when it conforms. Checks run in the order length, upper, lower, numbers, symbols (order unconfirmed).
 */
export function passwordPolicyProblem(password: string, policy: PasswordPolicy): string | undefined {
  if ([...password].length < policy.MinimumLength) return 'Password not long enough';
  if (policy.RequireUppercase && !/[A-Z]/.test(password)) return 'Password must have uppercase characters';
  if (policy.RequireLowercase && !/[a-z]/.test(password)) return 'Password must have lowercase characters';
  if (policy.RequireNumbers && !/[0-9]/.test(password)) return 'Password must have numeric characters';
  if (policy.RequireSymbols && ![...password].some((c) => SYMBOLS.has(c)))
    return 'Password must have symbol characters';
  return undefined;
}

/** A temporary password that satisfies `policy` (AdminCreateUser without TemporaryPassword). */
export function generatePassword(policy: PasswordPolicy): string {
  const pick = (set: string, n: number): string => [...randomBytes(n)].map((b) => set[b % set.length]).join('');
  const core =
    pick('ABCDEFGHJKLMNPQRSTUVWXYZ', 2) +
    pick('abcdefghijkmnopqrstuvwxyz', 2) +
    pick('23456789', 2) +
    pick('!#%*+-=?', 2);
  return core + pick('abcdefghijkmnopqrstuvwxyz23456789', Math.max(0, policy.MinimumLength - core.length + 4));
}
