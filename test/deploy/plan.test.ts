import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import {
  awsApiEndpoint,
  buildDeclaration,
  DEFAULT_BUCKET_CORS,
  type Declaration,
} from '../../src/deploy/declaration.ts';
import { computePlan, describeChange, PlanError } from '../../src/deploy/plan.ts';
import type { TargetState } from '../../src/deploy/target.ts';
import { ACCOUNT, CODE, deployedState } from './deployed-state.ts';

function declare(vars: Record<string, string> = {}, placeholderRole = true): Declaration {
  return buildDeclaration(loadConfig({ DDN_ALB_DNS: '10.0.0.5:50101', AWS_REGION: 'eu-west-1', ...vars }), {
    placeholderRole,
  });
}

test('an empty target gets everything, in dependency order', () => {
  const declaration = declare();
  const empty: TargetState = { accountId: ACCOUNT, buckets: {}, apis: [] };
  const plan = computePlan(declaration, empty, CODE);
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    [
      'createBucket',
      'putBucketCors',
      'createBucket',
      'putBucketCors',
      'createRole',
      'createFunction',
      'createApi',
      'createIntegration',
      'createIntegration',
      'createRoute',
      'createRoute',
      'createRoute',
      'createRoute',
      'createStage',
      'addPermission',
    ],
  );
  const integrations = plan.changes.filter((c) => c.kind === 'createIntegration').map((c) => c.integrationUri);
  assert.deepEqual(integrations, [
    `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:ddn-presign-lambda`,
    'http://10.0.0.5:50101',
  ]);
  assert.equal(plan.apiId, undefined);
});

test('a target that matches the declaration plans nothing', () => {
  const declaration = declare();
  const plan = computePlan(declaration, deployedState(declaration), CODE);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.otherRoutes, []);
  assert.equal(plan.apiId, 'abc1234567');
});

test('a changed DDN_ALB_DNS is one integration update of the URI', () => {
  const before = declare();
  const plan = computePlan(
    declare({ DDN_ALB_DNS: 'my-alb-123.eu-west-1.elb.amazonaws.com' }),
    deployedState(before),
    CODE,
  );
  assert.deepEqual(plan.changes, [
    {
      kind: 'updateIntegration',
      integration: 'backend',
      integrationId: 'int0002',
      fields: [
        { field: 'integrationUri', from: 'http://10.0.0.5:50101', to: 'http://my-alb-123.eu-west-1.elb.amazonaws.com' },
      ],
    },
  ]);
  assert.match(
    describeChange(plan.changes[0]),
    /backend integration int0002: integrationUri http:\/\/10\.0\.0\.5:50101 -> http:\/\/my-alb-123/,
  );
});

test('a route pointing at the wrong integration is re-pointed; foreign routes are listed and kept', () => {
  const declaration = declare();
  const state = deployedState(declaration);
  state.api!.routes[2].target = 'integrations/int0001';
  state.api!.routes.push({ routeId: 'extra01', routeKey: 'GET /extra', target: 'integrations/int0002' });
  const plan = computePlan(declaration, state, CODE);
  assert.deepEqual(plan.changes, [
    {
      kind: 'updateRoute',
      routeKey: 'GET /ping',
      routeId: 'route02',
      integration: 'backend',
      from: 'integrations/int0001',
      authorizationType: 'NONE',
    },
  ]);
  assert.deepEqual(plan.otherRoutes, [{ routeKey: 'GET /extra', target: 'integrations/int0002' }]);
});

test('a stale permission source ARN, new code and a changed environment are updated', () => {
  const declaration = declare({ DDN_S3_PRESIGN_EXPIRES: '600' });
  const state = deployedState(declare());
  state.permission = { sourceArn: `arn:aws:execute-api:eu-west-1:${ACCOUNT}:otherapi00/*/*` };
  const plan = computePlan(declaration, state, 'bmV3aGFzaA==');
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    ['updateFunctionCode', 'updateFunctionConfiguration', 'replacePermission'],
  );
  const config = plan.changes[1];
  assert.ok(config.kind === 'updateFunctionConfiguration');
  assert.deepEqual(
    config.fields.map((f) => f.field),
    ['environment'],
  );
  const permission = plan.changes[2];
  assert.ok(permission.kind === 'replacePermission');
  assert.equal(permission.to, `arn:aws:execute-api:eu-west-1:${ACCOUNT}:abc1234567/*/*`);
});

