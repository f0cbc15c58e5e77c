import type { StoredAppClient, StoredUserPool } from '../state/cognito-metadata.ts';
import { PageTokens } from '../protocols/pagination.ts';
import { requireClient, requirePool, type CognitoContext } from './context.ts';
import { cognitoErrors } from './errors.ts';
import { epochSeconds, newClientId, newClientSecret, newPoolId } from './ids.ts';
import { CognitoInput, constraint, rules } from './input.ts';
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from './passwords.ts';
import { generatePoolKeys } from './tokens.ts';

/** A pool's settings as stored (the members of CreateUserPool this emulator keeps). */
export interface PoolSettings {
  PasswordPolicy: PasswordPolicy;
  UsernameAttributes?: string[];
  AliasAttributes?: string[];
  AutoVerifiedAttributes?: string[];
  MfaConfiguration: string;
  DeletionProtection: string;
  CaseSensitive: boolean;
  AllowAdminCreateUserOnly: boolean;
  UserPoolTags: Record<string, string>;
  /** Names of the custom attributes, with their `custom:` prefix. */
  CustomAttributes: string[];
}

/** A client's settings as stored; the token lifetimes are in seconds. */
export interface ClientSettings {
  ClientName: string;
  ClientSecret?: string;
  ExplicitAuthFlows: string[];
  AccessTokenSeconds: number;
  IdTokenSeconds: number;
  RefreshTokenSeconds: number;
  TokenValidityUnits: { AccessToken: string; IdToken: string; RefreshToken: string };
  AccessTokenValidity: number;
  IdTokenValidity: number;
  RefreshTokenValidity: number;
  PreventUserExistenceErrors: string;
  EnableTokenRevocation: boolean;
  AuthSessionValidity: number;
  CreationDate: number;
  LastModifiedDate: number;
}

export const STANDARD_ATTRIBUTES = [
  'sub',
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'email_verified',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
  'updated_at',
];

const AUTH_FLOWS = [
  'ADMIN_NO_SRP_AUTH',
  'CUSTOM_AUTH_FLOW_ONLY',
  'USER_PASSWORD_AUTH',
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_USER_AUTH',
];
const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
const poolTokens = new PageTokens('cognito-pools');
const clientTokens = new PageTokens('cognito-clients');

export const poolSettings = (pool: StoredUserPool): PoolSettings => pool.settings as unknown as PoolSettings;
export const clientSettings = (client: StoredAppClient): ClientSettings => client.settings as unknown as ClientSettings;

export function poolArn(ctx: CognitoContext, poolId: string): string {
  return `arn:aws:cognito-idp:${ctx.region}:${ctx.account}:userpool/${poolId}`;
}

