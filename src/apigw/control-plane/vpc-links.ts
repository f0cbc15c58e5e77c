import type { z } from 'zod';
import { badRequest, notFound } from '../errors.ts';
import { resourceId } from '../ids.ts';
import type { VpcLink } from '../model.ts';
import type { createVpcLinkSchema, updateVpcLinkSchema } from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';
import { validateTags } from './tags.ts';

type CreateVpcLink = z.infer<typeof createVpcLinkSchema>;
type UpdateVpcLink = z.infer<typeof updateVpcLinkSchema>;

/** How long a new VPC link stays PENDING before it is AVAILABLE (AWS takes minutes; a local link has no ENIs). */
export const VPC_LINK_PENDING_MS = 2_000;
const PAGES = new PageTokens('vpclinks');
const SUBNET = /^subnet-[0-9a-f]{1,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{1,17}$/;

/** A VPC link as the wire shows it, its status derived from its age. */
export type VpcLinkView = VpcLink & { vpcLinkStatus: 'PENDING' | 'AVAILABLE'; vpcLinkStatusMessage: string };

/** VPC links: kept with AWS's states; integrations through them relay to their URI on this machine. */
export class VpcLinks {
  constructor(private readonly plane: ApigwControlPlane) {}

  create(input: CreateVpcLink): VpcLinkView {
    if (input.subnetIds.length === 0) throw badRequest('subnetIds must name at least one subnet.');
    for (const id of input.subnetIds) if (!SUBNET.test(id)) throw badRequest(`Invalid subnet id "${id}".`);
    for (const id of input.securityGroupIds ?? [])
      if (!SECURITY_GROUP.test(id)) throw badRequest(`Invalid security group id "${id}".`);
    validateTags(input.tags ?? {});
    const link: VpcLink = {
      vpcLinkId: resourceId(6),
      name: input.name,
      createdDate: new Date().toISOString(),
      securityGroupIds: input.securityGroupIds ?? [],
      subnetIds: input.subnetIds,
      tags: input.tags ?? {},
      vpcLinkVersion: 'V2',
    };
    this.plane.store.putTop('vpcLinks', link.vpcLinkId, link);
    return view(link);
  }

  get(vpcLinkId: string): VpcLinkView {
    return view(this.stored(vpcLinkId));
  }

  page(request: PageRequest): ListPage<VpcLinkView> {
    const page = readPage(PAGES, request, (max, after) => this.plane.store.listTopPage('vpcLinks', max, after));
    return { ...page, items: page.items.map(view) };
  }

  update(vpcLinkId: string, input: UpdateVpcLink): VpcLinkView {
    const link = { ...this.stored(vpcLinkId), ...(input.name !== undefined ? { name: input.name } : {}) };
    this.plane.store.putTop('vpcLinks', vpcLinkId, link);
    return view(link);
  }

  delete(vpcLinkId: string): void {
    this.stored(vpcLinkId);
    const users: string[] = [];
    for (const api of this.plane.store.listApis(2 ** 31 - 2, 0).items) {
      for (const i of this.plane.store.listChildren('integrations', api.apiId)) {
        if (i.connectionType === 'VPC_LINK' && i.connectionId === vpcLinkId)
          users.push(`${api.apiId}-${i.integrationId}`);
      }
    }
    if (users.length > 0) {
      // Unconfirmed: AWS's wording for a link that integrations still use.
      throw badRequest(
        `Cannot delete vpc link. Vpc link '${vpcLinkId}', is referenced in [${users.join(', ')}] ` +
          'in format of [ApiId-IntegrationId].',
      );
    }
    this.plane.store.deleteTop('vpcLinks', vpcLinkId);
  }

  private stored(vpcLinkId: string): VpcLink {
    const link = this.plane.store.getTop('vpcLinks', vpcLinkId);
    if (!link) throw notFound(`Invalid VpcLink identifier specified ${vpcLinkId}`, 'VpcLink');
    return link;
  }
}

function view(link: VpcLink): VpcLinkView {
  const pending = Date.now() - Date.parse(link.createdDate) < VPC_LINK_PENDING_MS;
  return {
    ...link,
    createdDate: link.createdDate.replace(/\.\d{3}Z$/, 'Z'),
    vpcLinkStatus: pending ? 'PENDING' : 'AVAILABLE',
    vpcLinkStatusMessage: pending ? 'VPC link is provisioning ENIs' : 'VPC link is ready to route traffic',
  };
}
