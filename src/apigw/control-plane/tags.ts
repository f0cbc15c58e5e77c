import { badRequest, notFound } from '../errors.ts';
import type { ApigwControlPlane } from './plane.ts';

const MAX_TAGS = 50;
const ARN = /^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::(\/.+)$/;

/** A taggable resource: its tags and how to store new ones. */
interface Tagged {
  tags: Record<string, string>;
  save(tags: Record<string, string>): void;
}

/** TagResource, UntagResource and GetTags over APIs, stages, domain names and VPC links, named by their ARN. */
export class Tags {
  constructor(private readonly plane: ApigwControlPlane) {}

  get(arn: string): Record<string, string> {
    return this.resolve(arn).tags;
  }

  tag(arn: string, tags: Record<string, string> | undefined): void {
    const resource = this.resolve(arn);
    validateTags(tags ?? {});
    const merged = { ...resource.tags, ...tags };
    if (Object.keys(merged).length > MAX_TAGS) throw badRequest(`A resource can have at most ${MAX_TAGS} tags.`);
    resource.save(merged);
  }

  untag(arn: string, keys: string[]): void {
    const resource = this.resolve(arn);
    if (keys.length === 0) throw badRequest('tagKeys is required.');
    const tags = { ...resource.tags };
    for (const key of keys) delete tags[key];
    resource.save(tags);
  }

  private resolve(arn: string): Tagged {
    const m = ARN.exec(arn);
    // Unconfirmed: AWS's exact message for an ARN it cannot read.
    if (!m) throw badRequest(`Invalid resource ARN: ${arn}`);
    const missing = () => notFound(`Invalid resource identifier specified ${arn}`, 'Resource');
    if (m[1] !== this.plane.region) throw missing();
    const path = m[2].split('/').slice(1);
    const { store } = this.plane;
    if (path[0] === 'apis' && path.length === 2) {
      const api = store.getApi(path[1]);
      if (!api) throw missing();
      return { tags: api.tags, save: (tags) => store.putApi(api.apiId, { ...api, tags }) };
    }
    if (path[0] === 'apis' && path[2] === 'stages' && path.length === 4) {
      const stage = store.getApi(path[1]) && store.getChild('stages', path[1], path[3]);
      if (!stage) throw missing();
      return { tags: stage.tags, save: (tags) => store.putStage(path[1], stage.stageName, { ...stage, tags }) };
    }
    if (path[0] === 'domainnames' && path.length === 2) {
      const domain = store.getTop('domainNames', path[1]);
      if (!domain) throw missing();
      return { tags: domain.tags, save: (tags) => store.putTop('domainNames', domain.domainName, { ...domain, tags }) };
    }
    if (path[0] === 'vpclinks' && path.length === 2) {
      const link = store.getTop('vpcLinks', path[1]);
      if (!link) throw missing();
      return { tags: link.tags, save: (tags) => store.putTop('vpcLinks', link.vpcLinkId, { ...link, tags }) };
    }
    throw missing();
  }
}

/** AWS's tag limits: keys of 1-128 characters not starting with `aws:`, values of at most 256, 50 tags. */
export function validateTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw badRequest(`A resource can have at most ${MAX_TAGS} tags.`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128) throw badRequest(`Invalid tag key "${key}": must be 1-128 characters.`);
    if (key.toLowerCase().startsWith('aws:'))
      throw badRequest(`Invalid tag key "${key}": the aws: prefix is reserved.`);
    if (value.length > 256) throw badRequest(`Invalid value for tag "${key}": must be at most 256 characters.`);
  }
}
