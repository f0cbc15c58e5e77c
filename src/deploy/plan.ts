import { isDeepStrictEqual } from 'node:util';
import type { AuthorizationType, Declaration, IntegrationName } from './declaration.ts';
import type { ApiState, IntegrationState, TargetState } from './target.ts';
import { describeAuthChange, planAuthorizer, planUserPool, type AuthChange, type AuthIds } from './plan-auth.ts';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** One step that brings the target closer to the declaration. `apply` executes them in order. */
export type Change =
  | { kind: 'createBucket'; bucket: string }
  | { kind: 'putBucketCors'; bucket: string }
  | { kind: 'createRole'; name: string }
  | { kind: 'createFunction'; name: string }
  | { kind: 'updateFunctionCode'; name: string; from?: string; to: string }
  | { kind: 'updateFunctionConfiguration'; name: string; fields: FieldChange[] }
  | { kind: 'createApi'; name: string }
  | { kind: 'createIntegration'; integration: IntegrationName; integrationUri: string }
  | { kind: 'updateIntegration'; integration: IntegrationName; integrationId: string; fields: FieldChange[] }
  | { kind: 'createRoute'; routeKey: string; integration: IntegrationName; authorizationType: AuthorizationType }
  | {
      kind: 'updateRoute';
      routeKey: string;
      routeId: string;
      integration: IntegrationName;
      from?: string;
      authorizationType: AuthorizationType;
      /** Set when the authorization changes: what it was. */
      authorizationFrom?: string;
    }
  | { kind: 'createStage'; stageName: string }
  | { kind: 'updateStage'; stageName: string; fields: FieldChange[] }
  | { kind: 'addPermission'; statementId: string; sourceArn: string }
  | { kind: 'replacePermission'; statementId: string; from?: string; to: string }
  | { kind: 'createLogGroup'; name: string }
  | AuthChange;

export interface Plan {
  accountId: string;
  /** The API's id, when it exists already. */
  apiId?: string;
  apiEndpoint?: string;
  /** Which existing integration each declared one maps to (absent: created by the plan). */
  integrationIds: Partial<Record<IntegrationName, string>>;
  changes: Change[];
  /** Sign-in's user pool, app client and authorizer, where they exist already. */
  auth: AuthIds;
  /** Routes on the API that the declaration does not manage: left alone, listed for the user. */
  otherRoutes: Array<{ routeKey: string; target?: string }>;
}

export class PlanError extends Error {}

const NEW_API_ID = '<new api id>';

