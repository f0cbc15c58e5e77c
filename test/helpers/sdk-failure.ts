import assert from 'node:assert/strict';

/** The error an AWS SDK v3 call fails with: its name, message and HTTP status; the test fails if the call succeeds. */
export async function sdkFailure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata.httpStatusCode };
  }
  assert.fail('expected the call to fail');
}
