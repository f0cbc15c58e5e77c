// ListFunctions pages with MaxItems/Marker; a Marker it did not make is InvalidParameterValueException, never page 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { startTestEdge, type TestEdge } from '../helpers/edge.ts';
import { aws, awsFails, clients, sdkFunction } from '../apigw/helpers.ts';

let edge: TestEdge;
before(async () => {
  edge = await startTestEdge();
  for (const name of ['page-a', 'page-b', 'page-c'])
    await sdkFunction(edge, name, 'export const handler = async () => ({});');
});
after(async () => {
  await edge.close();
});

test('aws CLI: list-functions --page-size 1 walks every function once; --max-items 1 stops after one', async () => {
  const walked = await aws(edge, ['lambda', 'list-functions', '--page-size', '1']);
  assert.deepEqual(
    (walked.Functions as Array<{ FunctionName: string }>).map((f) => f.FunctionName),
    ['page-a', 'page-b', 'page-c'],
  );
  const one = await aws(edge, ['lambda', 'list-functions', '--max-items', '1']);
  assert.equal(one.Functions.length, 1);
  assert.equal(typeof one.NextToken, 'string', 'the CLI says there is more');
});

test('a Marker the edge did not make is InvalidParameterValueException (SDK and CLI); MaxItems out of range is a ValidationException', async () => {
  const { lambda } = clients(edge);
  const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 1 }));
  for (const Marker of ['bogus', `${first.NextMarker}x`, Buffer.from('page-a').toString('base64url')]) {
    await assert.rejects(
      lambda.send(new ListFunctionsCommand({ Marker })),
      { name: 'InvalidParameterValueException' },
      Marker,
    );
  }
  const bad = await awsFails(edge, ['lambda', 'list-functions', '--marker', 'bogus', '--no-paginate']);
  assert.match(bad.stderr, /\(InvalidParameterValueException\) when calling the ListFunctions operation/);
  await assert.rejects(lambda.send(new ListFunctionsCommand({ MaxItems: 0 })), { name: 'ValidationException' });
});
