import type { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.ts';
import { resourceId } from '../ids.ts';
import { omitUndefined, type ApiMapping, type DomainName, type DomainNameConfiguration } from '../model.ts';
import type {
  createApiMappingSchema,
  createDomainNameSchema,
  updateApiMappingSchema,
  updateDomainNameSchema,
} from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';
import { validateTags } from './tags.ts';

type CreateDomainName = z.infer<typeof createDomainNameSchema>;
type UpdateDomainName = z.infer<typeof updateDomainNameSchema>;
type CreateApiMapping = z.infer<typeof createApiMappingSchema>;
type UpdateApiMapping = z.infer<typeof updateApiMappingSchema>;
type ConfigurationInput = NonNullable<CreateDomainName['domainNameConfigurations']>[number];

const DOMAIN_PAGES = new PageTokens('domainnames');
const MAPPING_PAGES = new PageTokens('apimappings');
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Path segments of a mapping key: `v1`, `v1/users` (unconfirmed: AWS documents no exact character set). */
const MAPPING_KEY = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
/** Unconfirmed: the hosted zone AWS answers for regional custom domains varies by region; this is us-east-1's. */
const REGIONAL_HOSTED_ZONE = 'Z1UJRXOUMOOFQ8';

/** Custom domain names and the API mappings that route their paths to an API's stage. */
export class DomainNames {
  constructor(private readonly plane: ApigwControlPlane) {}

  create(input: CreateDomainName): DomainName {
    const name = input.domainName.toLowerCase();
    if (name.startsWith('*.')) throw badRequest('Wildcard custom domain names are not supported by the local gateway.');
    if (name.length > 253 || !name.split('.').every((label) => DNS_LABEL.test(label)) || !name.includes('.')) {
      throw badRequest(`Invalid domain name "${input.domainName}".`);
    }
    if (this.plane.store.getTop('domainNames', name)) throw conflict('The domain name you provided already exists.');
    validateTags(input.tags ?? {});
    const domain: DomainName = omitUndefined({
      domainName: name,
      domainNameArn: `arn:aws:apigateway:${this.plane.region}::/domainnames/${name}`,
      apiMappingSelectionExpression: '$request.basepath',
      domainNameConfigurations: [this.configuration(input.domainNameConfigurations?.[0])],
      mutualTlsAuthentication: input.mutualTlsAuthentication,
      routingMode: input.routingMode ?? 'API_MAPPING_ONLY',
      tags: input.tags ?? {},
    });
    this.plane.store.putTop('domainNames', name, domain);
    return domain;
  }

  get(domainName: string): DomainName {
    const domain = this.plane.store.getTop('domainNames', domainName.toLowerCase());
    if (!domain) throw notFound(`Invalid domain name identifier specified ${domainName}`, 'DomainName');
    return domain;
  }

  page(request: PageRequest): ListPage<DomainName> {
    return readPage(DOMAIN_PAGES, request, (max, after) => this.plane.store.listTopPage('domainNames', max, after));
  }

  update(domainName: string, input: UpdateDomainName): DomainName {
    const current = this.get(domainName);
    const configuration = input.domainNameConfigurations?.[0];
    const domain: DomainName = omitUndefined({
      ...current,
      domainNameConfigurations: configuration
        ? [this.configuration(configuration, current.domainNameConfigurations[0])]
        : current.domainNameConfigurations,
      mutualTlsAuthentication: input.mutualTlsAuthentication ?? current.mutualTlsAuthentication,
      routingMode: input.routingMode ?? current.routingMode,
    });
    this.plane.store.putTop('domainNames', domain.domainName, domain);
    return domain;
  }

  /** Deletes the domain name and its API mappings. */
  delete(domainName: string): void {
    this.plane.store.deleteTop('domainNames', this.get(domainName).domainName);
  }

  createMapping(domainName: string, input: CreateApiMapping): ApiMapping {
    const domain = this.get(domainName);
    const mapping: ApiMapping = {
      apiMappingId: resourceId(6),
      apiId: input.apiId,
      apiMappingKey: input.apiMappingKey ?? '',
      stage: input.stage,
    };
    this.validateMapping(domain.domainName, mapping);
    this.plane.store.putApiMapping(domain.domainName, mapping);
    return mapping;
  }

  getMapping(domainName: string, apiMappingId: string): ApiMapping {
    const domain = this.get(domainName);
    const mapping = this.plane.store.getApiMapping(domain.domainName, apiMappingId);
    if (!mapping) throw notFound(`Invalid api mapping identifier specified ${apiMappingId}`, 'ApiMapping');
    return mapping;
  }

  mappingPage(domainName: string, request: PageRequest): ListPage<ApiMapping> {
    const { domainName: name } = this.get(domainName);
    return readPage(MAPPING_PAGES, request, (max, after) => this.plane.store.listApiMappingsPage(name, max, after));
  }

  updateMapping(domainName: string, apiMappingId: string, input: UpdateApiMapping): ApiMapping {
    const current = this.getMapping(domainName, apiMappingId);
    const mapping: ApiMapping = { ...current, ...omitUndefined(input) };
    const name = this.get(domainName).domainName;
    this.validateMapping(name, mapping);
    this.plane.store.putApiMapping(name, mapping);
    return mapping;
  }

  deleteMapping(domainName: string, apiMappingId: string): void {
    const current = this.getMapping(domainName, apiMappingId);
    this.plane.store.deleteApiMapping(this.get(domainName).domainName, current.apiMappingId);
  }

  private validateMapping(domainName: string, mapping: ApiMapping): void {
    const key = mapping.apiMappingKey;
    if (key !== '' && (!MAPPING_KEY.test(key) || key.length > 512)) {
      throw badRequest(
        `Invalid apiMappingKey "${key}": use path segments of letters, digits and . _ ~ - ` +
          'without a leading or trailing /.',
      );
    }
    this.plane.stages.get(mapping.apiId, mapping.stage);
    const others = this.plane.store.listApiMappings(domainName).filter((m) => m.apiMappingId !== mapping.apiMappingId);
    // Unconfirmed: AWS's exact message for a key the domain already maps.
    if (others.some((m) => m.apiMappingKey === key))
      throw conflict(`ApiMapping key already exists for this domain name`);
  }

  /** A configuration from the client's, over `current`; the gateway's own members are never the client's. */
  private configuration(
    input: ConfigurationInput | undefined,
    current?: DomainNameConfiguration,
  ): DomainNameConfiguration {
    return omitUndefined({
      apiGatewayDomainName:
        current?.apiGatewayDomainName ?? `d-${resourceId(10)}.execute-api.${this.plane.region}.amazonaws.com`,
      certificateArn: input?.certificateArn ?? current?.certificateArn,
      certificateName: input?.certificateName ?? current?.certificateName,
      domainNameStatus: 'AVAILABLE' as const,
      endpointType: input?.endpointType ?? current?.endpointType ?? 'REGIONAL',
      hostedZoneId: current?.hostedZoneId ?? REGIONAL_HOSTED_ZONE,
      ipAddressType: input?.ipAddressType ?? current?.ipAddressType ?? 'ipv4',
      securityPolicy: input?.securityPolicy ?? current?.securityPolicy ?? 'TLS_1_2',
      ownershipVerificationCertificateArn:
        input?.ownershipVerificationCertificateArn ?? current?.ownershipVerificationCertificateArn,
    });
  }
}
