import { iamErrors } from './errors.ts';

/** A string constraint of IAM's model: length bounds and the pattern the whole value must match. */
export interface StringShape {
  min: number;
  max: number;
  pattern?: RegExp;
  /** The pattern as the model writes it, for the message. */
  patternText?: string;
}

export const shapes = {
  roleName: { min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' },
  policyName: { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' },
  path: {
    min: 1,
    max: 512,
    pattern: /^(\/|\/[\x21-\x7e]+\/)$/,
    patternText: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
  },
  policyPath: {
    min: 1,
    max: 512,
    pattern: /^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/,
    patternText: '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/',
  },
  pathPrefix: { min: 1, max: 512, pattern: /^\/[\x21-\x7f]*$/, patternText: '\\u002F[\\u0021-\\u007F]*' },
  policyDocument: {
    min: 1,
    max: 131072,
    pattern: /^[\t\n\r\x20-\xff]+$/,
    patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+',
  },
  description: {
    min: 0,
    max: 1000,
    pattern: /^[\t\n\r\x20-\x7e\xa1-\xff]*$/,
    patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*',
  },
  arn: { min: 20, max: 2048 },
  marker: { min: 1, max: 320 },
  tagKey: { min: 1, max: 128 },
  tagValue: { min: 0, max: 256 },
} satisfies Record<string, StringShape>;

/** The model's member name in validation messages: `RoleName` → `roleName`. */
const memberName = (name: string): string => name[0].toLowerCase() + name.slice(1);

/** Reads and checks the parameters of one IAM request, answering IAM's ValidationError for what the model refuses. */
export class IamParams {
  constructor(private readonly params: URLSearchParams) {}

  required(name: string, shape: StringShape): string {
    const value = this.params.get(name);
    if (value === null)
      throw iamErrors.validation(
        `Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`,
      );
    return check(name, value, shape);
  }

  optional(name: string, shape: StringShape): string | undefined {
    const value = this.params.get(name);
    return value === null ? undefined : check(name, value, shape);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const raw = this.params.get(name);
    if (raw === null) return undefined;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim())) throw failed(memberName(name), raw, `Member must be a number`);
    if (value < min) throw failed(memberName(name), raw, `Member must have value greater than or equal to ${min}`);
    if (value > max) throw failed(memberName(name), raw, `Member must have value less than or equal to ${max}`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const raw = this.params.get(name);
    return raw === null ? undefined : raw.toLowerCase() === 'true';
  }

  enumeration<T extends string>(name: string, values: readonly T[]): T | undefined {
    const raw = this.params.get(name);
    if (raw === null) return undefined;
    if (!(values as readonly string[]).includes(raw)) {
      throw failed(memberName(name), raw, `Member must satisfy enum value set: [${values.join(', ')}]`);
    }
    return raw as T;
  }

  /** `Tags.member.N.Key` / `.Value`, in N order. */
  tags(): Array<{ Key: string; Value: string }> {
    const tags: Array<{ Key: string; Value: string }> = [];
    for (let n = 1; this.params.has(`Tags.member.${n}.Key`); n++) {
      tags.push({
        Key: check('Tags.member.' + n + '.key', this.params.get(`Tags.member.${n}.Key`)!, shapes.tagKey),
        Value: check('Tags.member.' + n + '.value', this.params.get(`Tags.member.${n}.Value`) ?? '', shapes.tagValue),
      });
    }
    return tags;
  }
}

/** `1 validation error detected: Value 'v' at 'member' failed to satisfy constraint: ...` */
function failed(member: string, value: string, constraint: string): Error {
  return iamErrors.validation(`Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);
}

function check(name: string, value: string, shape: StringShape): string {
  const member = memberName(name);
  if (value.length < shape.min) {
    throw failed(member, value, `Member must have length greater than or equal to ${shape.min}`);
  }
  if (value.length > shape.max) {
    throw failed(member, value, `Member must have length less than or equal to ${shape.max}`);
  }
  if (shape.pattern && !shape.pattern.test(value)) {
    throw failed(member, value, `Member must satisfy regular expression pattern: ${shape.patternText}`);
  }
  return value;
}
