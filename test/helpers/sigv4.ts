import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SignedRequestOptions {
  url: string | URL;
  service: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The Host header to sign, when it is not the URL's (a virtual host sent to 127.0.0.1). */
  host?: string;
}

/** The headers of `o` signed with SigV4 as an SDK signs them (the host header included). */
export async function signedHeaders(o: SignedRequestOptions): Promise<Record<string, string>> {
  const url = new URL(o.url);
  const host = o.host ?? url.host;
  const signer = new SignatureV4({
    service: o.service,
    region: o.region,
    credentials: o.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: o.method ?? 'GET',
      protocol: url.protocol,
      hostname: host.split(':')[0],
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...o.headers, host },
      body: o.body,
    }),
  );
  return signed.headers;
}
