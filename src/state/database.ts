import path from 'node:path';
import { mkdirSync } from 'node:fs';
import Database, { type Statement } from 'better-sqlite3';

export type StateDatabase = Database.Database;

/** Opens (creating if needed) the metadata database `DATA_DIR/state.sqlite` in WAL mode. */
export function openStateDatabase(dataDir: string): StateDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'state.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
  )`);
  return db;
}

/**
 * Applies, in order and each in its own transaction, the migrations of one component that have not
 * been applied yet. `migrations[i]` is version i + 1; never edit or reorder a released migration, append.
 */
export function migrate(db: StateDatabase, component: string, migrations: readonly string[]): void {
  const applied = db
    .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?')
    .get(component) as { v: number };
  for (let version = applied.v + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version - 1]);
      db.prepare('INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)').run(
        component,
        version,
        new Date().toISOString(),
      );
    })();
  }
}

/** A statement cache for `db`: each SQL text is prepared once, on first use. */
export function statementCache(db: StateDatabase): (text: string) => Statement {
  const prepared = new Map<string, Statement>();
  return (text) => {
    let statement = prepared.get(text);
    if (!statement) {
      statement = db.prepare(text);
      prepared.set(text, statement);
    }
    return statement;
  };
}
