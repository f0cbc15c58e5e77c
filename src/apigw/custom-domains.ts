import type { ApigwMetadata } from '../state/apigw-metadata.ts';

interface MappedPath {
  /** `/` + the mapping key, or '' for the domain's root mapping. */
  prefix: string;
  apiId: string;
  stage: string;
}

/** Where a request on a custom domain goes: the mapped API and stage, and the path after the mapping key. */
export interface CustomDomainTarget {
  apiId: string;
  stage: string;
  rest: string;
  domainName: string;
}

/**
 * The custom domain names of the gateway and their API mappings, by host name, rebuilt when the metadata changes.
 * A request is routed by the mapping whose key is the longest path prefix of its path.
 */
export class CustomDomainRoutes {
  private domains = new Map<string, MappedPath[]>();
  private generation = -1;

  constructor(private readonly store: ApigwMetadata) {}

  /** Whether `host` (lowercase, port ignored) is a configured domain name: one map lookup. */
  has(host: string): boolean {
    const domains = this.current();
    return domains.size !== 0 && domains.has(hostName(host));
  }

  /** Undefined when `host` is no custom domain; null when it is one but no mapping takes the path. */
  route(host: string, rawPath: string): CustomDomainTarget | null | undefined {
    const domains = this.current();
    if (domains.size === 0) return undefined;
    const domainName = hostName(host);
    const mappings = domains.get(domainName);
    if (!mappings) return undefined;
    const path = rawPath || '/';
    for (const m of mappings) {
      if (m.prefix === '') return { apiId: m.apiId, stage: m.stage, rest: path, domainName };
      if (path === m.prefix || path.startsWith(`${m.prefix}/`)) {
        return { apiId: m.apiId, stage: m.stage, rest: path.slice(m.prefix.length) || '/', domainName };
      }
    }
    return null;
  }

  private current(): Map<string, MappedPath[]> {
    if (this.generation !== this.store.generation) {
      this.generation = this.store.generation;
      this.domains = this.load();
    }
    return this.domains;
  }

  private load(): Map<string, MappedPath[]> {
    const domains = new Map<string, MappedPath[]>();
    for (const d of this.store.listTopPage('domainNames', 2 ** 31 - 2, 0).items) domains.set(d.domainName, []);
    for (const { domainName, mapping } of this.store.listAllApiMappings()) {
      const prefix = mapping.apiMappingKey === '' ? '' : `/${mapping.apiMappingKey}`;
      domains.get(domainName)?.push({ prefix, apiId: mapping.apiId, stage: mapping.stage });
    }
    for (const mappings of domains.values()) mappings.sort((a, b) => b.prefix.length - a.prefix.length);
    return domains;
  }
}

function hostName(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || host.endsWith(']') ? host : host.slice(0, colon);
}
