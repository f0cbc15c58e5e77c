import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PageTokens } from '../../protocols/pagination.ts';
import type { EdgeRequest } from '../../edge/types.ts';
import type { FunctionLayer, StoredLayerVersion } from '../../state/lambda-layers.ts';
import { CODE_PATH } from '../code-server.ts';
import { conflict, invalidParameter, notFound } from '../errors.ts';
import { lambdaTimestamp, parseInput } from '../functions.ts';
import {
  LAYER_VERSION_ARN_PATTERN,
  layerArn,
  layerVersionArn,
  parseLayerName,
  parseLayerVersionArn,
  parseVersionNumber,
  validationError,
} from '../layer-arn.ts';
import { AwsError } from '../../protocols/aws-error.ts';
import { jsonBody } from './body.ts';
import type { LambdaContext, LambdaHandlers } from './types.ts';

/** Lambda's limit on the layers of one function. */
const MAX_FUNCTION_LAYERS = 5;
const LAYER_PAGES = new PageTokens('layers');
const LAYER_VERSION_PAGES = new PageTokens('layer-versions');

// Unconfirmed: the model's Runtime enum is long and grows; any runtime-looking identifier is accepted.
const runtimeName = z.string().regex(/^[a-z][a-z0-9.-]{1,31}$/, 'Member must satisfy enum value set: [Runtime]');
const architecture = z.enum(['x86_64', 'arm64']);

const publishInput = z.object({
  Description: z.string().max(256, 'Member must have length less than or equal to 256').optional(),
  Content: z.object({
    ZipFile: z.string().optional(),
    S3Bucket: z.string().optional(),
    S3Key: z.string().optional(),
    S3ObjectVersion: z.string().optional(),
  }),
  CompatibleRuntimes: z.array(runtimeName).max(15, 'Member must have length less than or equal to 15').optional(),
  LicenseInfo: z.string().max(512, 'Member must have length less than or equal to 512').optional(),
  CompatibleArchitectures: z.array(architecture).max(2, 'Member must have length less than or equal to 2').optional(),
});

const permissionInput = z.object({
  StatementId: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,100}$/, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)'),
  Action: z
    .string()
    .regex(/^lambda:GetLayerVersion$/, 'Member must satisfy regular expression pattern: lambda:GetLayerVersion'),
  Principal: z
    .string()
    .regex(
      /^(\d{12}|\*|arn:aws[a-zA-Z-]*:iam::\d{12}:root)$/,
      'Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root',
    ),
  OrganizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}')
    .optional(),
});

