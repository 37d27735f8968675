import type { SqlDialect } from './store-schema.js';

/** A value bound to a statement parameter. */
export type SqlValue = string | number | bigint | Uint8Array | null;

/** One row as the backend returns it: column name to value. */
export type SqlRow = Record<string, unknown>;

/**
 * The little the store needs from a database, the same for SQLite and PostgreSQL. Statements use
 * `?` placeholders whatever the backend (the PostgreSQL adapter numbers them). Calls are made one
 * at a time; `transaction` runs `body` inside BEGIN/COMMIT and rolls back when it throws.
 */
export interface SqlConnection {
  readonly dialect: SqlDialect;
  /** Runs one statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  transaction<T>(body: () => Promise<T>): Promise<T>;
  /** Bytes the store's tables take, for `--store-max-size`. */
  sizeBytes(): Promise<number>;
  /** Gives back space freed by deletions, where the backend can do that cheaply. */
  reclaim(): Promise<void>;
  close(): Promise<void>;
}
