/** An event built by a service on this edge (API Gateway's payloads): JSON values only. */
export type EventObject = Record<string, unknown>;

export interface InvokeOptions {
  invocationType?: 'RequestResponse' | 'Event' | 'DryRun';
  logType?: 'None' | 'Tail';
  qualifier?: string;
  /** Client context (JSON text) handed to the function as `context.clientContext`. */
  clientContext?: string;
  /** A text payload was made with JSON.stringify (API Gateway's events): it is not parsed again to be checked. */
  payloadIsJson?: boolean;
}

export interface InvokeResult {
  /** 200 for RequestResponse, 202 for Event, 204 for DryRun. */
  statusCode: number;
  /** The function's response payload (JSON text), or the error object for a function error; empty unless 200. */
  payload: string;
  /** Set when the function failed: the body is then AWS's {errorMessage, errorType, stackTrace}. */
  functionError?: 'Unhandled' | 'Handled';
  /** Base64 of the last 4 KB of the log, when logType is Tail. */
  logResult?: string;
  executedVersion: string;
}

/** The narrow interface other services (API Gateway) use to call functions; implemented by the Lambda service. */
export interface LambdaInvoker {
  /**
   * Invokes by name, partial or full ARN; throws AwsError 404 ResourceNotFoundException when there is no such function.
   * `payload` is JSON (bytes or text) or, from a service on this edge, the event object itself, made JSON text only
   * when it is handed to the runtime. Such an object must hold only JSON values, and its caller keeps it under the
   * payload limit (it is not measured).
   */
  invoke(
    functionNameOrArn: string,
    payload: Buffer | string | EventObject,
    options?: InvokeOptions,
  ): Promise<InvokeResult>;
  /** Whether the function's resource policy lets `principal` call lambda:InvokeFunction from `sourceArn` (ArnLike wildcards). */
  isInvokeAllowed(functionNameOrArn: string, principal: string, sourceArn: string): boolean;
}

/**
 * A synchronous invocation of an event made on this edge that answers 'timeout' when the function has not answered
 * within `ms` (the invocation itself runs on, to its own timeout).
 */
export function invokeWithin(
  invoker: LambdaInvoker,
  fn: string,
  event: string | EventObject,
  ms: number,
): Promise<InvokeResult | 'timeout'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms, 'timeout');
    invoker.invoke(fn, event, { payloadIsJson: true }).then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (err: Error) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
