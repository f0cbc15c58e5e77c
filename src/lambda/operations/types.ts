import type { EdgeRequest } from '../../edge/types.ts';
import type { RestJsonHandler } from '../../protocols/rest-json-operations.ts';
import type { LambdaCodeStore } from '../../state/lambda-code.ts';
import type { LambdaMetadata, StoredFunction } from '../../state/lambda-metadata.ts';
import type { LambdaFunctionUrls } from '../../state/lambda-function-urls.ts';
import type { FunctionLayer, LambdaLayers } from '../../state/lambda-layers.ts';
import type { FunctionRef } from '../arn.ts';
import type { CodeInput } from '../code-source.ts';
import type { FunctionLifecycle } from '../lifecycle.ts';
import type { LambdaInvoker } from '../invoker.ts';
import type { LAMBDA_OPERATIONS } from '../model-operations.ts';

/** An operation name of botocore's lambda model. */
export type LambdaOperation = (typeof LAMBDA_OPERATIONS)[number]['name'];

/** What the Lambda API's handlers work with. */
export interface LambdaContext extends Pick<LambdaInvoker, 'invoke'> {
  readonly metadata: LambdaMetadata;
  readonly code: LambdaCodeStore;
  readonly functionUrls: LambdaFunctionUrls;
  readonly layers: LambdaLayers;
  readonly region: string;
  readonly accountId: string;
  /** The edge's URL as clients reach it. */
  readonly publicUrl: string;
  /** The function a reference names, or ResourceNotFoundException. */
  find(ref: FunctionRef, qualifier?: string | null): StoredFunction;
  /** The FunctionConfiguration wire shape of `fn`. */
  configuration(fn: StoredFunction): Record<string, unknown>;
  /**
   * The zip a request's code names (inline, or an object of the edge's S3); bad input is Lambda's error, which names
   * `operation`.
   */
  deploymentPackage(code: CodeInput, operation: string): Promise<Buffer>;
  /**
   * Refuses function code (a zip, or a stored one's blob id) whose unpacked size with its layers' is over Lambda's
   * limit; each alone is checked when it is stored.
   */
  checkSizeWithLayers(code: Buffer | string, layers: readonly FunctionLayer[] | undefined): Promise<void>;
  /** Stores a deployment package; a bad zip is InvalidParameterValueException. */
  storeCode(zip: Buffer): Promise<{ codeBlob: string; codeSha256: string; codeSize: number }>;
  /** The functions' states (Pending, InProgress) after a create or an update. */
  readonly lifecycle: FunctionLifecycle;
  /** Ends the warm environments of a function ($LATEST; its versions' too when `withVersions`). */
  retirePool(name: string, withVersions?: boolean): void;
  /** Refuses a role Lambda could not assume: a role of the local account that IAM does not have. */
  checkRole(role: string | undefined): void;
}

export type LambdaHandler = RestJsonHandler<LambdaContext, EdgeRequest>;

/** Handlers by operation name; the service answers 501 NotImplemented for the model's other operations. */
export type LambdaHandlers = Partial<Record<LambdaOperation, LambdaHandler>>;
