import { randomUUID } from 'node:crypto';
import type { StoredUser, StoredUserPool } from '../state/cognito-metadata.ts';
import { PageTokens } from '../protocols/pagination.ts';
import { requirePool, type CognitoContext } from './context.ts';
import { cognitoErrors } from './errors.ts';
import { epochSeconds } from './ids.ts';
import { CognitoInput, rules } from './input.ts';
import { generatePassword, hashPassword, passwordPolicyProblem } from './passwords.ts';
import { poolSettings, STANDARD_ATTRIBUTES } from './pools.ts';

const userTokens = new PageTokens('cognito-users');
const SEARCHABLE = new Set([
  'username',
  'email',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'cognito:user_status',
  'status',
  'sub',
]);

/** How users are looked up in a pool: the username's key, and the email's where the pool signs in with email. */
export function userLookup(pool: StoredUserPool, name: string): { usernameKey: string; emailKey?: string } {
  const s = poolSettings(pool);
  return {
    usernameKey: s.CaseSensitive ? name : name.toLowerCase(),
    emailKey: s.UsernameAttributes?.includes('email') ? name.toLowerCase() : undefined,
  };
}

export function findUser(ctx: CognitoContext, pool: StoredUserPool, name: string): StoredUser | undefined {
  const { usernameKey, emailKey } = userLookup(pool, name);
  return ctx.store.findUser(pool.id, usernameKey, emailKey);
}

export function requireUser(ctx: CognitoContext, pool: StoredUserPool, name: string): StoredUser {
  const user = findUser(ctx, pool, name);
  if (!user) throw cognitoErrors.userNotFound();
  return user;
}

/** `[{"Name": "sub", ...}, ...]` with `sub` first, as Cognito lists them. */
export function attributeList(user: StoredUser, only?: string[]): Array<{ Name: string; Value: string }> {
  const all = [
    { Name: 'sub', Value: user.sub },
    ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
  ];
  return only ? all.filter((a) => only.includes(a.Name)) : all;
}

