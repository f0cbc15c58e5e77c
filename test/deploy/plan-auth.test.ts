import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { BILLING_ACCESS_LOG_FORMAT, buildDeclaration, type Declaration } from '../../src/deploy/declaration.ts';
import { computePlan, describeChange, PlanError } from '../../src/deploy/plan.ts';
import { ACCOUNT, CLIENT, CODE, deployedState, POOL } from './deployed-state.ts';

const AWS_VARS = {
  DDN_ALB_DNS: '10.0.0.5:50101',
  AWS_REGION: 'eu-west-1',
  DDN_LAMBDA_ROLE: `arn:aws:iam::${ACCOUNT}:role/presign`,
};

function declare(vars: Record<string, string> = {}): Declaration {
  return buildDeclaration(loadConfig({ ...AWS_VARS, DDN_AUTH: 'cognito', ...vars }));
}

test('sign-in on an empty AWS target: pool, client and log group first, the authorizer before the routes it guards', () => {
  const declaration = declare();
  const plan = computePlan(declaration, { accountId: ACCOUNT, buckets: {}, apis: [] }, CODE);
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    [
      'createBucket',
      'putBucketCors',
      'createBucket',
      'putBucketCors',
      'createFunction',
      'createUserPool',
      'createUserPoolClient',
      'createLogGroup',
      'createApi',
      'createIntegration',
      'createIntegration',
      'createAuthorizer',
      'createRoute',
      'createRoute',
      'createRoute',
      'createRoute',
      'createStage',
      'addPermission',
    ],
  );
  const routes = Object.fromEntries(
    plan.changes.flatMap((c) => (c.kind === 'createRoute' ? [[c.routeKey, c.authorizationType]] : [])),
  );
  assert.deepEqual(routes, {
    'GET /presign': 'JWT',
    'POST /presign': 'JWT',
    'GET /ping': 'NONE',
    'POST /invocations': 'JWT',
  });
  const authorizer = plan.changes.find((c) => c.kind === 'createAuthorizer')!;
  assert.match(
    describeChange(authorizer),
    /issuer https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/<new user pool id>/,
  );
  assert.deepEqual(declaration.logGroup, { name: '/ddn/ddn-api' });
  assert.equal(
    declaration.api.stage.accessLogSettings?.destinationArn(ACCOUNT),
    `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/ddn/ddn-api`,
  );
  assert.equal(declaration.api.stage.accessLogSettings?.format, BILLING_ACCESS_LOG_FORMAT);
});

test('the billing format keeps every field of the billing pipeline and adds only responseLatency', () => {
  const billing =
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","user":"$context.authorizer.claims.cognito:username","sub":"$context.authorizer.claims.sub","requestTime":$context.requestTimeEpoch,"httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":$context.responseLength}';
  assert.equal(BILLING_ACCESS_LOG_FORMAT, `${billing.slice(0, -1)},"responseLatency":$context.responseLatency}`);
});

test('a target with sign-in deployed plans nothing', () => {
  const declaration = declare();
  const plan = computePlan(declaration, deployedState(declaration), CODE);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.auth, { userPoolId: POOL, clientId: CLIENT, authorizerId: 'auth01' });
});

test('sign-in turned on over an open deployment: new pool, client and authorizer; three routes move behind it', () => {
  const open = buildDeclaration(loadConfig(AWS_VARS));
  const state = deployedState(declare());
  state.api!.routes = open.api.routes.map((r, i) => ({
    routeId: `route0${i}`,
    routeKey: r.routeKey,
    target: `integrations/${r.integration === 'lambda' ? 'int0001' : 'int0002'}`,
  }));
  state.api!.authorizers = [];
  state.auth = { userPools: [], clients: [] };
  const plan = computePlan(declare(), state, CODE);
  assert.deepEqual(
    plan.changes.map((c) => (c.kind === 'updateRoute' ? `${c.kind} ${c.routeKey}` : c.kind)),
    [
      'createUserPool',
      'createUserPoolClient',
      'createAuthorizer',
      'updateRoute GET /presign',
      'updateRoute POST /presign',
      'updateRoute POST /invocations',
    ],
  );
  assert.match(describeChange(plan.changes[3]), /authorization NONE -> the JWT authorizer/);
});

test('sign-in turned off: the guarded routes are opened again; the pool is left alone', () => {
  const state = deployedState(declare());
  const open = buildDeclaration(loadConfig(AWS_VARS));
  const plan = computePlan(open, state, CODE);
  assert.deepEqual(
    plan.changes.map((c) =>
      c.kind === 'updateRoute' ? `${c.routeKey} ${c.authorizationType} (was ${c.authorizationFrom})` : c.kind,
    ),
    [
      'GET /presign NONE (was JWT auth01)',
      'POST /presign NONE (was JWT auth01)',
      'POST /invocations NONE (was JWT auth01)',
    ],
  );
});

test('a client without the password flow is updated; an authorizer with another audience too', () => {
  const declaration = declare();
  const state = deployedState(declaration);
  state.auth!.clients[0].explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'];
  state.api!.authorizers[0].audience = ['someoneelse'];
  const plan = computePlan(declaration, state, CODE);
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    ['updateUserPoolClient', 'updateAuthorizer'],
  );
  assert.match(describeChange(plan.changes[1]), /audience \["someoneelse"\] -> \["3nkoep4151b7umeggnottc30u9"\]/);
});

test('two pools of the declared name stop the plan with what to do', () => {
  const state = deployedState(declare());
  state.auth = { userPools: [{ id: POOL }, { id: 'eu-west-1_Other0000' }], clients: [] };
  assert.throws(
    () => computePlan(declare(), state, CODE),
    (err: Error) => err instanceof PlanError && /DDN_COGNITO_USER_POOL_ID/.test(err.message),
  );
});

test('locally the issuer is the edge and the access log is the edge file, in the billing format', () => {
  const declaration = buildDeclaration(loadConfig({ DDN_AUTH: 'cognito' }), {
    albDns: '127.0.0.1:50101',
    s3Endpoint: 'http://127.0.0.1:4566',
    cognitoIssuerBase: 'http://127.0.0.1:4566/',
    accessLog: {
      destinationArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ddn/ddn-api',
      format: '{"requestId":"$context.requestId"}',
    },
    placeholderRole: true,
  });
  assert.equal(declaration.logGroup, undefined);
  assert.equal(declaration.auth?.authorizer.issuer('us-east-1_abc'), 'http://127.0.0.1:4566/us-east-1_abc');
  assert.deepEqual(
    declaration.api.stage.accessLogSettings && {
      ...declaration.api.stage.accessLogSettings,
      destinationArn: declaration.api.stage.accessLogSettings.destinationArn('x'),
    },
    {
      destinationArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ddn/ddn-api',
      format: BILLING_ACCESS_LOG_FORMAT,
    },
  );
});

test('without sign-in nothing of it is declared', () => {
  const declaration = buildDeclaration(loadConfig({ DDN_ALB_DNS: '10.0.0.5:50101' }));
  assert.equal(declaration.auth, undefined);
  assert.equal(declaration.logGroup, undefined);
  assert.ok(declaration.api.routes.every((r) => r.authorizationType === 'NONE'));
});
