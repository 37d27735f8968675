import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { prepareStore } from './prepare-store.js';
import { registerSqlFunctions } from './register-sql-functions.js';
import type { SqlConnection } from './sql-connection.js';
import { createSqliteConnection } from './sqlite-connection.js';
import { StoreError } from './store-error.js';
import { SQLITE_APPLICATION_ID } from './store-schema.js';

/** How long a statement waits for another process's write lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the SQLite store at `path`: WAL (readers never wait for the writer), a busy timeout so
 * several grpctap processes share one file one writer at a time, incremental auto-vacuum so
 * retention can give space back. `create` makes the file and its tables when missing; without it
 * a missing file is an error (the commands read, they never create).
 */
export async function openSqliteStore(path: string, create: boolean): Promise<SqlConnection> {
  if (!create && !existsSync(path)) {
    throw new StoreError(`no store at ${path} (grpctap records one there by default; see --store)`);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: !create, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StoreError(`cannot open the store ${path}: ${(error as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const fresh = (db.pragma('page_count', { simple: true }) as number) === 0;
    if (fresh && create) {
      // Both must be set before the first table exists.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const connection = createSqliteConnection(db);
    await prepareStore(connection, path, create);
    registerSqlFunctions(db);
    return connection;
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    const { code, message } = error as { code?: string; message: string };
    if (code === 'SQLITE_NOTADB')
      throw new StoreError(`${path} is not a grpctap store (not an SQLite database)`);
    if (code === 'SQLITE_BUSY')
      throw new StoreError(
        `${path} stayed locked by another process for ${BUSY_TIMEOUT_MS / 1000} s`,
      );
    throw new StoreError(`cannot open the store ${path}: ${message}`);
  }
}
