import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8 } from 'fflate';
import {
  CreateApiCommand,
  GetApisCommand,
  GetAuthorizersCommand,
  GetRoutesCommand,
} from '@aws-sdk/client-apigatewayv2';
import {
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { loadConfig } from '../../src/config/index.ts';
import { GetFunctionConfigurationCommand, GetPolicyCommand } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { buildDeclaration, type Declaration } from '../../src/deploy/declaration.ts';
import { deploy, deployClients, destroy, readTarget, PlanError, type DeployClients } from '../../src/deploy/index.ts';

/** A small function zip; deploy does not care what the code is, only its hash. */
function zip(body: string): Uint8Array {
  return zipSync(
    { 'index.mjs': strToU8(`export const handler = async () => (${body});\n`) },
    { mtime: new Date('2020-01-01T00:00:00Z') },
  );
}

function declare(edge: TestEdge, albDns: string): Declaration {
  return buildDeclaration(edge.config, { albDns, s3Endpoint: edge.url, placeholderRole: true });
}

async function withEdge(fn: (edge: TestEdge, clients: DeployClients) => Promise<void>): Promise<void> {
  const edge = await startTestEdge();
  try {
    await fn(edge, deployClients({ url: edge.url, region: edge.region, credentials: edge.credentials }));
  } finally {
    await edge.close();
  }
}

test('deploy creates the platform on the edge; a second run plans nothing and leaves the same state', async () => {
  await withEdge(async (edge, clients) => {
    const declaration = declare(edge, '127.0.0.1:50101');
    const code = zip('{ statusCode: 200, body: "v1" }');
    const first = await deploy(clients, declaration, code);
    assert.ok(first.result);
    assert.equal(first.result.applied.length, first.plan.changes.length);
    assert.match(first.result.apiEndpoint, new RegExp(`/_aws/execute-api/${first.result.apiId}$`));
    const stateAfterFirst = await readTarget(clients, declaration);

    const second = await deploy(clients, declaration, code);
    assert.deepEqual(second.plan.changes, []);
    assert.equal(second.result!.apiId, first.result.apiId);
    assert.deepEqual(await readTarget(clients, declaration), stateAfterFirst);

    await clients.s3.send(new HeadBucketCommand({ Bucket: 'ddn-in-bucket' }));
    const fn = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'ddn-presign-lambda' }));
    assert.equal(fn.Environment?.Variables?.AWS_ENDPOINT_URL_S3, edge.url);
    const policy = JSON.parse(
      (await clients.lambda.send(new GetPolicyCommand({ FunctionName: 'ddn-presign-lambda' }))).Policy!,
    );
    assert.equal(
      policy.Statement[0].Condition.ArnLike['AWS:SourceArn'],
      `arn:aws:execute-api:us-east-1:000000000000:${first.result.apiId}/*/*`,
    );

    // New code: only the code changes.
    const third = await deploy(clients, declaration, zip('{ statusCode: 200, body: "v2" }'));
    assert.deepEqual(
      third.plan.changes.map((c) => c.kind),
      ['updateFunctionCode'],
    );
  });
});

test('a changed DDN_ALB_DNS plans exactly one integration update, and applying it converges', async () => {
  await withEdge(async (edge, clients) => {
    const code = zip('{}');
    await deploy(clients, declare(edge, '127.0.0.1:50101'), code);
    const moved = declare(edge, 'internal-alb-1.us-east-1.elb.amazonaws.com');
    const { plan } = await deploy(clients, moved, code, { planOnly: true });
    assert.equal(plan.changes.length, 1);
    const change = plan.changes[0];
    assert.ok(change.kind === 'updateIntegration');
    assert.deepEqual(change.fields, [
      {
        field: 'integrationUri',
        from: 'http://127.0.0.1:50101',
        to: 'http://internal-alb-1.us-east-1.elb.amazonaws.com',
      },
    ]);
    await deploy(clients, moved, code);
    assert.deepEqual((await deploy(clients, moved, code, { planOnly: true })).plan.changes, []);
  });
});

test('two APIs of the same name: deploy refuses naming both, destroy removes both, twice is fine', async () => {
  await withEdge(async (edge, clients) => {
    const declaration = declare(edge, '127.0.0.1:50101');
    const code = zip('{}');
    const { result } = await deploy(clients, declaration, code);
    const other = await clients.apigw.send(new CreateApiCommand({ Name: 'ddn-api', ProtocolType: 'HTTP' }));
    await assert.rejects(
      deploy(clients, declaration, code),
      (err: Error) =>
        err instanceof PlanError && err.message.includes(result!.apiId) && err.message.includes(other.ApiId!),
    );

    const destroyed = await destroy(clients, declaration);
    assert.deepEqual(destroyed.deletedApis.sort(), [result!.apiId, other.ApiId!].sort());
    assert.equal(destroyed.permissionRemoved, true);
    assert.deepEqual((await clients.apigw.send(new GetApisCommand({}))).Items ?? [], []);
    const again = await destroy(clients, declaration);
    const nothing = { permissionRemoved: false, functionDeleted: false, roleDeleted: false };
    assert.deepEqual(again, { deletedApis: [], ...nothing, buckets: [], deletedUserPools: [] });
  });
});