/** Pools and app clients: create, describe, list, delete. */
export function poolOperations(ctx: CognitoContext) {
  const describePool = (pool: StoredUserPool): Record<string, unknown> => {
    const s = poolSettings(pool);
    return {
      Id: pool.id,
      Name: pool.name,
      Policies: { PasswordPolicy: s.PasswordPolicy },
      DeletionProtection: s.DeletionProtection,
      LambdaConfig: {},
      LastModifiedDate: pool.updatedAt,
      CreationDate: pool.createdAt,
      SchemaAttributes: schemaAttributes(s),
      AutoVerifiedAttributes: s.AutoVerifiedAttributes,
      UsernameAttributes: s.UsernameAttributes,
      AliasAttributes: s.AliasAttributes,
      MfaConfiguration: s.MfaConfiguration,
      EstimatedNumberOfUsers: ctx.store.countUsers(pool.id),
      EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' },
      UserPoolTags: s.UserPoolTags,
      AdminCreateUserConfig: {
        AllowAdminCreateUserOnly: s.AllowAdminCreateUserOnly,
        UnusedAccountValidityDays: s.PasswordPolicy.TemporaryPasswordValidityDays,
      },
      UsernameConfiguration: { CaseSensitive: s.CaseSensitive },
      Arn: poolArn(ctx, pool.id),
      UserPoolTier: 'ESSENTIALS',
    };
  };

  const describeClient = (client: StoredAppClient): Record<string, unknown> => {
    const s = clientSettings(client);
    return {
      UserPoolId: client.poolId,
      ClientName: s.ClientName,
      ClientId: client.id,
      ClientSecret: s.ClientSecret,
      LastModifiedDate: s.LastModifiedDate,
      CreationDate: s.CreationDate,
      RefreshTokenValidity: s.RefreshTokenValidity,
      AccessTokenValidity: s.AccessTokenValidity,
      IdTokenValidity: s.IdTokenValidity,
      TokenValidityUnits: s.TokenValidityUnits,
      ExplicitAuthFlows: s.ExplicitAuthFlows,
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: s.PreventUserExistenceErrors,
      EnableTokenRevocation: s.EnableTokenRevocation,
      EnablePropagateAdditionalUserContextData: false,
      AuthSessionValidity: s.AuthSessionValidity,
    };
  };

  return {
    async CreateUserPool(raw: unknown) {
      const input = new CognitoInput(raw);
      const name = input.required('PoolName', rules.poolName);
      const settings = readPoolSettings(input);
      const now = epochSeconds();
      const pool: StoredUserPool = {
        id: newPoolId(ctx.region),
        name,
        settings: settings as unknown as Record<string, unknown>,
        keys: await generatePoolKeys(),
        createdAt: now,
        updatedAt: now,
      };
      ctx.store.insertPool(pool);
      return { UserPool: describePool(pool) };
    },

    DescribeUserPool(raw: unknown) {
      const input = new CognitoInput(raw);
      return { UserPool: describePool(requirePool(ctx, input.required('UserPoolId', rules.userPoolId))) };
    },

    ListUserPools(raw: unknown) {
      const input = new CognitoInput(raw);
      const max = input.integer('MaxResults', 1, 60);
      if (max === undefined)
        throw cognitoErrors.validation(
          "Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        );
      const after = pageStart(input, 'NextToken', poolTokens);
      const pools = ctx.store.listPools(after, max + 1);
      const shown = pools.slice(0, max);
      return {
        UserPools: shown.map((p) => ({
          Id: p.id,
          Name: p.name,
          LambdaConfig: {},
          LastModifiedDate: p.updatedAt,
          CreationDate: p.createdAt,
        })),
        NextToken: pools.length > max ? poolTokens.encode(shown[shown.length - 1].id) : undefined,
      };
    },

    DeleteUserPool(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      if (poolSettings(pool).DeletionProtection === 'ACTIVE') {
        // unconfirmed: AWS's exact message.
        throw cognitoErrors.invalidParameter(
          'The user pool cannot be deleted because deletion protection is activated.',
        );
      }
      ctx.store.deletePool(pool.id);
      ctx.signer.forget(pool.id);
      return {};
    },

    CreateUserPoolClient(raw: unknown) {
      const input = new CognitoInput(raw);
      const pool = requirePool(ctx, input.required('UserPoolId', rules.userPoolId));
      const client: StoredAppClient = {
        id: newClientId(),
        poolId: pool.id,
        settings: readClientSettings(input) as unknown as Record<string, unknown>,
      };
      ctx.store.insertClient(client);
      return { UserPoolClient: describeClient(client) };
    },

    DescribeUserPoolClient(raw: unknown) {
      const input = new CognitoInput(raw);
      const poolId = input.required('UserPoolId', rules.userPoolId);
      requirePool(ctx, poolId);
      return { UserPoolClient: describeClient(requireClient(ctx, input.required('ClientId', rules.clientId), poolId)) };
    },

    ListUserPoolClients(raw: unknown) {
      const input = new CognitoInput(raw);
      const poolId = input.required('UserPoolId', rules.userPoolId);
      requirePool(ctx, poolId);
      const max = input.integer('MaxResults', 1, 60) ?? 60;
      const after = pageStart(input, 'NextToken', clientTokens);
      const clients = ctx.store.listClients(poolId, after, max + 1);
      const shown = clients.slice(0, max);
      return {
        UserPoolClients: shown.map((c) => ({
          ClientId: c.id,
          UserPoolId: c.poolId,
          ClientName: clientSettings(c).ClientName,
        })),
        NextToken: clients.length > max ? clientTokens.encode(shown[shown.length - 1].id) : undefined,
      };
    },

    DeleteUserPoolClient(raw: unknown) {
      const input = new CognitoInput(raw);
      const poolId = input.required('UserPoolId', rules.userPoolId);
      requirePool(ctx, poolId);
      const client = requireClient(ctx, input.required('ClientId', rules.clientId), poolId);
      ctx.store.deleteClient(client.id);
      return {};
    },
  };
}

function pageStart(input: CognitoInput, name: string, scheme: PageTokens): string {
  const token = input.optional(name);
  if (token === undefined) return '';
  const after = scheme.decode(token);
  // unconfirmed: the message for a token Cognito did not make.
  if (after === undefined) throw cognitoErrors.invalidParameter('Invalid pagination token.');
  return after;
}

function readPoolSettings(input: CognitoInput): PoolSettings {
  const policies = input.object('Policies');
  const given = (policies?.PasswordPolicy ?? {}) as Partial<Record<keyof PasswordPolicy, unknown>>;
  const policyInput = new CognitoInput(given);
  const minimumLength = policyInput.integer('MinimumLength', 6, 99) ?? DEFAULT_PASSWORD_POLICY.MinimumLength;
  const validityDays =
    policyInput.integer('TemporaryPasswordValidityDays', 0, 365) ||
    DEFAULT_PASSWORD_POLICY.TemporaryPasswordValidityDays;
  const passwordPolicy: PasswordPolicy =
    policies?.PasswordPolicy === undefined
      ? DEFAULT_PASSWORD_POLICY
      : {
          MinimumLength: minimumLength,
          RequireUppercase: policyInput.boolean('RequireUppercase') ?? false,
          RequireLowercase: policyInput.boolean('RequireLowercase') ?? false,
          RequireNumbers: policyInput.boolean('RequireNumbers') ?? false,
          RequireSymbols: policyInput.boolean('RequireSymbols') ?? false,
          TemporaryPasswordValidityDays: validityDays,
        };
  const usernameAttributes = input.strings('UsernameAttributes');
  const aliasAttributes = input.strings('AliasAttributes');
  if (usernameAttributes && aliasAttributes) {
    throw cognitoErrors.invalidParameter(
      'Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.',
    );
  }
  for (const name of usernameAttributes ?? []) {
    if (name !== 'email' && name !== 'phone_number') {
      const enumText = 'Member must satisfy enum value set: [phone_number, email]';
      throw constraint(
        'UsernameAttributes',
        `[${usernameAttributes!.join(', ')}]`,
        `Member must satisfy constraint: [${enumText}]`,
      );
    }
  }
  const schema = (input.body.Schema ?? []) as Array<{ Name?: unknown }>;
  const custom = Array.isArray(schema)
    ? schema
        .map((a) => (typeof a?.Name === 'string' ? a.Name : ''))
        .filter((n) => n !== '' && !STANDARD_ATTRIBUTES.includes(n))
        .map((n) => `custom:${n.replace(/^custom:/, '')}`)
    : [];
  const adminConfig = input.object('AdminCreateUserConfig') ?? {};
  const usernameConfig = input.object('UsernameConfiguration') ?? {};
  return {
    PasswordPolicy: passwordPolicy,
    UsernameAttributes: usernameAttributes,
    AliasAttributes: aliasAttributes,
    AutoVerifiedAttributes: input.strings('AutoVerifiedAttributes'),
    MfaConfiguration: input.enumeration('MfaConfiguration', ['OFF', 'ON', 'OPTIONAL'] as const) ?? 'OFF',
    DeletionProtection: input.enumeration('DeletionProtection', ['ACTIVE', 'INACTIVE'] as const) ?? 'INACTIVE',
    // Pools created through the API are case-sensitive unless told otherwise.
    CaseSensitive: usernameConfig.CaseSensitive !== false,
    AllowAdminCreateUserOnly: adminConfig.AllowAdminCreateUserOnly === true,
    UserPoolTags: (input.object('UserPoolTags') ?? {}) as Record<string, string>,
    CustomAttributes: custom,
  };
}

function readClientSettings(input: CognitoInput): ClientSettings {
  const name = input.required('ClientName', rules.clientName);
  const generate = input.boolean('GenerateSecret') ?? false;
  const givenSecret = input.optional('ClientSecret', { min: 24, max: 64, pattern: /^[\w+]+$/, patternText: '[\\w+]+' });
  if (generate && givenSecret !== undefined) {
    // unconfirmed: AWS's exact message.
    throw cognitoErrors.invalidParameter('ClientSecret cannot be specified when GenerateSecret is true.');
  }
  const flows = input.strings('ExplicitAuthFlows') ?? [
    'ALLOW_REFRESH_TOKEN_AUTH',
    'ALLOW_USER_SRP_AUTH',
    'ALLOW_CUSTOM_AUTH',
  ];
  for (const flow of flows) {
    if (!AUTH_FLOWS.includes(flow)) {
      const enumText = `Member must satisfy enum value set: [${AUTH_FLOWS.join(', ')}]`;
      throw constraint('ExplicitAuthFlows', `[${flows.join(', ')}]`, `Member must satisfy constraint: [${enumText}]`);
    }
  }
  if (flows.some((f) => f.startsWith('ALLOW_')) && !flows.includes('ALLOW_REFRESH_TOKEN_AUTH')) {
    throw cognitoErrors.invalidParameter('REFRESH_TOKEN_AUTH should always be allowed.');
  }
  const units = input.object('TokenValidityUnits') ?? {};
  const unit = (name: 'AccessToken' | 'IdToken' | 'RefreshToken', fallback: string): string => {
    const given = units[name];
    if (given === undefined) return fallback;
    if (typeof given !== 'string' || !(given in UNIT_SECONDS)) {
      const member = `tokenValidityUnits.${name[0].toLowerCase()}${name.slice(1)}`;
      throw constraint(member, given, 'Member must satisfy enum value set: [seconds, minutes, hours, days]');
    }
    return given;
  };
  const tokenUnits = {
    AccessToken: unit('AccessToken', 'hours'),
    IdToken: unit('IdToken', 'hours'),
    RefreshToken: unit('RefreshToken', 'days'),
  };
  const access =
    input.integer('AccessTokenValidity', 1, 86400) ??
    (tokenUnits.AccessToken === 'hours' ? 1 : 3600 / UNIT_SECONDS[tokenUnits.AccessToken]);
  const id =
    input.integer('IdTokenValidity', 1, 86400) ??
    (tokenUnits.IdToken === 'hours' ? 1 : 3600 / UNIT_SECONDS[tokenUnits.IdToken]);
  const refreshGiven = input.integer('RefreshTokenValidity', 0, 315360000);
  const refresh =
    refreshGiven === undefined || refreshGiven === 0
      ? (30 * 86400) / UNIT_SECONDS[tokenUnits.RefreshToken]
      : refreshGiven;
  const seconds = {
    access: access * UNIT_SECONDS[tokenUnits.AccessToken],
    id: id * UNIT_SECONDS[tokenUnits.IdToken],
    refresh: refresh * UNIT_SECONDS[tokenUnits.RefreshToken],
  };
  // Access and ID tokens last between 5 minutes and a day; refresh tokens at most 10 years.
  if (seconds.access < 300 || seconds.access > 86400)
    throw cognitoErrors.invalidParameter('Invalid range for token validity.');
  if (seconds.id < 300 || seconds.id > 86400) throw cognitoErrors.invalidParameter('Invalid range for token validity.');
  if (seconds.refresh < 3600 || seconds.refresh > 315360000)
    throw cognitoErrors.invalidParameter('Invalid range for token validity.');
  const now = epochSeconds();
  return {
    ClientName: name,
    ClientSecret: generate ? newClientSecret() : givenSecret,
    ExplicitAuthFlows: flows,
    AccessTokenSeconds: seconds.access,
    IdTokenSeconds: seconds.id,
    RefreshTokenSeconds: seconds.refresh,
    TokenValidityUnits: tokenUnits,
    AccessTokenValidity: access,
    IdTokenValidity: id,
    RefreshTokenValidity: refresh,
    PreventUserExistenceErrors:
      input.enumeration('PreventUserExistenceErrors', ['LEGACY', 'ENABLED'] as const) ?? 'LEGACY',
    EnableTokenRevocation: input.boolean('EnableTokenRevocation') ?? true,
    AuthSessionValidity: input.integer('AuthSessionValidity', 3, 15) ?? 3,
    CreationDate: now,
    LastModifiedDate: now,
  };
}

/** The standard attributes (and the pool's custom ones) as DescribeUserPool lists them. */
function schemaAttributes(s: PoolSettings): Array<Record<string, unknown>> {
  const stringConstraints = { MinLength: '0', MaxLength: '2048' };
  const standard = STANDARD_ATTRIBUTES.map((name) => {
    const type = name.endsWith('_verified') ? 'Boolean' : name === 'updated_at' ? 'Number' : 'String';
    return {
      Name: name,
      AttributeDataType: type,
      DeveloperOnlyAttribute: false,
      Mutable: name !== 'sub',
      Required: name === 'sub',
      ...(type === 'String'
        ? { StringAttributeConstraints: name === 'sub' ? { MinLength: '1', MaxLength: '2048' } : stringConstraints }
        : {}),
      ...(type === 'Number' ? { NumberAttributeConstraints: { MinValue: '0' } } : {}),
    };
  });
  const custom = s.CustomAttributes.map((name) => ({
    Name: name,
    AttributeDataType: 'String',
    DeveloperOnlyAttribute: false,
    Mutable: true,
    Required: false,
    StringAttributeConstraints: {},
  }));
  return [...standard, ...custom];
}