/** Layers: publish, read, list and delete versions, and the versions' permission statements. */
export const layerOperations: LambdaHandlers = {
  async PublishLayerVersion(ctx, request, { LayerName }) {
    const name = ownLayerName(ctx, LayerName);
    const input = parseInput(publishInput, jsonBody(request));
    const stored = await ctx.storeCode(await ctx.deploymentPackage(input.Content, 'PublishLayerVersion'));
    const layer = ctx.layers.publish(
      {
        layerName: name,
        description: input.Description ?? '',
        ...(input.LicenseInfo !== undefined && { licenseInfo: input.LicenseInfo }),
        compatibleRuntimes: input.CompatibleRuntimes ?? [],
        compatibleArchitectures: input.CompatibleArchitectures ?? [],
        createdDate: lambdaTimestamp(),
        ...stored,
      },
      randomUUID(),
    );
    return { status: 201, body: layerVersionBody(ctx, layer) };
  },

  GetLayerVersion(ctx, _request, { LayerName, VersionNumber }) {
    return { status: 200, body: layerVersionBody(ctx, findVersion(ctx, LayerName, VersionNumber, false)) };
  },

  GetLayerVersionByArn(ctx, request) {
    const arn = request.query.get('Arn') ?? '';
    const ref = parseLayerVersionArn(arn);
    if (!ref)
      throw validationError(arn, 'arn', `Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN_PATTERN}`);
    const layer = ownRef(ctx, ref) ? ctx.layers.version(ref.name, ref.version) : undefined;
    if (!layer) throw notFound('The resource you requested does not exist.');
    return { status: 200, body: layerVersionBody(ctx, layer) };
  },

  ListLayers(ctx, request) {
    const { limit, after, filter } = listQuery(request, LAYER_PAGES);
    const layers: Array<Record<string, unknown>> = [];
    let nextMarker: string | undefined;
    for (const name of ctx.layers.layerNames(after)) {
      const latest = ctx.layers.versions(name).find(filter);
      if (!latest) continue;
      if (layers.length === limit) {
        nextMarker = LAYER_PAGES.encode(layers.at(-1)!.LayerName as string);
        break;
      }
      layers.push({
        LayerName: name,
        LayerArn: layerArn(ctx.region, ctx.accountId, name),
        LatestMatchingVersion: versionListItem(ctx, latest),
      });
    }
    return { status: 200, body: { Layers: layers, ...(nextMarker && { NextMarker: nextMarker }) } };
  },

  ListLayerVersions(ctx, request, { LayerName }) {
    const name = ownLayerName(ctx, LayerName);
    const { limit, after, filter } = listQuery(request, LAYER_VERSION_PAGES);
    const before = after === '' ? undefined : Number(after);
    // Unconfirmed: a layer without versions lists none rather than answering ResourceNotFoundException.
    const matching = ctx.layers.versions(name, before).filter(filter);
    const page = matching.slice(0, limit);
    const body: Record<string, unknown> = { LayerVersions: page.map((v) => versionListItem(ctx, v)) };
    if (matching.length > limit) body.NextMarker = LAYER_VERSION_PAGES.encode(page.at(-1)!.version);
    return { status: 200, body };
  },

  async DeleteLayerVersion(ctx, _request, { LayerName, VersionNumber }) {
    const name = ownLayerName(ctx, LayerName);
    const version = parseVersionNumber(VersionNumber);
    const layer = ctx.layers.version(name, version);
    // The model names no ResourceNotFoundException here: deleting a version that is not there succeeds.
    if (!layer || !ctx.layers.deleteVersion(name, version)) return { status: 204 };
    // Functions that use the version keep its content (AWS keeps a copy until no function refers to it).
    await releaseLayerBlobs(ctx, [layer]);
    return { status: 204 };
  },

  AddLayerVersionPermission(ctx, request, { LayerName, VersionNumber }) {
    const layer = findVersion(ctx, LayerName, VersionNumber, true);
    const input = parseInput(permissionInput, jsonBody(request));
    const arn = layerVersionArn(ctx.region, ctx.accountId, layer.layerName, layer.version);
    const statement = JSON.stringify({
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: input.Principal === '*' ? '*' : { AWS: accountRoot(input.Principal) },
      Action: input.Action,
      Resource: arn,
      ...(input.OrganizationId !== undefined && {
        Condition: { StringEquals: { 'aws:PrincipalOrgID': input.OrganizationId } },
      }),
    });
    const next = randomUUID();
    const outcome = ctx.layers.addStatement(layer.layerName, layer.version, input.StatementId, statement, {
      expected: request.query.get('RevisionId') ?? undefined,
      next,
    });
    if (outcome === 'stale') throw layerPreconditionFailed();
    if (outcome === 'exists') {
      throw conflict(
        `The statement id (${input.StatementId}) provided already exists. ` +
          'Please provide a new statement id, or remove the existing statement.',
      );
    }
    return { status: 201, body: { Statement: statement, RevisionId: next } };
  },

  RemoveLayerVersionPermission(ctx, request, { LayerName, VersionNumber, StatementId }) {
    const layer = findVersion(ctx, LayerName, VersionNumber, true);
    const outcome = ctx.layers.removeStatement(layer.layerName, layer.version, StatementId, {
      expected: request.query.get('RevisionId') ?? undefined,
      next: randomUUID(),
    });
    if (outcome === 'stale') throw layerPreconditionFailed();
    if (outcome === 'missing') throw notFound(`Statement ${StatementId} is not found in resource policy.`);
    return { status: 204 };
  },

  GetLayerVersionPolicy(ctx, _request, { LayerName, VersionNumber }) {
    const layer = findVersion(ctx, LayerName, VersionNumber, true);
    const statements = ctx.layers.statements(layer.layerName, layer.version);
    if (statements.length === 0) throw notFound('No policy is associated with the given resource.');
    const policy = {
      Version: '2012-10-17',
      Id: 'default',
      Statement: statements.map((s) => JSON.parse(s.statement) as unknown),
    };
    return {
      status: 200,
      body: { Policy: JSON.stringify(policy), RevisionId: ctx.layers.policyRevision(layer.layerName, layer.version) },
    };
  },
};

/**
 * The layers a function's `Layers` name, checked as Lambda checks them; undefined when the request has none.
 * What is kept of each (its blob) lets the function run after the version is deleted.
 */
export function functionLayers(ctx: LambdaContext, arns: readonly string[] | undefined): FunctionLayer[] | undefined {
  if (arns === undefined) return undefined;
  if (arns.length > MAX_FUNCTION_LAYERS) throw invalidParameter('Cannot reference more than 5 layers.');
  const seen = new Map<string, string>();
  return arns.map((arn) => {
    const ref = parseLayerVersionArn(arn);
    if (!ref) {
      throw validationError(
        `[${arns.join(', ')}]`,
        'layers',
        'Member must satisfy constraint: ' +
          `[Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN_PATTERN}]`,
      );
    }
    if (ref.region !== ctx.region) {
      throw invalidParameter(
        `Layers are not in the same region as the function. Layers are expected to be in region ${ctx.region}.`,
      );
    }
    const layer = ref.accountId === ctx.accountId ? ctx.layers.version(ref.name, ref.version) : undefined;
    if (!layer) throw invalidParameter(`Layer version ${arn} does not exist.`);
    const other = seen.get(ref.name);
    if (other !== undefined) {
      throw invalidParameter(
        'Two different versions of the same layer are not allowed to be referenced in the same function. ' +
          `${other} and ${arn} are versions of the same layer.`,
      );
    }
    seen.set(ref.name, arn);
    return { arn, codeSize: layer.codeSize, codeBlob: layer.codeBlob };
  });
}

