// Every operation of botocore's lambda model is implemented or answers 501 NotImplemented in rest-json, naming it;
// an unimplemented operation aimed at a real function changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddPermissionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { isNotImplemented, loadServiceModel, sendSigned, walkOperations } from '../helpers/botocore-walk.ts';
import { awsFails, clients, sdkFunction } from '../apigw/helpers.ts';

/** The operations the edge implements; the walk proves every other one is 501. */
const IMPLEMENTED = new Set([
  'CreateFunction',
  'ListFunctions',
  'GetFunction',
  'GetFunctionConfiguration',
  'DeleteFunction',
  'UpdateFunctionConfiguration',
  'UpdateFunctionCode',
  'Invoke',
  'AddPermission',
  'RemovePermission',
  'GetPolicy',
  'TagResource',
  'UntagResource',
  'ListTags',
  'PutFunctionConcurrency',
  'GetFunctionConcurrency',
  'DeleteFunctionConcurrency',
  'GetAccountSettings',
  'PublishVersion',
  'ListVersionsByFunction',
  'CreateAlias',
  'GetAlias',
  'UpdateAlias',
  'DeleteAlias',
  'ListAliases',
  'PutFunctionEventInvokeConfig',
  'GetFunctionEventInvokeConfig',
  'UpdateFunctionEventInvokeConfig',
  'DeleteFunctionEventInvokeConfig',
  'ListFunctionEventInvokeConfigs',
  'CreateFunctionUrlConfig',
  'GetFunctionUrlConfig',
  'UpdateFunctionUrlConfig',
  'DeleteFunctionUrlConfig',
  'ListFunctionUrlConfigs',
  'PublishLayerVersion',
  'GetLayerVersion',
  'GetLayerVersionByArn',
  'ListLayers',
  'ListLayerVersions',
  'DeleteLayerVersion',
  'GetLayerVersionPolicy',
  'AddLayerVersionPermission',
  'RemoveLayerVersionPermission',
]);

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
});
after(async () => {
  await edge.close();
});

async function snapshot(name: string) {
  const { lambda } = clients(edge);
  const strip = <T extends { $metadata?: unknown }>({ $metadata: _m, ...rest }: T) => rest;
  return {
    fn: strip(await lambda.send(new GetFunctionCommand({ FunctionName: name }))),
    policy: strip(await lambda.send(new GetPolicyCommand({ FunctionName: name }))),
    list: strip(await lambda.send(new ListFunctionsCommand({}))),
  };
}

test('lambda: every operation of the model is implemented or 501 NotImplemented naming it; nothing changes the function', async () => {
  const name = 'walked';
  await sdkFunction(edge, name, 'export const handler = async () => { throw new Error("must not run"); };');
  const { lambda } = clients(edge);
  await lambda.send(
    new AddPermissionCommand({
      FunctionName: name,
      StatementId: 'keep',
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
    }),
  );
  const before = await snapshot(name);
  const model = loadServiceModel('lambda');
  assert.equal(model.operations.length, 85);
  const real = { FunctionName: name, StatementId: 'keep', Resource: before.fn.Configuration!.FunctionArn! };
  // Unimplemented operations aim at the real function (a DELETE that fell through would delete it); implemented
  // ones at placeholders, so that they answer without changing anything.
  const answers = await walkOperations(edge, model, model.operations, (op) => (IMPLEMENTED.has(op.name) ? {} : real));
  for (const a of answers) {
    const where = `${a.operation}: ${a.request.method} ${a.request.path} -> ${a.status} ${a.body.slice(0, 200)}`;
    if (IMPLEMENTED.has(a.operation)) {
      assert.ok(a.status < 500 && !isNotImplemented(a), where);
      assert.notEqual(a.error?.code, 'UnknownOperationException', where);
      continue;
    }
    assert.ok(isNotImplemented(a), where);
    assert.match(a.contentType, /^application\/json/, where);
    assert.equal(a.error!.message, `The lambda operation ${a.operation} is not implemented by the local edge.`, where);
  }
  assert.equal(answers.filter((a) => !IMPLEMENTED.has(a.operation)).length, 85 - IMPLEMENTED.size);
  assert.deepEqual(await snapshot(name), before);
});

test('lambda: the aws CLI reads NotImplemented (botocore rest-json parser)', async () => {
  const signing = await awsFails(edge, ['lambda', 'list-code-signing-configs']);
  assert.match(
    signing.stderr,
    /\(NotImplemented\) when calling the ListCodeSigningConfigs operation: The lambda operation ListCodeSigningConfigs is not implemented/,
  );
});

test('lambda: a path of no operation is 404 UnknownOperationException; a bad % escape is 400 InvalidParameterValueException', async () => {
  const model = loadServiceModel('lambda');
  const cases: Array<[string, string, number, string]> = [
    ['GET', '/2015-03-31/nothing', 404, 'UnknownOperationException'],
    ['PATCH', '/2015-03-31/functions/f', 404, 'UnknownOperationException'],
    ['GET', '/2015-03-31/functions/%E0%A4%A', 400, 'InvalidParameterValueException'],
    ['DELETE', '/2015-03-31/functions/f/policy/%zz', 400, 'InvalidParameterValueException'],
  ];
  for (const [method, path, status, code] of cases) {
    const res = await sendSigned(edge, model, { method, path, headers: {}, body: '' });
    assert.equal(res.status, status, `${method} ${path}`);
    assert.equal(res.headers.get('x-amzn-errortype'), code, `${method} ${path}`);
  }
});
