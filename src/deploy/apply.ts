import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, PutBucketCorsCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CreateApiCommand,
  CreateAuthorizerCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  UpdateAuthorizerCommand,
  UpdateIntegrationCommand,
  UpdateRouteCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-apigatewayv2';
import { UpdateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { createSignInClient, createSignInPool } from '../client/user-pool.ts';
import { awsApiEndpoint, type AuthorizationType, type Declaration, type IntegrationName } from './declaration.ts';
import { describeChange, type Change, type Plan } from './plan.ts';
import { declaredAuthorizer, type AuthIds } from './plan-auth.ts';
import { createRole } from './role.ts';
import { step, type DeployClients } from './target.ts';

export interface ApplyResult {
  apiId: string;
  apiEndpoint: string;
  applied: Change[];
  /** With sign-in: what a client needs to sign in and what the authorizer trusts. */
  auth?: SignInSettings;
}

export interface SignInSettings {
  userPoolId: string;
  clientId: string;
  issuer: string;
}

/** Executes a plan's changes in order; stops at the first failure with an error naming the change. */
export async function applyPlan(
  clients: DeployClients,
  declaration: Declaration,
  plan: Plan,
  code: Uint8Array,
  onChange: (change: Change) => void = () => {},
): Promise<ApplyResult> {
  const ctx: ApplyContext = {
    apiId: plan.apiId,
    apiEndpoint: plan.apiEndpoint,
    integrationIds: { ...plan.integrationIds },
    auth: { ...plan.auth },
  };
  const applied: Change[] = [];
  for (const change of plan.changes) {
    onChange(change);
    await step(describeChange(change).replace(/^[+~] /, ''), () =>
      applyChange(clients, declaration, plan.accountId, ctx, change, code),
    );
    applied.push(change);
  }
  if (!ctx.apiId) throw new Error('the plan neither found nor created the API');
  return {
    apiId: ctx.apiId,
    apiEndpoint: ctx.apiEndpoint ?? awsApiEndpoint(ctx.apiId, declaration.region),
    applied,
    auth: signInSettings(declaration, ctx.auth),
  };
}

/** The settings of sign-in once the plan is applied (undefined without sign-in). */
export function signInSettings(declaration: Declaration, ids: AuthIds): SignInSettings | undefined {
  if (!declaration.auth || !ids.userPoolId || !ids.clientId) return undefined;
  return {
    userPoolId: ids.userPoolId,
    clientId: ids.clientId,
    issuer: declaration.auth.authorizer.issuer(ids.userPoolId),
  };
}

interface ApplyContext {
  apiId?: string;
  apiEndpoint?: string;
  integrationIds: Partial<Record<IntegrationName, string>>;
  auth: AuthIds;
}

async function applyChange(
  clients: DeployClients,
  declaration: Declaration,
  accountId: string,
  ctx: ApplyContext,
  change: Change,
  code: Uint8Array,
): Promise<void> {
  const fn = declaration.function;
  const apiId = () => {
    if (!ctx.apiId) throw new Error('the API does not exist yet');
    return ctx.apiId;
  };
  const routeAuthorization = (type: AuthorizationType) => {
    if (type === 'NONE') return { AuthorizationType: type };
    if (!ctx.auth.authorizerId) throw new Error('the JWT authorizer does not exist yet');
    return { AuthorizationType: type, AuthorizerId: ctx.auth.authorizerId };
  };
  const integrationTarget = (name: IntegrationName) => {
    const id = ctx.integrationIds[name];
    if (!id) throw new Error(`the ${name} integration does not exist yet`);
    return `integrations/${id}`;
  };
  switch (change.kind) {
    case 'createBucket': {
      const region = declaration.region;
      await clients.s3.send(
        new CreateBucketCommand({
          Bucket: change.bucket,
          CreateBucketConfiguration:
            region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
        }),
      );
      return;
    }
    case 'putBucketCors': {
      const bucket = declaration.buckets.find((b) => b.name === change.bucket)!;
      await clients.s3.send(
        new PutBucketCorsCommand({ Bucket: bucket.name, CORSConfiguration: { CORSRules: bucket.cors } }),
      );
      return;
    }
    case 'createRole':
      await createRole(clients.iam, declaration.role!);
      return;
    case 'createFunction': {
      const role = fn.role(accountId);
      if (!role)
        throw new Error(
          'DDN_LAMBDA_ROLE is not set: set it to the ARN of an IAM role Lambda can assume (with AWSLambdaBasicExecutionRole and s3:GetObject/PutObject on the buckets)',
        );
      await clients.lambda.send(
        new CreateFunctionCommand({
          FunctionName: fn.name,
          Runtime: fn.runtime as 'nodejs20.x',
          Handler: fn.handler,
          Role: role,
          Code: { ZipFile: code },
          Timeout: fn.timeout,
          MemorySize: fn.memorySize,
          Environment: { Variables: fn.environment },
        }),
      );
      await waitForFunction(clients.lambda, fn.name);
      return;
    }
    case 'updateFunctionCode':
      await clients.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn.name, ZipFile: code }));
      await waitForFunction(clients.lambda, fn.name);
      return;
    case 'updateFunctionConfiguration':
      await clients.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: fn.name,
          Runtime: fn.runtime as 'nodejs20.x',
          Handler: fn.handler,
          Role: fn.role(accountId),
          Timeout: fn.timeout,
          MemorySize: fn.memorySize,
          Environment: { Variables: fn.environment },
        }),
      );
      await waitForFunction(clients.lambda, fn.name);
      return;
    case 'createApi': {
      const api = await clients.apigw.send(new CreateApiCommand({ Name: declaration.api.name, ProtocolType: 'HTTP' }));
      ctx.apiId = api.ApiId;
      ctx.apiEndpoint = api.ApiEndpoint;
      return;
    }
    case 'createIntegration': {
      const declared = declaration.api.integrations[change.integration];
      const created = await clients.apigw.send(
        new CreateIntegrationCommand({
          ApiId: apiId(),
          IntegrationType: declared.integrationType,
          IntegrationMethod: declared.integrationMethod,
          IntegrationUri: declared.integrationUri(accountId),
          PayloadFormatVersion: declared.payloadFormatVersion,
        }),
      );
      ctx.integrationIds[change.integration] = created.IntegrationId;
      return;
    }
    case 'updateIntegration': {
      const declared = declaration.api.integrations[change.integration];
      await clients.apigw.send(
        new UpdateIntegrationCommand({
          ApiId: apiId(),
          IntegrationId: change.integrationId,
          IntegrationType: declared.integrationType,
          IntegrationMethod: declared.integrationMethod,
          IntegrationUri: declared.integrationUri(accountId),
          PayloadFormatVersion: declared.payloadFormatVersion,
        }),
      );
      return;
    }
    case 'createRoute':
      await clients.apigw.send(
        new CreateRouteCommand({
          ApiId: apiId(),
          RouteKey: change.routeKey,
          Target: integrationTarget(change.integration),
          ...routeAuthorization(change.authorizationType),
        }),
      );
      return;
    case 'updateRoute':
      await clients.apigw.send(
        new UpdateRouteCommand({
          ApiId: apiId(),
          RouteId: change.routeId,
          Target: integrationTarget(change.integration),
          ...routeAuthorization(change.authorizationType),
        }),
      );
      return;
    case 'createStage':
    case 'updateStage': {
      const stage = declaration.api.stage;
      const input = {
        ApiId: apiId(),
        StageName: stage.stageName,
        AutoDeploy: stage.autoDeploy,
        AccessLogSettings: stage.accessLogSettings && {
          DestinationArn: stage.accessLogSettings.destinationArn(accountId),
          Format: stage.accessLogSettings.format,
        },
      };
      await clients.apigw.send(
        change.kind === 'createStage' ? new CreateStageCommand(input) : new UpdateStageCommand(input),
      );
      return;
    }
    case 'replacePermission':
      await removePermission(clients.lambda, fn.name, change.statementId);
    // falls through: add the statement with the new source ARN
    case 'addPermission':
      await clients.lambda.send(
        new AddPermissionCommand({
          FunctionName: fn.name,
          StatementId: declaration.permission.statementId,
          Action: 'lambda:InvokeFunction',
          Principal: declaration.permission.principal,
          SourceArn: declaration.permission.sourceArn(accountId, apiId()),
        }),
      );
      return;
    case 'createLogGroup':
      try {
        await clients.logs.send(new CreateLogGroupCommand({ logGroupName: change.name }));
      } catch (err) {
        if ((err as { name?: string }).name !== 'ResourceAlreadyExistsException') throw err;
      }
      return;
    case 'createUserPool':
      ctx.auth.userPoolId = await createSignInPool(clients.cognito, change.name);
      return;
    case 'createUserPoolClient': {
      const auth = declaration.auth!;
      if (!ctx.auth.userPoolId) throw new Error('the user pool does not exist yet');
      ctx.auth.clientId = await createSignInClient(
        clients.cognito,
        ctx.auth.userPoolId,
        auth.client.name,
        auth.client.explicitAuthFlows,
      );
      return;
    }
    case 'updateUserPoolClient': {
      const auth = declaration.auth!;
      await clients.cognito.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: ctx.auth.userPoolId,
          ClientId: change.clientId,
          ClientName: auth.client.name,
          ExplicitAuthFlows: auth.client.explicitAuthFlows,
        }),
      );
      return;
    }
    case 'createAuthorizer':
    case 'updateAuthorizer': {
      const auth = declaration.auth!;
      if (!ctx.auth.userPoolId || !ctx.auth.clientId)
        throw new Error('the user pool or its app client does not exist yet');
      const declared = declaredAuthorizer(auth, ctx.auth);
      const input = {
        ApiId: apiId(),
        AuthorizerType: 'JWT' as const,
        Name: auth.authorizer.name,
        IdentitySource: declared.identitySource,
        JwtConfiguration: { Issuer: declared.issuer, Audience: declared.audience },
      };
      if (change.kind === 'updateAuthorizer') {
        await clients.apigw.send(new UpdateAuthorizerCommand({ ...input, AuthorizerId: change.authorizerId }));
        return;
      }
      ctx.auth.authorizerId = (await clients.apigw.send(new CreateAuthorizerCommand(input))).AuthorizerId;
      return;
    }
  }
}

/** Removes a statement; true when it existed. */
export async function removePermission(
  lambda: LambdaClient,
  functionName: string,
  statementId: string,
): Promise<boolean> {
  try {
    await lambda.send(new RemovePermissionCommand({ FunctionName: functionName, StatementId: statementId }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

/** Waits until a created or updated function is Active and no update is in progress (AWS rejects the next change otherwise). */
export async function waitForFunction(lambda: LambdaClient, functionName: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') {
      throw new Error(
        `function ${functionName} failed: ${c.StateReason ?? c.LastUpdateStatusReason ?? 'no reason given'}`,
      );
    }
    if (c.State !== 'Pending' && c.LastUpdateStatus !== 'InProgress') return;
    if (Date.now() > deadline)
      throw new Error(`function ${functionName} is still ${c.State}/${c.LastUpdateStatus} after ${timeoutMs / 1000} s`);
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
}
