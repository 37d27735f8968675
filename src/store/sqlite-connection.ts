import type Database from 'better-sqlite3';
import type { SqlConnection, SqlRow, SqlValue } from './sql-connection.js';

type Statement = Database.Statement<unknown[]>;

/**
 * `SqlConnection` over better-sqlite3: synchronous calls behind the async interface, prepared
 * statements cached by their text. Used from the store's worker thread and by the commands.
 */
export function createSqliteConnection(db: Database.Database): SqlConnection {
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<unknown[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  let depth = 0;
  return {
    dialect: 'sqlite',
    run(sql, params: readonly SqlValue[] = []) {
      return Promise.resolve(prepare(sql).run(...(params as SqlValue[])).changes);
    },
    all(sql, params: readonly SqlValue[] = []) {
      return Promise.resolve(prepare(sql).all(...(params as SqlValue[])) as SqlRow[]);
    },
    async transaction(body) {
      if (depth > 0) return body();
      // IMMEDIATE takes the write lock up front, so a busy store waits here (busy_timeout)
      // instead of failing halfway through.
      db.exec('BEGIN IMMEDIATE');
      depth += 1;
      try {
        const result = await body();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      } finally {
        depth -= 1;
      }
    },
    sizeBytes() {
      const pages = db.pragma('page_count', { simple: true }) as number;
      const free = db.pragma('freelist_count', { simple: true }) as number;
      const size = db.pragma('page_size', { simple: true }) as number;
      return Promise.resolve((pages - free) * size);
    },
    reclaim() {
      db.pragma('incremental_vacuum');
      return Promise.resolve();
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
