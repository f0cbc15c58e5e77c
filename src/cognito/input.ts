import { cognitoErrors } from './errors.ts';

/** The model's member name in validation messages: `UserPoolId` → `userPoolId`. */
const memberName = (name: string): string => name[0].toLowerCase() + name.slice(1);

export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  patternText?: string;
}

export const rules = {
  userPoolId: { min: 1, max: 55, pattern: /^[\w-]+_[0-9a-zA-Z]+$/, patternText: '[\\w-]+_[0-9a-zA-Z]+' },
  clientId: { min: 1, max: 128, pattern: /^[\w+]+$/, patternText: '[\\w+]+' },
  poolName: { min: 1, max: 128, pattern: /^[\w\s+=,.@-]+$/, patternText: '[\\w\\s+=,.@-]+' },
  clientName: { min: 1, max: 128, pattern: /^[\w\s+=,.@-]+$/, patternText: '[\\w\\s+=,.@-]+' },
  username: {
    min: 1,
    max: 128,
    pattern: /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u,
    patternText: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+',
  },
  password: { min: 0, max: 256, pattern: /^[\S]+.*[\S]+$/s, patternText: '[\\S]+.*[\\S]+' },
  token: { min: 1 },
} satisfies Record<string, StringRule>;

/** Reads one JSON request's members; Cognito's `1 validation error detected: ...` for what the model refuses. */
export class CognitoInput {
  readonly body: Record<string, unknown>;

  constructor(input: unknown) {
    this.body =
      input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  }

  required(name: string, rule: StringRule = {}): string {
    const value = this.body[name];
    if (value === undefined || value === null) {
      throw cognitoErrors.validation(
        `Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return checkString(name, value, rule);
  }

  optional(name: string, rule: StringRule = {}): string | undefined {
    const value = this.body[name];
    return value === undefined || value === null ? undefined : checkString(name, value, rule);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(name);
    if (value < min) throw constraint(name, value, `Member must have value greater than or equal to ${min}`);
    if (value > max) throw constraint(name, value, `Member must have value less than or equal to ${max}`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw typeError(name);
    return value;
  }

  enumeration<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.optional(name);
    if (value !== undefined && !(values as readonly string[]).includes(value)) {
      throw constraint(name, value, `Member must satisfy enum value set: [${values.join(', ')}]`);
    }
    return value as T | undefined;
  }

  strings(name: string): string[] | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw typeError(name);
    return value;
  }

  object(name: string): Record<string, unknown> | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(name);
    return value as Record<string, unknown>;
  }

  /** A `{"NAME": "value"}` map of strings (AuthParameters, ChallengeResponses). */
  stringMap(name: string): Record<string, string> {
    const value = this.object(name) ?? {};
    for (const v of Object.values(value)) if (typeof v !== 'string') throw typeError(name);
    return value as Record<string, string>;
  }

  /** `[{"Name": ..., "Value": ...}]` (UserAttributes). */
  attributes(name: string): Array<{ Name: string; Value: string }> {
    const value = this.body[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw typeError(name);
    return value.map((item: unknown) => {
      const a = item as { Name?: unknown; Value?: unknown } | null;
      if (!a || typeof a.Name !== 'string' || (a.Value !== undefined && typeof a.Value !== 'string'))
        throw typeError(name);
      return { Name: a.Name, Value: a.Value ?? '' };
    });
  }
}

function checkString(name: string, value: unknown, rule: StringRule): string {
  if (typeof value !== 'string') throw typeError(name);
  if (rule.min !== undefined && value.length < rule.min)
    throw constraint(name, value, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max)
    throw constraint(name, value, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern && !rule.pattern.test(value))
    throw constraint(name, value, `Member must satisfy regular expression pattern: ${rule.patternText}`);
  return value;
}

export function constraint(name: string, value: unknown, text: string): Error {
  return cognitoErrors.validation(
    `Value '${String(value)}' at '${memberName(name)}' failed to satisfy constraint: ${text}`,
  );
}

/** A member of the wrong JSON type (unconfirmed: AWS answers SerializationException for some of these). */
function typeError(name: string): Error {
  return cognitoErrors.invalidParameter(`Invalid type for parameter ${name}`);
}