/** Removes the archives of `layers` that no layer version, function or function version uses any more. */
export async function releaseLayerBlobs(ctx: LambdaContext, layers: ReadonlyArray<{ codeBlob: string }>) {
  for (const { codeBlob } of layers)
    if (!ctx.layers.blobInUse(codeBlob) && !ctx.metadata.blobInUse(codeBlob)) await ctx.code.remove(codeBlob);
}

/** A layer version that exists, or ResourceNotFoundException (the permission calls name the version's ARN). */
function findVersion(ctx: LambdaContext, layerName: string, versionNumber: string, arnMessage: boolean) {
  const ref = parseLayerName(layerName);
  const version = parseVersionNumber(versionNumber);
  const layer = ownRef(ctx, ref) ? ctx.layers.version(ref.name, version) : undefined;
  if (layer) return layer;
  const arn = layerVersionArn(ref.region ?? ctx.region, ref.accountId ?? ctx.accountId, ref.name, version);
  throw notFound(arnMessage ? `Layer version ${arn} does not exist.` : 'The resource you requested does not exist.');
}

/** The name of a layer of this account and region (a name, or its ARN); another's is not found. */
function ownLayerName(ctx: LambdaContext, layerName: string): string {
  const ref = parseLayerName(layerName);
  if (!ownRef(ctx, ref)) throw notFound('The resource you requested does not exist.');
  return ref.name;
}

function ownRef(ctx: LambdaContext, ref: { region?: string; accountId?: string }): boolean {
  return (ref.region ?? ctx.region) === ctx.region && (ref.accountId ?? ctx.accountId) === ctx.accountId;
}

/** MaxItems (1 to 50), Marker, and the CompatibleRuntime / CompatibleArchitecture filters of the list calls. */
function listQuery(request: EdgeRequest, pages: PageTokens) {
  const raw = request.query.get('MaxItems');
  const limit = raw === null ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
    throw validationError(String(raw), 'maxItems', 'Member must have value between 1 and 50');
  }
  const marker = request.query.get('Marker');
  const after = marker === null ? '' : pages.decode(marker);
  // Unconfirmed: Lambda's exact message for a Marker it did not make.
  if (after === undefined) throw invalidParameter(`Invalid Marker: ${marker}`);
  const runtime = request.query.get('CompatibleRuntime');
  const arch = request.query.get('CompatibleArchitecture');
  if (arch !== null && !architecture.safeParse(arch).success)
    throw validationError(arch, 'compatibleArchitecture', 'Member must satisfy enum value set: [x86_64, arm64]');
  const filter = (v: StoredLayerVersion) =>
    (runtime === null || v.compatibleRuntimes.includes(runtime)) &&
    (arch === null || v.compatibleArchitectures.includes(arch));
  return { limit, after, filter };
}

/** GetLayerVersion's and PublishLayerVersion's answer. */
function layerVersionBody(ctx: LambdaContext, layer: StoredLayerVersion): Record<string, unknown> {
  return {
    Content: {
      Location: `${ctx.publicUrl}${CODE_PATH}/${layer.codeBlob}`,
      CodeSha256: layer.codeSha256,
      CodeSize: layer.codeSize,
    },
    LayerArn: layerArn(ctx.region, ctx.accountId, layer.layerName),
    ...versionListItem(ctx, layer),
  };
}

/** A LayerVersionsListItem: the version without its content. */
function versionListItem(ctx: LambdaContext, layer: StoredLayerVersion): Record<string, unknown> {
  return {
    LayerVersionArn: layerVersionArn(ctx.region, ctx.accountId, layer.layerName, layer.version),
    Version: layer.version,
    Description: layer.description,
    CreatedDate: layer.createdDate,
    ...(layer.compatibleRuntimes.length > 0 && { CompatibleRuntimes: layer.compatibleRuntimes }),
    ...(layer.licenseInfo !== undefined && { LicenseInfo: layer.licenseInfo }),
    ...(layer.compatibleArchitectures.length > 0 && { CompatibleArchitectures: layer.compatibleArchitectures }),
  };
}

function accountRoot(principal: string): string {
  return /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal;
}

function layerPreconditionFailed(): AwsError {
  return new AwsError(
    412,
    'PreconditionFailedException',
    'The Revision Id provided does not match the latest Revision Id. ' +
      'Call the GetLayerPolicy API to retrieve the latest Revision Id',
  );
}