test('destroy --all keeps a bucket with objects unless forced', async () => {
  await withEdge(async (edge, clients) => {
    const declaration = declare(edge, '127.0.0.1:50101');
    await deploy(clients, declaration, zip('{}'));
    await clients.s3.send(new PutObjectCommand({ Bucket: 'ddn-in-bucket', Key: 'a.tif', Body: 'x' }));
    const kept = await destroy(clients, declaration, { all: true });
    assert.equal(kept.functionDeleted, true);
    assert.deepEqual(
      kept.buckets.map((b) => [b.name, b.deleted]),
      [
        ['ddn-in-bucket', false],
        ['ddn-out-bucket', true],
      ],
    );
    const forced = await destroy(clients, declaration, { all: true, force: true });
    assert.deepEqual(
      forced.buckets.map((b) => [b.name, b.deleted]),
      [
        ['ddn-in-bucket', true],
        ['ddn-out-bucket', false],
      ],
    );
    const state = await readTarget(clients, declaration);
    assert.equal(state.function, undefined);
    assert.deepEqual(state.apis, []);
    assert.equal(state.buckets['ddn-in-bucket'].exists, false);
  });
});

test('sign-in on the edge: pool, client and JWT authorizer made once; routes guarded; destroy --all removes the pool', async () => {
  await withEdge(async (edge, clients) => {
    const declaration = signInDeclaration(edge);
    const code = zip('{}');
    const first = await deploy(clients, declaration, code);
    const auth = first.result!.auth!;
    assert.equal(auth.issuer, `${edge.url}/${auth.userPoolId}`);
    assert.deepEqual((await deploy(clients, declaration, code, { planOnly: true })).plan.changes, []);

    const { Items: authorizers } = await clients.apigw.send(new GetAuthorizersCommand({ ApiId: first.result!.apiId }));
    assert.equal(authorizers?.length, 1);
    assert.deepEqual(authorizers[0].JwtConfiguration, { Issuer: auth.issuer, Audience: [auth.clientId] });
    const { Items: routes } = await clients.apigw.send(new GetRoutesCommand({ ApiId: first.result!.apiId }));
    const guarded = Object.fromEntries(
      routes!.map((r) => [r.RouteKey, r.AuthorizationType === 'JWT' ? r.AuthorizerId : 'NONE']),
    );
    const id = authorizers[0].AuthorizerId;
    assert.deepEqual(guarded, {
      'GET /presign': id,
      'POST /presign': id,
      'GET /ping': 'NONE',
      'POST /invocations': id,
    });
    const client = await clients.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: auth.userPoolId, ClientId: auth.clientId }),
    );
    assert.equal(client.UserPoolClient?.ClientSecret, undefined);
    assert.deepEqual(client.UserPoolClient?.ExplicitAuthFlows?.sort(), [
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
    ]);

    // Sign-in off again: the routes open; the pool stays until destroy --all.
    const open = buildDeclaration(edge.config, {
      albDns: '127.0.0.1:50101',
      s3Endpoint: edge.url,
      placeholderRole: true,
      accessLog: ACCESS_LOG,
    });
    const opened = await deploy(clients, open, code);
    assert.deepEqual(
      opened.plan.changes.map((c) => c.kind),
      ['updateRoute', 'updateRoute', 'updateRoute', 'updateStage'],
    );
    const { Items: after } = await clients.apigw.send(new GetRoutesCommand({ ApiId: first.result!.apiId }));
    assert.ok(after!.every((r) => (r.AuthorizationType ?? 'NONE') === 'NONE'));

    const destroyed = await destroy(clients, declaration, { all: true, force: true });
    assert.deepEqual(destroyed.deletedUserPools, [auth.userPoolId]);
    assert.deepEqual((await clients.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }))).UserPools, []);
  });
});

test('DDN_COGNITO_USER_POOL_ID: the named pool is used, never created nor deleted; an unknown one is an error', async () => {
  await withEdge(async (edge, clients) => {
    const pool = (await clients.cognito.send(new CreateUserPoolCommand({ PoolName: 'company-users' }))).UserPool!.Id!;
    const declaration = signInDeclaration(edge, { DDN_COGNITO_USER_POOL_ID: pool });
    const { plan, result } = await deploy(clients, declaration, zip('{}'));
    assert.ok(!plan.changes.some((c) => c.kind === 'createUserPool'));
    assert.equal(result!.auth!.userPoolId, pool);
    const destroyed = await destroy(clients, declaration, { all: true, force: true });
    assert.deepEqual(destroyed.deletedUserPools, []);
    await clients.cognito.send(new DescribeUserPoolCommand({ UserPoolId: pool }));

    const missing = signInDeclaration(edge, { DDN_COGNITO_USER_POOL_ID: 'us-east-1_Nope12345' });
    await assert.rejects(
      deploy(clients, missing, zip('{}'), { planOnly: true }),
      /user pool us-east-1_Nope12345 does not exist: fix DDN_COGNITO_USER_POOL_ID/,
    );
  });
});

/** As ddn up sets it: the edge writes the stage's access log to a file (no CloudWatch Logs group to create). */
const ACCESS_LOG = {
  destinationArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ddn/ddn-api',
  format: '{"requestId":"$context.requestId"}',
};

function edgeVars(edge: TestEdge): Record<string, string> {
  return { DDN_DATA_DIR: edge.dataDir };
}

/** The declaration `ddn up` makes with sign-in on (DDN_AUTH=cognito plus `vars`). */
function signInDeclaration(edge: TestEdge, vars: Record<string, string> = {}): Declaration {
  return buildDeclaration(loadConfig({ ...edgeVars(edge), DDN_AUTH: 'cognito', ...vars }), {
    albDns: '127.0.0.1:50101',
    s3Endpoint: edge.url,
    placeholderRole: true,
    cognitoIssuerBase: edge.url,
    accessLog: ACCESS_LOG,
  });
}