/** Compares a declaration with what the target holds. Pure: reads nothing, changes nothing. */
export function computePlan(declaration: Declaration, state: TargetState, codeSha256: string): Plan {
  if (state.apis.length > 1) {
    throw new PlanError(
      `${state.apis.length} APIs are named ${declaration.api.name} (${state.apis.map((a) => a.apiId).join(', ')}): ` +
        `deploy cannot tell which one is the platform's. Run ddn destroy to remove them all, or delete the extra ones ` +
        `(aws apigatewayv2 delete-api --api-id ID), then deploy again.`,
    );
  }
  const { accountId } = state;
  const changes: Change[] = [];

  for (const bucket of declaration.buckets) {
    const current = state.buckets[bucket.name];
    if (!current?.exists) changes.push({ kind: 'createBucket', bucket: bucket.name });
    if (!current?.exists || !isDeepStrictEqual(current.cors, bucket.cors))
      changes.push({ kind: 'putBucketCors', bucket: bucket.name });
  }

  if (declaration.role && !state.roleExists) changes.push({ kind: 'createRole', name: declaration.role.name });
  changes.push(...planFunction(declaration, state, codeSha256));
  const auth: AuthIds = {};
  if (declaration.auth)
    changes.push(...planUserPool(declaration.auth, state.auth ?? { userPools: [], clients: [] }, auth));
  if (declaration.logGroup && !state.logGroup?.exists)
    changes.push({ kind: 'createLogGroup', name: declaration.logGroup.name });

  const api = state.api;
  if (!api) changes.push({ kind: 'createApi', name: declaration.api.name });
  const integrationIds: Partial<Record<IntegrationName, string>> = {};
  for (const name of Object.keys(declaration.api.integrations) as IntegrationName[]) {
    const declared = declaration.api.integrations[name];
    const integrationUri = declared.integrationUri(accountId);
    const existing = api ? matchIntegration(declaration, name, integrationUri, api) : undefined;
    if (!existing) {
      changes.push({ kind: 'createIntegration', integration: name, integrationUri });
      continue;
    }
    integrationIds[name] = existing.integrationId;
    const fields = diffFields([
      ['integrationUri', existing.integrationUri, integrationUri],
      ['payloadFormatVersion', existing.payloadFormatVersion, declared.payloadFormatVersion],
      ...(declared.integrationMethod
        ? [['integrationMethod', existing.integrationMethod, declared.integrationMethod] as const]
        : []),
    ]);
    if (fields.length > 0)
      changes.push({ kind: 'updateIntegration', integration: name, integrationId: existing.integrationId, fields });
  }

  if (declaration.auth) changes.push(...planAuthorizer(declaration.auth, api?.authorizers ?? [], auth));

  for (const route of declaration.api.routes) {
    const existing = api?.routes.find((r) => r.routeKey === route.routeKey);
    const integrationId = integrationIds[route.integration];
    if (!existing) {
      changes.push({
        kind: 'createRoute',
        routeKey: route.routeKey,
        integration: route.integration,
        authorizationType: route.authorizationType,
      });
      continue;
    }
    const targetChanged = !integrationId || existing.target !== `integrations/${integrationId}`;
    const currentAuthorization = existing.authorizationType ?? 'NONE';
    const authorizationChanged =
      currentAuthorization !== route.authorizationType ||
      (route.authorizationType === 'JWT' && (!auth.authorizerId || existing.authorizerId !== auth.authorizerId));
    if (targetChanged || authorizationChanged) {
      changes.push({
        kind: 'updateRoute',
        routeKey: route.routeKey,
        routeId: existing.routeId,
        integration: route.integration,
        from: existing.target,
        authorizationType: route.authorizationType,
        ...(authorizationChanged && {
          authorizationFrom: `${currentAuthorization}${existing.authorizerId ? ` ${existing.authorizerId}` : ''}`,
        }),
      });
    }
  }
  const declaredKeys = new Set(declaration.api.routes.map((r) => r.routeKey));
  const otherRoutes = (api?.routes ?? [])
    .filter((r) => !declaredKeys.has(r.routeKey))
    .map((r) => ({ routeKey: r.routeKey, target: r.target }));

  const stage = declaration.api.stage;
  const currentStage = api?.stages.find((s) => s.stageName === stage.stageName);
  if (!currentStage) changes.push({ kind: 'createStage', stageName: stage.stageName });
  else {
    const accessLog = stage.accessLogSettings && {
      destinationArn: stage.accessLogSettings.destinationArn(accountId),
      format: stage.accessLogSettings.format,
    };
    const fields = diffFields([
      ['autoDeploy', currentStage.autoDeploy ?? false, stage.autoDeploy],
      ...(accessLog ? [['accessLogSettings', currentStage.accessLogSettings, accessLog] as const] : []),
    ]);
    if (fields.length > 0) changes.push({ kind: 'updateStage', stageName: stage.stageName, fields });
  }

  const { statementId } = declaration.permission;
  const sourceArn = declaration.permission.sourceArn(accountId, api?.apiId ?? NEW_API_ID);
  if (!state.function || !state.permission) changes.push({ kind: 'addPermission', statementId, sourceArn });
  else if (state.permission.sourceArn !== sourceArn)
    changes.push({ kind: 'replacePermission', statementId, from: state.permission.sourceArn, to: sourceArn });

  return { accountId, apiId: api?.apiId, apiEndpoint: api?.apiEndpoint, integrationIds, auth, changes, otherRoutes };
}

function planFunction(declaration: Declaration, state: TargetState, codeSha256: string): Change[] {
  const fn = declaration.function;
  const current = state.function;
  if (!current) return [{ kind: 'createFunction', name: fn.name }];
  const changes: Change[] = [];
  if (current.codeSha256 !== codeSha256)
    changes.push({ kind: 'updateFunctionCode', name: fn.name, from: current.codeSha256, to: codeSha256 });
  const role = fn.role(state.accountId);
  const fields = diffFields([
    ['runtime', current.runtime, fn.runtime],
    ['handler', current.handler, fn.handler],
    ['timeout', current.timeout, fn.timeout],
    ['memorySize', current.memorySize, fn.memorySize],
    ['environment', current.environment, fn.environment],
    ...(role ? [['role', current.role, role] as const] : []),
  ]);
  if (fields.length > 0) changes.push({ kind: 'updateFunctionConfiguration', name: fn.name, fields });
  return changes;
}

