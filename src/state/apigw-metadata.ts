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
];

/** The child resources of an API, each kept as its wire document. */
export type ApigwChildKind = 'integrations' | 'routes' | 'stages';

const CHILD_TABLES: Record<ApigwChildKind, { table: string; id: string }> = {
  integrations: { table: 'apigw_integrations', id: 'integration_id' },
  routes: { table: 'apigw_routes', id: 'route_id' },
  stages: { table: 'apigw_stages', id: 'stage_name' },
};

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
  generation = 0;

  constructor(private readonly db: StateDatabase) {
    migrate(db, 'apigw', MIGRATIONS);
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    const result = this.db.transaction(fn)();
    this.generation++;
    return result;
  }

  getApi<T>(apiId: string): T | undefined {
    const row = this.db.prepare('SELECT doc FROM apigw_apis WHERE api_id = ?').get(apiId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  putApi(apiId: string, doc: object): void {
    this.db.prepare('INSERT INTO apigw_apis (api_id, doc) VALUES (?, ?) ON CONFLICT (api_id) DO UPDATE SET doc = excluded.doc').run(apiId, JSON.stringify(doc));
    this.generation++;
  }

  deleteApi(apiId: string): boolean {
    const changed = this.db.prepare('DELETE FROM apigw_apis WHERE api_id = ?').run(apiId).changes > 0;
    this.generation++;
    return changed;
  }

  /** Up to `maxResults` APIs created after position `after` (0: from the start), and the position of the last. */
  listApis<T>(maxResults: number, after: number): Page<T> {
    const rows = this.db
      .prepare('SELECT rowid, doc FROM apigw_apis WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .all(after, maxResults + 1) as Array<{ rowid: number; doc: string }>;
    const page = rows.slice(0, maxResults);
    return { items: page.map((r) => JSON.parse(r.doc) as T), next: rows.length > maxResults ? page.at(-1)!.rowid : undefined };
  }

  getChild<T>(kind: ApigwChildKind, apiId: string, id: string): T | undefined {
    const t = CHILD_TABLES[kind];
    const row = this.db.prepare(`SELECT doc FROM ${t.table} WHERE api_id = ? AND ${t.id} = ?`).get(apiId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  listChildren<T>(kind: ApigwChildKind, apiId: string): T[] {
    const t = CHILD_TABLES[kind];
    const rows = this.db.prepare(`SELECT doc FROM ${t.table} WHERE api_id = ? ORDER BY rowid`).all(apiId) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as T);
  }

  putIntegration(apiId: string, integrationId: string, doc: object): void {
    this.db
      .prepare('INSERT INTO apigw_integrations (api_id, integration_id, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc')
      .run(apiId, integrationId, JSON.stringify(doc));
    this.generation++;
  }

  putRoute(apiId: string, routeId: string, routeKey: string, doc: object): void {
    this.db
      .prepare(
        'INSERT INTO apigw_routes (api_id, route_id, route_key, doc) VALUES (?, ?, ?, ?) ON CONFLICT (api_id, route_id) DO UPDATE SET route_key = excluded.route_key, doc = excluded.doc',
      )
      .run(apiId, routeId, routeKey, JSON.stringify(doc));
    this.generation++;
  }

  putStage(apiId: string, stageName: string, doc: object): void {
    this.db
      .prepare('INSERT INTO apigw_stages (api_id, stage_name, doc) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET doc = excluded.doc')
      .run(apiId, stageName, JSON.stringify(doc));
    this.generation++;
  }

  deleteChild(kind: ApigwChildKind, apiId: string, id: string): boolean {
    const t = CHILD_TABLES[kind];
    const changed = this.db.prepare(`DELETE FROM ${t.table} WHERE api_id = ? AND ${t.id} = ?`).run(apiId, id).changes > 0;
    this.generation++;
    return changed;
  }

  putDeployment(apiId: string, deploymentId: string, doc: object, snapshot: object): void {
    this.db
      .prepare('INSERT INTO apigw_deployments (api_id, deployment_id, doc, snapshot) VALUES (?, ?, ?, ?)')
      .run(apiId, deploymentId, JSON.stringify(doc), JSON.stringify(snapshot));
    this.generation++;
  }

  listDeployments<T>(apiId: string): T[] {
    const rows = this.db.prepare('SELECT doc FROM apigw_deployments WHERE api_id = ? ORDER BY rowid').all(apiId) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as T);
  }

  getDeployment<T>(apiId: string, deploymentId: string): T | undefined {
    const row = this.db.prepare('SELECT doc FROM apigw_deployments WHERE api_id = ? AND deployment_id = ?').get(apiId, deploymentId) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  /** What a deployment froze: routes, integrations and the API's CORS configuration at the time. */
  getDeploymentSnapshot<T>(apiId: string, deploymentId: string): T | undefined {
    const row = this.db.prepare('SELECT snapshot FROM apigw_deployments WHERE api_id = ? AND deployment_id = ?').get(apiId, deploymentId) as
      | { snapshot: string }
      | undefined;
    return row ? (JSON.parse(row.snapshot) as T) : undefined;
  }
}
