import { randomInt } from 'node:crypto';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A unique id as IAM forms them: a kind prefix (`AROA` role, `ANPA` managed policy) and 17 more, 21 in all. */
export function iamUniqueId(prefix: 'AROA' | 'ANPA'): string {
  let id = prefix;
  while (id.length < 21) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

export function roleArn(account: string, path: string, name: string): string {
  return `arn:aws:iam::${account}:role${path}${name}`;
}

export function policyArn(account: string, path: string, name: string): string {
  return `arn:aws:iam::${account}:policy${path}${name}`;
}

/** A managed policy ARN split into its owner (`aws` for AWS-managed, else an account id), path and name. */
export function parsePolicyArn(arn: string): { owner: string; path: string; name: string } | undefined {
  const match = /^arn:aws:iam::(aws|\d{12}):policy(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,128})$/.exec(arn);
  return match ? { owner: match[1], path: match[2], name: match[3] } : undefined;
}

/** A role ARN split into account, path and name. */
export function parseRoleArn(arn: string): { account: string; path: string; name: string } | undefined {
  const match = /^arn:aws:iam::(\d{12}):role(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,64})$/.exec(arn);
  return match ? { account: match[1], path: match[2], name: match[3] } : undefined;
}

/** IAM's timestamps: ISO 8601 to the second. */
export function iamTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
