import type { AwsError } from '../protocols/aws-error.ts';
import { targetOperation, writeJsonProtocolError } from '../protocols/json.ts';
import { notImplemented } from '../protocols/not-implemented.ts';
import { queryParameters, writeEc2Error, writeQueryError } from '../protocols/query.ts';
import { writeRestJsonError } from '../protocols/rest-json.ts';
import { writeRestXmlError } from '../protocols/rest-xml.ts';
import { SERVICE_PROTOCOLS, type ServiceProtocolEntry } from '../protocols/service-protocols.generated.ts';
import type { EdgeRequest, EdgeService } from './types.ts';

/** A scope name botocore does not know is answered in rest-json, the most common protocol. */
const UNKNOWN_SERVICE: ServiceProtocolEntry = ['rest-json'];

/**
 * A service of AWS that this edge does not serve, named by a signed request's credential scope: after the
 * signature check, every request is 501 NotImplemented naming the operation, in the service's own protocol
 * (from botocore's models, see scripts/gen-service-protocols.py), so that its client can parse the answer.
 */
export class UnservedService implements EdgeService {
  readonly bufferBody = true;
  /** Whether botocore's models know the name. */
  readonly known: boolean;
  private readonly entry: ServiceProtocolEntry;

  constructor(readonly name: string) {
    this.known = Object.hasOwn(SERVICE_PROTOCOLS, name);
    this.entry = this.known ? SERVICE_PROTOCOLS[name] : UNKNOWN_SERVICE;
  }

  handle(request: EdgeRequest): Promise<void> {
    return Promise.reject(notImplemented(this.name, this.operationOf(request)));
  }

  sendError(request: EdgeRequest, error: AwsError): void {
    const entry = this.entry;
    switch (entry[0]) {
      case 'json':
        return writeJsonProtocolError(request, entry[1], error);
      case 'query':
        return writeQueryError(request, { namespace: entry[1] }, error);
      case 'ec2':
        return writeEc2Error(request, error);
      case 'rest-xml':
        return writeRestXmlError(request, error, { root: 'ErrorResponse' });
      case 'rest-json':
        return writeRestJsonError(request, error);
    }
  }

  /** The operation as its protocol names it: `Action`, the `X-Amz-Target` operation, or the method and path. */
  private operationOf(request: EdgeRequest): string {
    const entry = this.entry;
    if (entry[0] === 'query' || entry[0] === 'ec2') {
      return queryParameters(request.rawQuery, request.body).get('Action') ?? '(no Action)';
    }
    if (entry[0] === 'json') {
      return targetOperation(request.req.headers['x-amz-target'], entry[2]) ?? '(no X-Amz-Target)';
    }
    return `${request.method} ${request.rawPath}`;
  }
}
