import pg from 'pg';
import { prepareStore } from './prepare-store.js';
import { redactStoreLocation } from './redact-url.js';
import type { SqlConnection, SqlRow, SqlValue } from './sql-connection.js';
import { StoreError } from './store-error.js';

// BIGINT columns (times, counts, sizes) as numbers: every value the store keeps is far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** `?` placeholders as PostgreSQL's `$1`, `$2`, ... (the store's SQL has no `?` in literals). */
function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

function toParam(value: SqlValue): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

/**
 * Opens the PostgreSQL store at `url` (`postgres://user:password@host:port/database`). Several
 * grpctap processes may write into one database at once: each flow is one process's, and
 * creation, migration and pruning take an advisory lock.
 */
export async function openPostgresStore(url: string, create: boolean): Promise<SqlConnection> {
  const shown = redactStoreLocation(url);
  const client = new pg.Client({ connectionString: url, application_name: 'grpctap' });
  // A connection lost later surfaces on the next query; without a listener it would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new StoreError(`cannot connect to the store ${shown}: ${(error as Error).message}`);
  }
  const texts = new Map<string, string>();
  const query = async (sql: string, params: readonly SqlValue[]) => {
    let text = texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      texts.set(sql, text);
    }
    return client.query(text, params.map(toParam));
  };
  let depth = 0;
  const connection: SqlConnection = {
    dialect: 'postgres',
    async run(sql, params = []) {
      return (await query(sql, params)).rowCount ?? 0;
    },
    async all(sql, params = []) {
      return (await query(sql, params)).rows as SqlRow[];
    },
    async transaction(body) {
      if (depth > 0) return body();
      await client.query('BEGIN');
      depth += 1;
      try {
        const result = await body();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        depth -= 1;
      }
    },
    async sizeBytes() {
      // PostgreSQL's files do not shrink after a DELETE (autovacuum only makes the space
      // reusable), so the size retention counts is the data kept: what was written per flow,
      // and the records of no flow.
      const { rows } = await client.query(
        'SELECT (SELECT COALESCE(SUM(stored_bytes), 0) FROM flows) + (SELECT COALESCE(SUM(LENGTH(line)), 0) FROM events WHERE flow_id IS NULL) AS size',
      );
      return Number((rows[0] as { size: unknown }).size);
    },
    reclaim: () => Promise.resolve(),
    async close() {
      await client.end();
    },
  };
  try {
    await prepareStore(connection, shown, create);
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot open the store ${shown}: ${(error as Error).message}`);
  }
  return connection;
}
