import { AttachRolePolicyCommand, CreateRoleCommand, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { DeclaredRole } from './declaration.ts';

/** Creates a declared role with its managed and inline policies; returns its ARN. */
export async function createRole(iam: IAMClient, role: DeclaredRole): Promise<string> {
  const created = await iam.send(
    new CreateRoleCommand({ RoleName: role.name, AssumeRolePolicyDocument: role.trustPolicy }),
  );
  for (const arn of role.managedPolicyArns)
    await iam.send(new AttachRolePolicyCommand({ RoleName: role.name, PolicyArn: arn }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: role.name,
      PolicyName: role.inlinePolicy.name,
      PolicyDocument: role.inlinePolicy.document,
    }),
  );
  return created.Role!.Arn!;
}
