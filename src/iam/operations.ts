import type { IamMetadata, StoredPolicy, StoredRole } from '../state/iam-metadata.ts';
import { iamNameKey } from '../state/iam-metadata.ts';
import { iamErrors } from './errors.ts';
import { iamTimestamp, iamUniqueId, parsePolicyArn, policyArn, roleArn } from './ids.ts';
import { IamParams, shapes } from './params.ts';
import { policyDocumentProblem, type PolicyKind } from './policy-document.ts';
import { resultXml, type XmlValue } from './xml.ts';
import { PageTokens } from '../protocols/pagination.ts';

/** An IAM operation: the request's parameters in, the inner XML of its `<ActionResult>` out. */
export type IamOperation = (params: URLSearchParams) => string;

const DEFAULT_MAX_ITEMS = 100;
const tokens = {
  roles: new PageTokens('iam-roles'),
  policies: new PageTokens('iam-policies'),
  rolePolicies: new PageTokens('iam-role-policies'),
  attached: new PageTokens('iam-attached'),
};

/** Policy documents travel URL-encoded in IAM's responses (the CLI and SDKs decode them). */
const encodeDocument = (document: string): string => encodeURIComponent(document);

/** The IAM operations the edge serves: roles, their inline and attached policies, and customer managed policies. */
export function iamOperations(store: IamMetadata, account: string): Record<string, IamOperation> {
  const role = (p: IamParams): StoredRole => {
    const name = p.required('RoleName', shapes.roleName);
    const found = store.getRole(name);
    if (!found) throw iamErrors.noSuchRole(name);
    return found;
  };
  const document = (p: IamParams, name: string, kind: PolicyKind): string => {
    const text = p.required(name, shapes.policyDocument);
    const problem = policyDocumentProblem(text, kind);
    if (problem) throw iamErrors.malformedPolicy(problem);
    return text;
  };
  const roleXml = (r: StoredRole, detail: boolean): XmlValue => ({
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: roleArn(account, r.path, r.name),
    CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicy),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: detail && r.tags.length > 0 ? r.tags : undefined,
    RoleLastUsed: detail ? {} : undefined,
  });
  const policyXml = (policy: StoredPolicy, detail: boolean): XmlValue => ({
    PolicyName: policy.name,
    PolicyId: policy.id,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: 'v1',
    AttachmentCount: store.attachmentCount(policy.arn),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: detail ? policy.description : undefined,
    CreateDate: policy.createdAt,
    UpdateDate: policy.updatedAt,
    Tags: detail && policy.tags.length > 0 ? policy.tags : undefined,
  });
  /** A local customer managed policy by ARN; AWS-managed ARNs are accepted as they are (their contents are unknown). */
  const attachable = (arn: string): { arn: string; name: string } => {
    const parsed = parsePolicyArn(arn);
    if (!parsed) throw iamErrors.invalidArn(arn);
    if (parsed.owner === 'aws') return { arn, name: parsed.name };
    if (parsed.owner !== account || !store.getPolicy(arn)) throw iamErrors.policyNotAttachable(arn);
    return { arn, name: parsed.name };
  };

  return {
    CreateRole(params) {
      const p = new IamParams(params);
      const name = p.required('RoleName', shapes.roleName);
      const path = p.optional('Path', shapes.path) ?? '/';
      const trust = document(p, 'AssumeRolePolicyDocument', 'trust');
      const stored: StoredRole = {
        name,
        id: iamUniqueId('AROA'),
        path,
        assumeRolePolicy: trust,
        description: p.optional('Description', shapes.description),
        maxSessionDuration: p.integer('MaxSessionDuration', 3600, 43200) ?? 3600,
        createdAt: iamTimestamp(),
        tags: p.tags(),
      };
      if (!store.insertRole(stored)) throw iamErrors.roleExists(name);
      return resultXml({ Role: roleXml(stored, false) });
    },

    GetRole(params) {
      return resultXml({ Role: roleXml(role(new IamParams(params)), true) });
    },

    ListRoles(params) {
      const p = new IamParams(params);
      const prefix = p.optional('PathPrefix', shapes.pathPrefix) ?? '/';
      const page = pageOf(
        p,
        tokens.roles,
        (after, limit) => store.listRoles(after, limit, prefix),
        (r) => iamNameKey(r.name),
      );
      return resultXml({
        Roles: page.items.map((r) => roleXml(r, false)),
        IsTruncated: page.marker !== undefined,
        Marker: page.marker,
      });
    },

    DeleteRole(params) {
      const found = role(new IamParams(params));
      if (store.attachedPolicyArns(found.name).length > 0) throw iamErrors.roleHasAttachedPolicies();
      if (store.inlinePolicies(found.name).length > 0) throw iamErrors.roleHasInlinePolicies();
      store.deleteRole(found.name);
      return '';
    },

    UpdateAssumeRolePolicy(params) {
      const p = new IamParams(params);
      const found = role(p);
      store.setAssumeRolePolicy(found.name, document(p, 'PolicyDocument', 'trust'));
      return '';
    },

    AttachRolePolicy(params) {
      const p = new IamParams(params);
      const found = role(p);
      store.attach(found.name, attachable(p.required('PolicyArn', shapes.arn)).arn);
      return '';
    },

    DetachRolePolicy(params) {
      const p = new IamParams(params);
      const found = role(p);
      const arn = p.required('PolicyArn', shapes.arn);
      if (!parsePolicyArn(arn)) throw iamErrors.invalidArn(arn);
      if (!store.detach(found.name, arn)) throw iamErrors.policyNotFound(arn);
      return '';
    },

    ListAttachedRolePolicies(params) {
      const p = new IamParams(params);
      const found = role(p);
      const prefix = p.optional('PathPrefix', shapes.policyPath) ?? '/';
      const attached = store
        .attachedPolicyArns(found.name)
        .map((arn) => ({ arn, parsed: parsePolicyArn(arn)! }))
        .filter((a) => a.parsed.path.startsWith(prefix));
      const page = pageOfArray(
        p,
        tokens.attached,
        attached.map((a) => ({ PolicyName: a.parsed.name, PolicyArn: a.arn })),
      );
      return resultXml({ AttachedPolicies: page.items, IsTruncated: page.marker !== undefined, Marker: page.marker });
    },

    PutRolePolicy(params) {
      const p = new IamParams(params);
      const found = role(p);
      const name = p.required('PolicyName', shapes.policyName);
      store.putInlinePolicy(found.name, { name, document: document(p, 'PolicyDocument', 'identity') });
      return '';
    },

    GetRolePolicy(params) {
      const p = new IamParams(params);
      const found = role(p);
      const name = p.required('PolicyName', shapes.policyName);
      const policy = store.getInlinePolicy(found.name, name);
      if (!policy) throw iamErrors.noSuchRolePolicy(found.name, name);
      return resultXml({
        RoleName: found.name,
        PolicyName: policy.name,
        PolicyDocument: encodeDocument(policy.document),
      });
    },

    ListRolePolicies(params) {
      const p = new IamParams(params);
      const found = role(p);
      const page = pageOfArray(
        p,
        tokens.rolePolicies,
        store.inlinePolicies(found.name).map((policy) => policy.name),
      );
      return resultXml({ PolicyNames: page.items, IsTruncated: page.marker !== undefined, Marker: page.marker });
    },

    DeleteRolePolicy(params) {
      const p = new IamParams(params);
      const found = role(p);
      const name = p.required('PolicyName', shapes.policyName);
      if (!store.deleteInlinePolicy(found.name, name)) throw iamErrors.noSuchRolePolicy(found.name, name);
      return '';
    },

    CreatePolicy(params) {
      const p = new IamParams(params);
      const name = p.required('PolicyName', shapes.policyName);
      const path = p.optional('Path', shapes.policyPath) ?? '/';
      const text = document(p, 'PolicyDocument', 'identity');
      const now = iamTimestamp();
      const stored: StoredPolicy = {
        name,
        id: iamUniqueId('ANPA'),
        path,
        arn: policyArn(account, path, name),
        description: p.optional('Description', shapes.description),
        document: text,
        createdAt: now,
        updatedAt: now,
        tags: p.tags(),
      };
      if (!store.insertPolicy(stored)) throw iamErrors.policyExists(name);
      return resultXml({ Policy: policyXml(stored, false) });
    },

    GetPolicy(params) {
      const arn = new IamParams(params).required('PolicyArn', shapes.arn);
      if (!parsePolicyArn(arn)) throw iamErrors.invalidArn(arn);
      const policy = store.getPolicy(arn);
      if (!policy) throw iamErrors.policyNotFound(arn);
      return resultXml({ Policy: policyXml(policy, true) });
    },

    ListPolicies(params) {
      const p = new IamParams(params);
      const scope = p.enumeration('Scope', ['All', 'AWS', 'Local'] as const) ?? 'All';
      const options = {
        pathPrefix: p.optional('PathPrefix', shapes.policyPath) ?? '/',
        onlyAttached: p.boolean('OnlyAttached') ?? false,
      };
      // AWS-managed policies are not listed: the edge does not carry AWS's catalogue.
      const list = (after: string, limit: number): StoredPolicy[] =>
        scope === 'AWS' ? [] : store.listPolicies(after, limit, options);
      const page = pageOf(p, tokens.policies, list, (policy) => iamNameKey(policy.name));
      return resultXml({
        Policies: page.items.map((policy) => policyXml(policy, false)),
        IsTruncated: page.marker !== undefined,
        Marker: page.marker,
      });
    },

    DeletePolicy(params) {
      const arn = new IamParams(params).required('PolicyArn', shapes.arn);
      if (!parsePolicyArn(arn)) throw iamErrors.invalidArn(arn);
      if (!store.getPolicy(arn)) throw iamErrors.policyNotFound(arn);
      if (store.attachmentCount(arn) > 0) throw iamErrors.policyAttached();
      store.deletePolicy(arn);
      return '';
    },
  };
}

