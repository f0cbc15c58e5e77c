import { AwsError } from '../edge/errors.ts';
import { requireBucket, send, type S3Call, type S3Context } from './context.ts';
import { receiveSmallBody } from './ingest.ts';
import { document, el, malformedXml, parseXmlBody, wrap } from './xml.ts';

/**
 * Bucket settings that are stored and answered but change nothing else on the edge: public access block,
 * transfer acceleration, policy (checked as JSON, not enforced), default encryption and ownership controls.
 */
type BucketCall = S3Call & { bucket: string };

async function readXml(ctx: S3Context, call: BucketCall, root: string): Promise<Record<string, unknown>> {
  requireBucket(ctx, call.bucket);
  const { body } = await receiveSmallBody(call.request, 64 * 1024);
  return parseXmlBody(body, root);
}

function booleanField(doc: Record<string, unknown>, name: string): boolean {
  const value = doc[name];
  if (value === undefined) return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw malformedXml();
}

// Public access block

const PUBLIC_ACCESS_FIELDS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'];

export async function putPublicAccessBlock(ctx: S3Context, call: BucketCall): Promise<void> {
  const doc = await readXml(ctx, call, 'PublicAccessBlockConfiguration');
  const config = Object.fromEntries(PUBLIC_ACCESS_FIELDS.map((name) => [name, booleanField(doc, name)]));
  ctx.meta.setBucketSetting(call.bucket, 'publicAccessBlock', JSON.stringify(config));
  send(call.request, 200);
}

export function getPublicAccessBlock(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  const stored = ctx.meta.getBucketSetting(call.bucket, 'publicAccessBlock');
  if (stored === undefined) {
    throw new AwsError(
      404,
      'NoSuchPublicAccessBlockConfiguration',
      'The public access block configuration was not found',
      { BucketName: call.bucket },
    );
  }
  const config = JSON.parse(stored) as Record<string, boolean>;
  send(
    call.request,
    200,
    {},
    document(
      'PublicAccessBlockConfiguration',
      PUBLIC_ACCESS_FIELDS.map((name) => el(name, config[name] ?? false)).join(''),
    ),
  );
}

export function deletePublicAccessBlock(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  ctx.meta.setBucketSetting(call.bucket, 'publicAccessBlock', undefined);
  send(call.request, 204);
}

// Transfer acceleration

export async function putBucketAccelerateConfiguration(ctx: S3Context, call: BucketCall): Promise<void> {
  const doc = await readXml(ctx, call, 'AccelerateConfiguration');
  if (doc.Status !== 'Enabled' && doc.Status !== 'Suspended') throw malformedXml();
  if (call.bucket.includes('.')) {
    throw new AwsError(
      400,
      'InvalidRequest',
      'S3 Transfer Acceleration is not supported for buckets with periods (.) in their names',
    );
  }
  ctx.meta.setBucketSetting(call.bucket, 'accelerate', doc.Status);
  send(call.request, 200);
}

export function getBucketAccelerateConfiguration(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  send(
    call.request,
    200,
    {},
    document('AccelerateConfiguration', el('Status', ctx.meta.getBucketSetting(call.bucket, 'accelerate'))),
  );
}

// Policy

const POLICY_EFFECTS = ['Allow', 'Deny'];

function malformedPolicy(message: string): AwsError {
  return new AwsError(400, 'MalformedPolicy', message);
}

/** Checks a bucket policy's shape as S3 does before storing it; its statements are not evaluated. */
export function validatePolicy(text: string): void {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy) || !text.trimStart().startsWith('{')) {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  const { Statement: statement, Version: version } = policy as Record<string, unknown>;
  if (version !== undefined && version !== '2012-10-17' && version !== '2008-10-17') {
    throw malformedPolicy('Policy has an invalid version');
  }
  if (statement === undefined) throw malformedPolicy('Missing required field Statement');
  const statements = Array.isArray(statement) ? (statement as unknown[]) : [statement];
  if (statements.length === 0) throw malformedPolicy('Could not parse the policy: Statement is empty!');
  for (const s of statements) {
    if (typeof s !== 'object' || s === null) throw malformedPolicy('Statement is not an object');
    const fields = s as Record<string, unknown>;
    if (fields.Effect === undefined) throw malformedPolicy('Missing required field Effect');
    if (typeof fields.Effect !== 'string' || !POLICY_EFFECTS.includes(fields.Effect)) {
      throw malformedPolicy(`Invalid effect: ${JSON.stringify(fields.Effect)}`);
    }
    if (fields.Principal === undefined && fields.NotPrincipal === undefined)
      throw malformedPolicy('Missing required field Principal');
    if (fields.Action === undefined && fields.NotAction === undefined)
      throw malformedPolicy('Missing required field Action');
    if (fields.Resource === undefined && fields.NotResource === undefined)
      throw malformedPolicy('Missing required field Resource');
  }
}