/**
 * The existing integration that plays a declared one: same type, preferably one a declared route
 * already targets, else one with the declared URI, else the first of that type.
 */
function matchIntegration(
  declaration: Declaration,
  name: IntegrationName,
  integrationUri: string,
  api: ApiState,
): IntegrationState | undefined {
  const declared = declaration.api.integrations[name];
  const candidates = api.integrations.filter((i) => i.integrationType === declared.integrationType);
  const routeTargets = new Set(
    declaration.api.routes
      .filter((r) => r.integration === name)
      .map((r) => api.routes.find((existing) => existing.routeKey === r.routeKey)?.target)
      .filter((t): t is string => t !== undefined),
  );
  return (
    candidates.find((i) => routeTargets.has(`integrations/${i.integrationId}`)) ??
    candidates.find((i) => i.integrationUri === integrationUri) ??
    candidates[0]
  );
}

export function diffFields(pairs: ReadonlyArray<readonly [string, unknown, unknown]>): FieldChange[] {
  return pairs.filter(([, from, to]) => !isDeepStrictEqual(from, to)).map(([field, from, to]) => ({ field, from, to }));
}

/** One line per change, for `ddn deploy --plan` and the deploy log. */
export function describeChange(change: Change): string {
  switch (change.kind) {
    case 'createBucket':
      return `+ create bucket ${change.bucket}`;
    case 'putBucketCors':
      return `~ set the CORS rule of bucket ${change.bucket}`;
    case 'createRole':
      return `+ create role ${change.name} (Lambda may assume it; AWSLambdaBasicExecutionRole, objects of the buckets)`;
    case 'createFunction':
      return `+ create function ${change.name}`;
    case 'updateFunctionCode':
      return `~ update the code of function ${change.name} (sha256 ${change.from ?? 'none'} -> ${change.to})`;
    case 'updateFunctionConfiguration':
      return `~ update function ${change.name}: ${describeFields(change.fields)}`;
    case 'createApi':
      return `+ create HTTP API ${change.name}`;
    case 'createIntegration':
      return `+ create the ${change.integration} integration -> ${change.integrationUri}`;
    case 'updateIntegration':
      return `~ update the ${change.integration} integration ${change.integrationId}: ${describeFields(change.fields)}`;
    case 'createRoute':
      return `+ create route ${change.routeKey} -> ${change.integration} integration${change.authorizationType === 'JWT' ? ', behind the JWT authorizer' : ''}`;
    case 'updateRoute':
      if (change.authorizationFrom !== undefined) {
        return `~ route ${change.routeKey} (${change.routeId}): authorization ${change.authorizationFrom} -> ${change.authorizationType === 'JWT' ? 'the JWT authorizer' : 'NONE'}, ${change.integration} integration`;
      }
      return `~ point route ${change.routeKey} (${change.routeId}) at the ${change.integration} integration (was ${change.from ?? 'no target'})`;
    case 'createStage':
      return `+ create stage ${change.stageName} (auto-deploy)`;
    case 'updateStage':
      return `~ update stage ${change.stageName}: ${describeFields(change.fields)}`;
    case 'addPermission':
      return `+ allow API Gateway to invoke the function (statement ${change.statementId}, source ${change.sourceArn})`;
    case 'replacePermission':
      return `~ replace permission ${change.statementId}: source ${change.from ?? 'none'} -> ${change.to}`;
    case 'createLogGroup':
      return `+ create log group ${change.name} (the stage's access log)`;
    default:
      return describeAuthChange(change);
  }
}

export function describeFields(fields: FieldChange[]): string {
  return fields.map((f) => `${f.field} ${short(f.from)} -> ${short(f.to)}`).join(', ');
}

function short(value: unknown): string {
  if (value === undefined) return 'unset';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