/** One page of a keyed list read from the store: asks for one more than `MaxItems` to know whether it is truncated. */
function pageOf<T>(
  p: IamParams,
  scheme: PageTokens,
  list: (after: string, limit: number) => T[],
  keyOf: (item: T) => string,
): { items: T[]; marker?: string } {
  const { after, maxItems } = pageRequest(p, scheme);
  const items = list(after ?? '', maxItems + 1);
  if (items.length <= maxItems) return { items };
  const shown = items.slice(0, maxItems);
  return { items: shown, marker: scheme.encode(keyOf(shown[shown.length - 1])) };
}

/** One page of a list held in memory, resumed by index. */
function pageOfArray<T>(p: IamParams, scheme: PageTokens, all: T[]): { items: T[]; marker?: string } {
  const { after, maxItems } = pageRequest(p, scheme);
  const start = after === undefined ? 0 : Number(after);
  if (!Number.isInteger(start)) throw iamErrors.invalidMarker();
  const items = all.slice(start, start + maxItems);
  return { items, marker: start + maxItems < all.length ? scheme.encode(start + maxItems) : undefined };
}

function pageRequest(p: IamParams, scheme: PageTokens): { after?: string; maxItems: number } {
  const maxItems = p.integer('MaxItems', 1, 1000) ?? DEFAULT_MAX_ITEMS;
  const marker = p.optional('Marker', shapes.marker);
  if (marker === undefined) return { maxItems };
  const after = scheme.decode(marker);
  if (after === undefined) throw iamErrors.invalidMarker();
  return { after, maxItems };
}
