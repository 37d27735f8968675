import { openPostgresStore } from './open-postgres-store.js';
import { openSqliteStore } from './open-sqlite-store.js';
import { isPostgresUrl } from './redact-url.js';
import type { SqlConnection } from './sql-connection.js';

/**
 * Opens the store at `location`: a `postgres://` URL, else an SQLite file path. `create` (the
 * proxy) creates and migrates it; the commands only read an existing one.
 */
export function openStoreConnection(location: string, create: boolean): Promise<SqlConnection> {
  return isPostgresUrl(location)
    ? openPostgresStore(location, create)
    : openSqliteStore(location, create);
}