export async function putBucketPolicy(ctx: S3Context, call: BucketCall): Promise<void> {
  requireBucket(ctx, call.bucket);
  const { body } = await receiveSmallBody(call.request, 20 * 1024);
  const text = body.toString('utf8');
  validatePolicy(text);
  ctx.meta.setBucketSetting(call.bucket, 'policy', text);
  send(call.request, 204);
}

export function getBucketPolicy(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  const policy = ctx.meta.getBucketSetting(call.bucket, 'policy');
  if (policy === undefined)
    throw new AwsError(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist', { BucketName: call.bucket });
  send(call.request, 200, { 'content-type': 'application/json' }, policy);
}

export function deleteBucketPolicy(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  ctx.meta.setBucketSetting(call.bucket, 'policy', undefined);
  send(call.request, 204);
}

// Default encryption: every bucket encrypts with S3-managed keys (AES256), as S3 does since 2023.

interface EncryptionRule {
  algorithm: string;
  bucketKeyEnabled: boolean;
}

export async function putBucketEncryption(ctx: S3Context, call: BucketCall): Promise<void> {
  const doc = await readXml(ctx, call, 'ServerSideEncryptionConfiguration');
  const rule = doc.Rule;
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw malformedXml();
  const byDefault = (rule as Record<string, unknown>).ApplyServerSideEncryptionByDefault;
  if (typeof byDefault !== 'object' || byDefault === null) throw malformedXml();
  const algorithm = (byDefault as Record<string, unknown>).SSEAlgorithm;
  if (algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse') {
    throw new AwsError(
      501,
      'NotImplemented',
      'A header or query you provided requested a function that is not implemented: KMS encryption.',
    );
  }
  if (algorithm !== 'AES256') throw malformedXml();
  const stored: EncryptionRule = {
    algorithm,
    bucketKeyEnabled: booleanField(rule as Record<string, unknown>, 'BucketKeyEnabled'),
  };
  ctx.meta.setBucketSetting(call.bucket, 'encryption', JSON.stringify(stored));
  send(call.request, 200);
}

export function getBucketEncryption(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  const stored = ctx.meta.getBucketSetting(call.bucket, 'encryption');
  const rule: EncryptionRule = stored
    ? (JSON.parse(stored) as EncryptionRule)
    : { algorithm: 'AES256', bucketKeyEnabled: false };
  const inner =
    wrap('ApplyServerSideEncryptionByDefault', el('SSEAlgorithm', rule.algorithm)) +
    el('BucketKeyEnabled', rule.bucketKeyEnabled);
  send(call.request, 200, {}, document('ServerSideEncryptionConfiguration', wrap('Rule', inner)));
}

/** S3 goes back to its default (SSE-S3) rather than to no encryption. */
export function deleteBucketEncryption(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  ctx.meta.setBucketSetting(call.bucket, 'encryption', undefined);
  send(call.request, 204);
}

// Ownership controls: new buckets are BucketOwnerEnforced, as on S3; a deleted setting answers 404.

const OBJECT_OWNERSHIP = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'];
const OWNERSHIP_DELETED = '';

export function checkObjectOwnership(value: string | undefined): string | undefined {
  if (value !== undefined && !OBJECT_OWNERSHIP.includes(value)) {
    throw new AwsError(400, 'InvalidArgument', 'Invalid x-amz-object-ownership header', {
      ArgumentName: 'x-amz-object-ownership',
      ArgumentValue: value,
    });
  }
  return value;
}

export async function putBucketOwnershipControls(ctx: S3Context, call: BucketCall): Promise<void> {
  const doc = await readXml(ctx, call, 'OwnershipControls');
  const rule = doc.Rule;
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw malformedXml();
  const ownership = (rule as Record<string, unknown>).ObjectOwnership;
  if (typeof ownership !== 'string' || !OBJECT_OWNERSHIP.includes(ownership)) throw malformedXml();
  ctx.meta.setBucketSetting(call.bucket, 'ownershipControls', ownership);
  send(call.request, 200);
}

export function getBucketOwnershipControls(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  const ownership = ctx.meta.getBucketSetting(call.bucket, 'ownershipControls') ?? 'BucketOwnerEnforced';
  if (ownership === OWNERSHIP_DELETED) {
    throw new AwsError(404, 'OwnershipControlsNotFoundError', 'The bucket ownership controls were not found', {
      BucketName: call.bucket,
    });
  }
  send(call.request, 200, {}, document('OwnershipControls', wrap('Rule', el('ObjectOwnership', ownership))));
}

export function deleteBucketOwnershipControls(ctx: S3Context, call: BucketCall): void {
  requireBucket(ctx, call.bucket);
  ctx.meta.setBucketSetting(call.bucket, 'ownershipControls', OWNERSHIP_DELETED);
  send(call.request, 204);
}
