import { IAMClient } from '@aws-sdk/client-iam';
import { executionRole } from '../../src/deploy/declaration.ts';
import { createRole } from '../../src/deploy/role.ts';
import type { EdgeCredentials } from '../../src/state/credentials.ts';

/**
 * Creates the execution role `name` on the edge, as a function's role must exist (Lambda refuses a role of the local
 * account that IAM does not have); returns its ARN. Idempotent.
 */
export async function ensureLambdaRole(
  edge: { url: string; region: string; credentials: EdgeCredentials },
  name: string,
): Promise<string> {
  const iam = new IAMClient({ endpoint: edge.url, region: edge.region, credentials: edge.credentials });
  try {
    return await createRole(iam, executionRole(name, ['*']));
  } catch (err) {
    if ((err as { name?: string }).name !== 'EntityAlreadyExistsException') throw err;
    return `arn:aws:iam::000000000000:role/${name}`;
  } finally {
    iam.destroy();
  }
}
