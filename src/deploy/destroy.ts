import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteApiCommand } from '@aws-sdk/client-apigatewayv2';
import { DeleteUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { findUserPools } from '../client/user-pool.ts';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { Declaration } from './declaration.ts';
import { removePermission } from './apply.ts';
import { findApis, isNotFound, step, type DeployClients } from './target.ts';

export interface DestroyOptions {
  /** Also delete the function, the role deploy made, and the buckets. */
  all?: boolean;
  /** With `all`: delete buckets that still hold objects, objects first. */
  force?: boolean;
}

// The access-log group on AWS is kept: it is the billing record.

export interface DestroyResult {
  deletedApis: string[];
  permissionRemoved: boolean;
  functionDeleted: boolean;
  /** Whether the role deploy made (locally) was deleted. */
  roleDeleted: boolean;
  buckets: Array<{ name: string; deleted: boolean; note?: string }>;
  /** With `all` and sign-in: the user pools of the declared name that were deleted (never DDN_COGNITO_USER_POOL_ID's). */
  deletedUserPools: string[];
}

/** Removes every API of the declared name and the invoke permission; with `all` the function and the buckets. Idempotent. */
export async function destroy(
  clients: DeployClients,
  declaration: Declaration,
  options: DestroyOptions = {},
): Promise<DestroyResult> {
  const fnName = declaration.function.name;
  const apis = await step(`list APIs named ${declaration.api.name}`, () =>
    findApis(clients.apigw, declaration.api.name),
  );
  for (const api of apis) {
    await step(`delete API ${api.apiId}`, () =>
      tolerateNotFound(clients.apigw.send(new DeleteApiCommand({ ApiId: api.apiId }))),
    );
  }
  const permissionRemoved = await step(`remove permission ${declaration.permission.statementId} from ${fnName}`, () =>
    removePermission(clients.lambda, fnName, declaration.permission.statementId),
  );
  const result: DestroyResult = {
    deletedApis: apis.map((a) => a.apiId),
    permissionRemoved,
    functionDeleted: false,
    roleDeleted: false,
    buckets: [],
    deletedUserPools: [],
  };
  if (!options.all) return result;

  result.functionDeleted = await step(`delete function ${fnName}`, () =>
    tolerateNotFound(clients.lambda.send(new DeleteFunctionCommand({ FunctionName: fnName }))),
  );
  const role = declaration.role;
  if (role) {
    const deleting = () => tolerateNotFound(deleteRole(clients.iam, role.name));
    result.roleDeleted = await step(`delete role ${role.name}`, deleting);
  }
  for (const bucket of declaration.buckets) {
    result.buckets.push(
      await step(`delete bucket ${bucket.name}`, () => deleteBucket(clients.s3, bucket.name, options.force ?? false)),
    );
  }
  const auth = declaration.auth;
  if (auth && !auth.userPool.id) {
    const pools = await step(`list user pools named ${auth.userPool.name}`, () =>
      findUserPools(clients.cognito, auth.userPool.name),
    );
    for (const pool of pools) {
      if (
        await step(`delete user pool ${pool.id}`, () =>
          tolerateNotFound(clients.cognito.send(new DeleteUserPoolCommand({ UserPoolId: pool.id }))),
        )
      ) {
        result.deletedUserPools.push(pool.id);
      }
    }
  }
  return result;
}

/** Detaches and deletes the role's policies, then the role (IAM refuses to delete a role that has any). */
async function deleteRole(iam: IAMClient, name: string): Promise<void> {
  const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
  for (const policy of attached.AttachedPolicies ?? []) {
    await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policy.PolicyArn }));
  }
  const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: name }));
  for (const policyName of inline.PolicyNames ?? []) {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
  }
  await iam.send(new DeleteRoleCommand({ RoleName: name }));
}

async function deleteBucket(
  s3: S3Client,
  bucket: string,
  force: boolean,
): Promise<{ name: string; deleted: boolean; note?: string }> {
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0 && !force)
        return { name: bucket, deleted: false, note: 'not empty; kept (use --force to delete its objects too)' };
      if (keys.length > 0)
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.NextContinuationToken;
    } while (token);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    return { name: bucket, deleted: true };
  } catch (err) {
    if (isNotFound(err)) return { name: bucket, deleted: false, note: 'did not exist' };
    throw err;
  }
}

/** Resolves true when the call succeeded, false when the resource was already gone. */
async function tolerateNotFound(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
