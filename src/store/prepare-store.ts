import type { SqlConnection } from './sql-connection.js';
import { StoreError } from './store-error.js';
import {
  createSchemaStatements,
  MIGRATIONS,
  SCHEMA_VERSION,
  STORE_FORMAT,
  type SqlDialect,
} from './store-schema.js';

/** What a database holds, as far as opening a store is concerned. */
type Found =
  | { readonly kind: 'empty' }
  | { readonly kind: 'foreign' }
  | { readonly kind: 'store'; readonly version: number };

const TABLES_SQL: Readonly<Record<SqlDialect, string>> = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  postgres:
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
};

async function inspect(connection: SqlConnection): Promise<Found> {
  const tables = (await connection.all(TABLES_SQL[connection.dialect])).map((row) =>
    String(row.name),
  );
  if (tables.length === 0) return { kind: 'empty' };
  if (!tables.includes('grpctap_meta')) return { kind: 'foreign' };
  const rows = await connection.all('SELECT key, value FROM grpctap_meta');
  const meta = new Map(rows.map((row) => [String(row.key), String(row.value)]));
  const version = Number(meta.get('schema_version'));
  if (meta.get('format') !== STORE_FORMAT || !Number.isInteger(version)) return { kind: 'foreign' };
  return { kind: 'store', version };
}

/**
 * Makes `connection` a store of the current schema: creates the tables in an empty database,
 * migrates an older store, and refuses anything else with one line naming `location`. Run in
 * one transaction, so two processes opening one new store at once create it once. A reader
 * (`create` false) only checks.
 */
export async function prepareStore(
  connection: SqlConnection,
  location: string,
  create: boolean,
): Promise<void> {
  const check = async (): Promise<Found> => {
    const found = await inspect(connection);
    if (found.kind === 'foreign') {
      throw new StoreError(`${location} is not a grpctap store (it holds other data); leave it be`);
    }
    if (found.kind === 'store' && found.version > SCHEMA_VERSION) {
      throw new StoreError(
        `${location} was written by a newer grpctap (store schema ${found.version}; this one reads up to ${SCHEMA_VERSION})`,
      );
    }
    return found;
  };
  if (!create) {
    const found = await check();
    if (found.kind === 'empty')
      throw new StoreError(`${location} is an empty database, not a grpctap store`);
    if (found.kind === 'store' && found.version < SCHEMA_VERSION) {
      throw new StoreError(
        `${location} has store schema ${found.version}; run grpctap with --store on it once to migrate it`,
      );
    }
    return;
  }
  const found = await check();
  if (found.kind === 'store' && found.version === SCHEMA_VERSION) return;
  await connection.transaction(async () => {
    await lockStore(connection);
    const current = await check();
    if (current.kind === 'empty') {
      for (const statement of createSchemaStatements(connection.dialect)) {
        await connection.run(statement);
      }
      await connection.run('INSERT INTO grpctap_meta (key, value) VALUES (?, ?), (?, ?)', [
        'format',
        STORE_FORMAT,
        'schema_version',
        String(SCHEMA_VERSION),
      ]);
      return;
    }
    if (current.kind !== 'store') return;
    for (let version = current.version; version < SCHEMA_VERSION; version++) {
      const step = MIGRATIONS[version];
      if (step === undefined)
        throw new StoreError(`${location}: no migration from store schema ${version}`);
      for (const statement of step(connection.dialect)) await connection.run(statement);
    }
    await connection.run('UPDATE grpctap_meta SET value = ? WHERE key = ?', [
      String(SCHEMA_VERSION),
      'schema_version',
    ]);
  });
}

/** The PostgreSQL advisory lock that serialises store creation, migration and pruning. */
export const STORE_LOCK_KEY = 0x67746170;

/**
 * Takes the store's lock until the current transaction ends, so several processes writing into
 * one PostgreSQL database create, migrate and prune it one at a time. SQLite needs none: its
 * writers take turns anyway.
 */
export async function lockStore(connection: SqlConnection): Promise<void> {
  if (connection.dialect === 'postgres') {
    await connection.run('SELECT pg_advisory_xact_lock(?)', [STORE_LOCK_KEY]);
  }
}
