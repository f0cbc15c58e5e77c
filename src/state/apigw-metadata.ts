import type {
  Api,
  ApiMapping,
  Authorizer,
  Deployment,
  DeploymentSnapshot,
  DomainName,
  Integration,
  Model,
  Route,
  Stage,
  VpcLink,
} from '../apigw/model.ts';
import { migrate, type StateDatabase } from './database.ts';

const MIGRATIONS = [
  `CREATE TABLE apigw_apis (
     api_id TEXT PRIMARY KEY,
     doc TEXT NOT NULL
   );
   CREATE TABLE apigw_integrations (
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     integration_id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, integration_id)
   );
   CREATE TABLE apigw_routes (
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     route_id TEXT NOT NULL,
     route_key TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, route_id),
     UNIQUE (api_id, route_key)
   );
   CREATE TABLE apigw_stages (
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     stage_name TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, stage_name)
   );
   CREATE TABLE apigw_deployments (
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     deployment_id TEXT NOT NULL,
     doc TEXT NOT NULL,
     snapshot TEXT NOT NULL,
     PRIMARY KEY (api_id, deployment_id)
   );`,
  `CREATE TABLE apigw_authorizers (
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     authorizer_id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, authorizer_id)
   );`,
  `CREATE TABLE apigw_models (
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     model_id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, model_id)
   );
   CREATE TABLE apigw_domain_names (
     domain_name TEXT PRIMARY KEY,
     doc TEXT NOT NULL
   );
   CREATE TABLE apigw_api_mappings (
     domain_name TEXT NOT NULL REFERENCES apigw_domain_names(domain_name) ON DELETE CASCADE,
     api_mapping_id TEXT NOT NULL,
     api_id TEXT NOT NULL REFERENCES apigw_apis(api_id) ON DELETE CASCADE,
     doc TEXT NOT NULL,
     PRIMARY KEY (domain_name, api_mapping_id)
   );
   CREATE TABLE apigw_vpc_links (
     vpc_link_id TEXT PRIMARY KEY,
     doc TEXT NOT NULL
   );`,
];

/** The child resources of an API, each kept as its wire document. */
export type ApigwChildKind = 'integrations' | 'routes' | 'stages' | 'authorizers' | 'models';

/** The document each child table holds. */
interface ChildDocuments {
  authorizers: Authorizer;
  integrations: Integration;
  routes: Route;
  stages: Stage;
  models: Model;
}

const CHILD_TABLES: Record<ApigwChildKind, { table: string; id: string }> = {
  authorizers: { table: 'apigw_authorizers', id: 'authorizer_id' },
  integrations: { table: 'apigw_integrations', id: 'integration_id' },
  routes: { table: 'apigw_routes', id: 'route_id' },
  stages: { table: 'apigw_stages', id: 'stage_name' },
  models: { table: 'apigw_models', id: 'model_id' },
};

/** The resources that belong to no API, each kept as its wire document. */
export type ApigwTopKind = 'domainNames' | 'vpcLinks';

interface TopDocuments {
  domainNames: DomainName;
  vpcLinks: VpcLink;
}

const TOP_TABLES: Record<ApigwTopKind, { table: string; id: string }> = {
  domainNames: { table: 'apigw_domain_names', id: 'domain_name' },
  vpcLinks: { table: 'apigw_vpc_links', id: 'vpc_link_id' },
};

/** An API mapping with the domain name it belongs to. */
export interface DomainApiMapping {
  domainName: string;
  mapping: ApiMapping;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts (pass it as `after`); undefined on the last page. */
  next?: number;
}

/**
 * API Gateway metadata: APIs and their integrations, routes, stages and deployments as JSON documents.
 * `generation` changes on every write so readers can cache what they derive from it.
 */
export class ApigwMetadata {
  private writes = 0;

  constructor(private readonly db: StateDatabase) {
    migrate(db, 'apigw', MIGRATIONS);
  }

  /** Changes on every write: readers cache what they derive from the metadata until it moves. */
  get generation(): number {
    return this.writes;
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    const result = this.db.transaction(fn)();
    this.writes++;
    return result;
  }