test('missing or different bucket CORS is set again', () => {
  const declaration = declare();
  const state = deployedState(declaration);
  state.buckets['ddn-in-bucket'].cors = [];
  state.buckets['ddn-out-bucket'].cors = [{ ...DEFAULT_BUCKET_CORS[0], AllowedMethods: ['GET'] }];
  const plan = computePlan(declaration, state, CODE);
  assert.deepEqual(plan.changes, [
    { kind: 'putBucketCors', bucket: 'ddn-in-bucket' },
    { kind: 'putBucketCors', bucket: 'ddn-out-bucket' },
  ]);
});

test('several APIs of the declared name: the plan refuses and lists their ids', () => {
  const declaration = declare();
  const state: TargetState = {
    accountId: ACCOUNT,
    buckets: {},
    apis: [{ apiId: 'aaaaaaaaaa' }, { apiId: 'bbbbbbbbbb' }],
  };
  assert.throws(
    () => computePlan(declaration, state, CODE),
    (err: Error) =>
      err instanceof PlanError && /aaaaaaaaaa, bbbbbbbbbb/.test(err.message) && /ddn destroy/.test(err.message),
  );
});

test('AWS fields: the configured role ARN is declared and diffed; without one no role is made up', () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/presign-exec`;
  const withRole = declare({ DDN_LAMBDA_ROLE: role }, false);
  assert.equal(withRole.function.role(ACCOUNT), role);
  assert.equal(withRole.function.environment.AWS_ENDPOINT_URL_S3, undefined);
  const state = deployedState(declare());
  const plan = computePlan(withRole, state, CODE);
  assert.deepEqual(plan.changes, [
    {
      kind: 'updateFunctionConfiguration',
      name: 'ddn-presign-lambda',
      fields: [{ field: 'role', from: `arn:aws:iam::${ACCOUNT}:role/ddn-presign-lambda-role`, to: role }],
    },
  ]);
  const noRole = declare({}, false);
  assert.equal(noRole.function.role(ACCOUNT), undefined);
  assert.deepEqual(computePlan(noRole, state, CODE).changes, []);
});

test('AWS endpoint: the API endpoint of an HTTP API on AWS', () => {
  assert.equal(awsApiEndpoint('k3m9x0abcd', 'eu-west-1'), 'https://k3m9x0abcd.execute-api.eu-west-1.amazonaws.com');
  const declaration = declare();
  assert.equal(
    computePlan(declaration, deployedState(declaration), CODE).apiEndpoint,
    'https://abc1234567.execute-api.eu-west-1.amazonaws.com',
  );
});

test('the local declaration points the function at the edge and sets the access log', () => {
  const declaration = buildDeclaration(loadConfig({}), {
    albDns: '127.0.0.1:50101',
    s3Endpoint: 'http://127.0.0.1:4566',
    accessLog: {
      destinationArn: 'arn:aws:logs:us-east-1:000000000000:log-group:ddn',
      format: '{"requestId":"$context.requestId"}',
    },
    placeholderRole: true,
  });
  assert.equal(declaration.function.environment.AWS_ENDPOINT_URL_S3, 'http://127.0.0.1:4566');
  assert.equal(declaration.api.integrations.backend.integrationUri('000000000000'), 'http://127.0.0.1:50101');
  const state = deployedState(declaration);
  state.api!.stages[0].accessLogSettings = undefined;
  const plan = computePlan(declaration, state, CODE);
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    ['updateStage'],
  );
});

test('without DDN_ALB_DNS there is no declaration, and the message says what to set', () => {
  assert.throws(() => buildDeclaration(loadConfig({})), /DDN_ALB_DNS is not set/);
});