function userType(user: StoredUser, only?: string[]): Record<string, unknown> {
  return {
    Username: user.username,
    Attributes: attributeList(user, only),
    UserCreateDate: user.createdAt,
    UserLastModifiedDate: user.updatedAt,
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}

export interface NewUser {
  username: string;
  password: string;
  /** true: CONFIRMED with this password; false: FORCE_CHANGE_PASSWORD (a temporary password). */
  permanent: boolean;
  attributes?: Array<{ Name: string; Value: string }>;
}

/** Creates a user in `pool` after the checks AdminCreateUser makes. */
export async function createUser(ctx: CognitoContext, pool: StoredUserPool, spec: NewUser): Promise<StoredUser> {
  const s = poolSettings(pool);
  const attributes = checkedAttributes(pool, spec.attributes ?? []);
  const problem = passwordPolicyProblem(spec.password, s.PasswordPolicy);
  if (problem) throw cognitoErrors.invalidPassword(problem);
  let username = spec.username;
  if (s.UsernameAttributes?.length) {
    // The caller names the user by email (or phone); the internal username is a UUID.
    const isEmail = spec.username.includes('@');
    const attribute = isEmail ? 'email' : 'phone_number';
    if (!s.UsernameAttributes.includes(attribute))
      throw cognitoErrors.invalidParameter('Username should be either an email or a phone number.');
    attributes[attribute] ??= spec.username;
    username = randomUUID();
  }
  const sub = s.UsernameAttributes?.length ? username : randomUUID();
  const now = epochSeconds();
  const user: StoredUser = {
    poolId: pool.id,
    username,
    sub,
    attributes,
    passwordHash: await hashPassword(spec.password),
    status: spec.permanent ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD',
    enabled: true,
    createdAt: now,
    updatedAt: now,
  };
  const email = attributes.email?.toLowerCase();
  if (s.UsernameAttributes?.includes('email') && email && ctx.store.userByEmail(pool.id, email))
    throw cognitoErrors.userExists();
  if (
    !ctx.store.insertUser(
      user,
      userLookup(pool, username).usernameKey,
      s.UsernameAttributes?.includes('email') ? email : undefined,
    )
  ) {
    throw cognitoErrors.userExists();
  }
  return user;
}

/** Admin-side user operations. */
export function userOperations(ctx: CognitoContext) {
  return {
    async AdminCreateUser(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      const username = input.required('Username', rules.username);
      const action = input.enumeration('MessageAction', ['RESEND', 'SUPPRESS'] as const);
      const temporary =
        input.optional('TemporaryPassword', rules.password) ?? generatePassword(poolSettings(pool).PasswordPolicy);
      if (action === 'RESEND') {
        const user = requireUser(ctx, pool, username);
        if (user.status !== 'FORCE_CHANGE_PASSWORD') throw cognitoErrors.userExists();
        const problem = passwordPolicyProblem(temporary, poolSettings(pool).PasswordPolicy);
        if (problem) throw cognitoErrors.invalidPassword(problem);
        ctx.store.setPassword(
          pool.id,
          user.sub,
          await hashPassword(temporary),
          'FORCE_CHANGE_PASSWORD',
          epochSeconds(),
        );
        return { User: userType(ctx.store.userBySub(pool.id, user.sub)!) };
      }
      const user = await createUser(ctx, pool, {
        username,
        password: temporary,
        permanent: false,
        attributes: input.attributes('UserAttributes'),
      });
      return { User: userType(user) };
    },

    async AdminSetUserPassword(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      const user = requireUser(ctx, pool, input.required('Username', rules.username));
      const password = input.required('Password', rules.password);
      const problem = passwordPolicyProblem(password, poolSettings(pool).PasswordPolicy);
      if (problem) throw cognitoErrors.invalidPassword(problem);
      const permanent = input.boolean('Permanent') ?? false;
      ctx.store.setPassword(
        pool.id,
        user.sub,
        await hashPassword(password),
        permanent ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD',
        epochSeconds(),
      );
      return {};
    },

    AdminGetUser(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      const user = requireUser(ctx, pool, input.required('Username', rules.username));
      const { Attributes, ...rest } = userType(user);
      return { Username: rest.Username, UserAttributes: Attributes, ...rest };
    },

    AdminDeleteUser(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      const user = requireUser(ctx, pool, input.required('Username', rules.username));
      ctx.store.deleteUser(pool.id, user.sub);
      return {};
    },

    ListUsers(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      const limit = input.integer('Limit', 0, 60) || 60;
      const only = input.strings('AttributesToGet');
      const filter = parseFilter(input.optional('Filter', { max: 256 }));
      const token = input.optional('PaginationToken');
      let after = 0;
      if (token !== undefined) {
        const position = userTokens.decodeInteger(token);
        // unconfirmed: the message for a token Cognito did not make.
        if (position === undefined) throw cognitoErrors.invalidParameter('Invalid pagination token.');
        after = position;
      }
      const found: Array<{ rowid: number; user: StoredUser }> = [];
      for (;;) {
        const batch = ctx.store.listUsers(pool.id, after, 200);
        for (const row of batch) if (filter(row.user) && found.length <= limit) found.push(row);
        if (batch.length < 200 || found.length > limit) break;
        after = batch[batch.length - 1].rowid;
      }
      const shown = found.slice(0, limit);
      return {
        Users: shown.map((row) => userType(row.user, only)),
        PaginationToken: found.length > limit ? userTokens.encode(shown[shown.length - 1].rowid) : undefined,
      };
    },
  };
}

/** The attributes a caller may set, checked against the pool's schema (messages unconfirmed). */
function checkedAttributes(
  pool: StoredUserPool,
  given: Array<{ Name: string; Value: string }>,
): Record<string, string> {
  const custom = poolSettings(pool).CustomAttributes;
  const attributes: Record<string, string> = {};
  for (const { Name, Value } of given) {
    if (Name === 'sub') throw cognitoErrors.invalidParameter('Cannot modify an immutable attribute: sub');
    if (!STANDARD_ATTRIBUTES.includes(Name) && !custom.includes(Name)) {
      throw cognitoErrors.invalidParameter(
        `Attributes did not conform to the schema: ${Name}: Attribute does not exist in the schema.\n`,
      );
    }
    attributes[Name] = Value;
  }
  return attributes;
}

/** ListUsers' `name = "value"` (exact) and `name ^= "value"` (prefix) filters. */
function parseFilter(text: string | undefined): (user: StoredUser) => boolean {
  if (text === undefined || text.trim() === '') return () => true;
  const match = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (!match || !SEARCHABLE.has(match[1])) throw cognitoErrors.invalidParameter('Error while parsing filter.');
  const [, name, op, wanted] = match as unknown as [string, string, string, string];
  const valueOf = (user: StoredUser): string | undefined => {
    switch (name) {
      case 'username':
        return user.username;
      case 'sub':
        return user.sub;
      case 'cognito:user_status':
        return user.status;
      case 'status':
        return user.enabled ? 'Enabled' : 'Disabled';
      default:
        return user.attributes[name];
    }
  };
  return (user) => {
    const value = valueOf(user);
    if (value === undefined) return false;
    return op === '=' ? value === wanted : value.startsWith(wanted);
  };
}