  getApi(apiId: string): Api | undefined {
    const row = this.db.prepare('SELECT doc FROM apigw_apis WHERE api_id = ?').get(apiId) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Api) : undefined;
  }

  putApi(apiId: string, doc: Api): void {
    this.db
      .prepare(
        'INSERT INTO apigw_apis (api_id, doc) VALUES (?, ?) ON CONFLICT (api_id) DO UPDATE SET doc = excluded.doc',
      )
      .run(apiId, JSON.stringify(doc));
    this.writes++;
  }

  deleteApi(apiId: string): boolean {
    const changed = this.db.prepare('DELETE FROM apigw_apis WHERE api_id = ?').run(apiId).changes > 0;
    this.writes++;
    return changed;
  }

  /** Up to `maxResults` APIs created after position `after` (0: from the start), and the position of the last. */
  listApis(maxResults: number, after: number): Page<Api> {
    const rows = this.db
      .prepare('SELECT rowid, doc FROM apigw_apis WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .all(after, maxResults + 1) as Array<{ rowid: number; doc: string }>;
    return pageOf<Api>(rows, maxResults);
  }

  getChild<K extends ApigwChildKind>(kind: K, apiId: string, id: string): ChildDocuments[K] | undefined {
    const t = CHILD_TABLES[kind];
    const row = this.db.prepare(`SELECT doc FROM ${t.table} WHERE api_id = ? AND ${t.id} = ?`).get(apiId, id) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ChildDocuments[K]) : undefined;
  }

  listChildren<K extends ApigwChildKind>(kind: K, apiId: string): Array<ChildDocuments[K]> {
    const t = CHILD_TABLES[kind];
    const rows = this.db.prepare(`SELECT doc FROM ${t.table} WHERE api_id = ? ORDER BY rowid`).all(apiId) as Array<{
      doc: string;
    }>;
    return rows.map((r) => JSON.parse(r.doc) as ChildDocuments[K]);
  }

  /** Up to `maxResults` children of the API created after position `after` (0: from the start). */
  listChildrenPage<K extends ApigwChildKind>(
    kind: K,
    apiId: string,
    maxResults: number,
    after: number,
  ): Page<ChildDocuments[K]> {
    const t = CHILD_TABLES[kind];
    const rows = this.db
      .prepare(`SELECT rowid, doc FROM ${t.table} WHERE api_id = ? AND rowid > ? ORDER BY rowid LIMIT ?`)
      .all(apiId, after, maxResults + 1) as Array<{ rowid: number; doc: string }>;
    return pageOf<ChildDocuments[K]>(rows, maxResults);
  }

  putIntegration(apiId: string, integrationId: string, doc: Integration): void {
    this.db
      .prepare(
        'INSERT INTO apigw_integrations (api_id, integration_id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc',
      )
      .run(apiId, integrationId, JSON.stringify(doc));
    this.writes++;
  }

  putAuthorizer(apiId: string, authorizerId: string, doc: Authorizer): void {
    this.db
      .prepare(
        'INSERT INTO apigw_authorizers (api_id, authorizer_id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc',
      )
      .run(apiId, authorizerId, JSON.stringify(doc));
    this.writes++;
  }

  putRoute(apiId: string, routeId: string, routeKey: string, doc: Route): void {
    this.db
      .prepare(
        'INSERT INTO apigw_routes (api_id, route_id, route_key, doc) VALUES (?, ?, ?, ?) ON CONFLICT (api_id, route_id) DO UPDATE SET route_key = excluded.route_key, doc = excluded.doc',
      )
      .run(apiId, routeId, routeKey, JSON.stringify(doc));
    this.writes++;
  }

  putStage(apiId: string, stageName: string, doc: Stage): void {
    this.db
      .prepare(
        'INSERT INTO apigw_stages (api_id, stage_name, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc',
      )
      .run(apiId, stageName, JSON.stringify(doc));
    this.writes++;
  }

  deleteChild(kind: ApigwChildKind, apiId: string, id: string): boolean {
    const t = CHILD_TABLES[kind];
    const changed =
      this.db.prepare(`DELETE FROM ${t.table} WHERE api_id = ? AND ${t.id} = ?`).run(apiId, id).changes > 0;
    this.writes++;
    return changed;
  }

  putDeployment(apiId: string, deploymentId: string, doc: Deployment, snapshot: DeploymentSnapshot): void {
    this.db
      .prepare('INSERT INTO apigw_deployments (api_id, deployment_id, doc, snapshot) VALUES (?, ?, ?, ?)')
      .run(apiId, deploymentId, JSON.stringify(doc), JSON.stringify(snapshot));
    this.writes++;
  }

  /** Up to `maxResults` deployments of the API made after position `after` (0: from the start). */
  listDeploymentsPage(apiId: string, maxResults: number, after: number): Page<Deployment> {
    const rows = this.db
      .prepare('SELECT rowid, doc FROM apigw_deployments WHERE api_id = ? AND rowid > ? ORDER BY rowid LIMIT ?')
      .all(apiId, after, maxResults + 1) as Array<{ rowid: number; doc: string }>;
    return pageOf<Deployment>(rows, maxResults);
  }

  getDeployment(apiId: string, deploymentId: string): Deployment | undefined {
    const row = this.db
      .prepare('SELECT doc FROM apigw_deployments WHERE api_id = ? AND deployment_id = ?')
      .get(apiId, deploymentId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Deployment) : undefined;
  }

  /** What a deployment froze: routes, integrations and the API's CORS configuration at the time. */
  getDeploymentSnapshot(apiId: string, deploymentId: string): DeploymentSnapshot | undefined {
    const row = this.db
      .prepare('SELECT snapshot FROM apigw_deployments WHERE api_id = ? AND deployment_id = ?')
      .get(apiId, deploymentId) as { snapshot: string } | undefined;
    return row ? (JSON.parse(row.snapshot) as DeploymentSnapshot) : undefined;
  }

  putModel(apiId: string, modelId: string, doc: Model): void {
    this.db
      .prepare(
        `INSERT INTO apigw_models (api_id, model_id, doc) VALUES (?, ?, ?)
         ON CONFLICT DO UPDATE SET doc = excluded.doc`,
      )
      .run(apiId, modelId, JSON.stringify(doc));
    this.writes++;
  }

  updateDeployment(apiId: string, deploymentId: string, doc: Deployment): void {
    this.db
      .prepare('UPDATE apigw_deployments SET doc = ? WHERE api_id = ? AND deployment_id = ?')
      .run(JSON.stringify(doc), apiId, deploymentId);
    this.writes++;
  }

  deleteDeployment(apiId: string, deploymentId: string): boolean {
    const changed =
      this.db.prepare('DELETE FROM apigw_deployments WHERE api_id = ? AND deployment_id = ?').run(apiId, deploymentId)
        .changes > 0;
    this.writes++;
    return changed;
  }

  getTop<K extends ApigwTopKind>(kind: K, id: string): TopDocuments[K] | undefined {
    const t = TOP_TABLES[kind];
    const row = this.db.prepare(`SELECT doc FROM ${t.table} WHERE ${t.id} = ?`).get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as TopDocuments[K]) : undefined;
  }

  putTop<K extends ApigwTopKind>(kind: K, id: string, doc: TopDocuments[K]): void {
    const t = TOP_TABLES[kind];
    this.db
      .prepare(`INSERT INTO ${t.table} (${t.id}, doc) VALUES (?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc`)
      .run(id, JSON.stringify(doc));
    this.writes++;
  }

  deleteTop(kind: ApigwTopKind, id: string): boolean {
    const t = TOP_TABLES[kind];
    const changed = this.db.prepare(`DELETE FROM ${t.table} WHERE ${t.id} = ?`).run(id).changes > 0;
    this.writes++;
    return changed;
  }

  /** Up to `maxResults` resources of `kind` created after position `after` (0: from the start). */
  listTopPage<K extends ApigwTopKind>(kind: K, maxResults: number, after: number): Page<TopDocuments[K]> {
    const t = TOP_TABLES[kind];
    const rows = this.db
      .prepare(`SELECT rowid, doc FROM ${t.table} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
      .all(after, maxResults + 1) as Array<{ rowid: number; doc: string }>;
    return pageOf<TopDocuments[K]>(rows, maxResults);
  }

  getApiMapping(domainName: string, apiMappingId: string): ApiMapping | undefined {
    const row = this.db
      .prepare('SELECT doc FROM apigw_api_mappings WHERE domain_name = ? AND api_mapping_id = ?')
      .get(domainName, apiMappingId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ApiMapping) : undefined;
  }

  putApiMapping(domainName: string, doc: ApiMapping): void {
    this.db
      .prepare(
        `INSERT INTO apigw_api_mappings (domain_name, api_mapping_id, api_id, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET api_id = excluded.api_id, doc = excluded.doc`,
      )
      .run(domainName, doc.apiMappingId, doc.apiId, JSON.stringify(doc));
    this.writes++;
  }

  deleteApiMapping(domainName: string, apiMappingId: string): boolean {
    const changed =
      this.db
        .prepare('DELETE FROM apigw_api_mappings WHERE domain_name = ? AND api_mapping_id = ?')
        .run(domainName, apiMappingId).changes > 0;
    this.writes++;
    return changed;
  }

  listApiMappings(domainName: string): ApiMapping[] {
    const rows = this.db
      .prepare('SELECT doc FROM apigw_api_mappings WHERE domain_name = ? ORDER BY rowid')
      .all(domainName) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as ApiMapping);
  }

  listApiMappingsPage(domainName: string, maxResults: number, after: number): Page<ApiMapping> {
    const rows = this.db
      .prepare('SELECT rowid, doc FROM apigw_api_mappings WHERE domain_name = ? AND rowid > ? ORDER BY rowid LIMIT ?')
      .all(domainName, after, maxResults + 1) as Array<{ rowid: number; doc: string }>;
    return pageOf<ApiMapping>(rows, maxResults);
  }

  /** Whether some custom domain name maps a path to the API. */
  hasApiMappings(apiId: string): boolean {
    return this.db.prepare('SELECT 1 FROM apigw_api_mappings WHERE api_id = ? LIMIT 1').get(apiId) !== undefined;
  }

  /** Every API mapping of every domain name (what the data plane routes custom domains by). */
  listAllApiMappings(): DomainApiMapping[] {
    const rows = this.db.prepare('SELECT domain_name, doc FROM apigw_api_mappings ORDER BY rowid').all() as Array<{
      domain_name: string;
      doc: string;
    }>;
    return rows.map((r) => ({ domainName: r.domain_name, mapping: JSON.parse(r.doc) as ApiMapping }));
  }
}

/** A page from `maxResults + 1` rows: the extra row only says that there is a next page. */
function pageOf<T>(rows: Array<{ rowid: number; doc: string }>, maxResults: number): Page<T> {
  const page = rows.slice(0, maxResults);
  return {
    items: page.map((r) => JSON.parse(r.doc) as T),
    next: rows.length > maxResults ? page.at(-1)!.rowid : undefined,
  };
}
