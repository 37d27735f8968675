import { compileFilterSql } from '../filter/compile-filter-sql.js';
import type { FilterNode } from '../filter/filter-ast.js';
import { openStoreConnection } from './open-store-connection.js';
import { redactStoreLocation } from './redact-url.js';
import type { SqlConnection, SqlRow } from './sql-connection.js';
import { StoreError } from './store-error.js';

/** One row of `flows` as stored (docs/store.md has every column). */
export interface FlowRow {
  readonly id: string;
  readonly protocol: 'grpc' | 'http';
  readonly state: 'active' | 'complete' | 'error';
  readonly flow_type: string | null;
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly http_version: string | null;
  readonly content_type: string | null;
  readonly timeout: string | null;
  readonly status: number | null;
  readonly status_name: string | null;
  readonly status_message: string | null;
  readonly started_at: number;
  readonly ended_at: number | null;
  readonly duration_ms: number | null;
  readonly request_messages: number;
  readonly response_messages: number;
  readonly request_bytes: number;
  readonly response_bytes: number;
  readonly lost_events: number;
  readonly client_address: string | null;
  readonly client_port: number | null;
  readonly origin: string;
  readonly connection: string | null;
  readonly request_headers: string | null;
  readonly response_headers: string | null;
  readonly trailers: string | null;
  readonly error: string | null;
}

/** One row of `events`. */
export interface EventRow {
  readonly id: number;
  readonly flow_id: string | null;
  readonly kind: 'start' | 'data' | 'end' | 'flow' | 'http' | 'body' | 'earlyResets' | 'gap';
  readonly sequence: number | null;
  readonly direction: 'send' | 'receive' | null;
  readonly time: number;
  readonly line: string | null;
  readonly compressed: number | null;
  readonly wire_length: number | null;
  readonly length: number | null;
  readonly payload: Uint8Array | null;
  readonly raw: Uint8Array | null;
  readonly anomalies: string | null;
  readonly view: string | null;
  /** The flow's content type (joined from `flows`), to make a view the store did not keep. */
  readonly content_type: string | null;
}

export interface StoreReader {
  /** The newest `limit` flows that match, oldest first. */
  listFlows(filter: FilterNode, limit: number): Promise<FlowRow[]>;
  /**
   * Flows that finished (or were stored whole) after `mark`, oldest first, with the mark to
   * pass next time. `mark` 0 starts from now.
   */
  finishedSince(filter: FilterNode, mark: number): Promise<{ flows: FlowRow[]; mark: number }>;
  /** The current end of the event log (a mark for `finishedSince`). */
  lastMark(): Promise<number>;
  /** The flow whose id is `prefix` or starts with it; a `StoreError` for none or several. */
  findFlow(prefix: string): Promise<FlowRow>;
  /** Every event of one flow, in stored order. */
  eventsOf(flowId: string): Promise<EventRow[]>;
  /**
   * The events of every matching flow in stored order, `pageSize` at a time (keyset pages, so a
   * big export holds one page); with no filter, the records of no flow (gaps, early resets) too.
   */
  exportEvents(filter: FilterNode, pageSize?: number): AsyncGenerator<EventRow>;
  /** Every matching flow, oldest first, `pageSize` rows per query. */
  iterateFlows(filter: FilterNode, pageSize?: number): AsyncGenerator<FlowRow>;
  /** Gap records in the store (the store's writer could not keep up), for a notice. */
  countGaps(): Promise<number>;
  close(): Promise<void>;
}

/** Opens an existing store for reading (`grpctap flows`, `show`, `export`). */
export async function openStoreReader(location: string): Promise<StoreReader> {
  const connection = await openStoreConnection(location, false);
  return createStoreReader(connection, redactStoreLocation(location));
}

function asFlow(row: SqlRow): FlowRow {
  return row as unknown as FlowRow;
}

/** The store reader over an open connection. */
export function createStoreReader(connection: SqlConnection, shown: string): StoreReader {
  const where = (filter: FilterNode) => compileFilterSql(filter, connection.dialect);
  return {
    async listFlows(filter, limit) {
      const { where: clause, params } = where(filter);
      const rows = await connection.all(
        `SELECT f.* FROM flows f WHERE ${clause} ORDER BY f.started_at DESC, f.id DESC LIMIT ${Math.floor(limit)}`,
        params,
      );
      return rows.map(asFlow).reverse();
    },
    async finishedSince(filter, mark) {
      const { where: clause, params } = where(filter);
      const rows = await connection.all(
        `SELECT f.*, e.id AS grpctap_mark FROM events e JOIN flows f ON f.id = e.flow_id WHERE e.kind IN ('flow', 'http') AND e.id > ? AND ${clause} ORDER BY e.id`,
        [mark, ...params],
      );
      const last = rows.length === 0 ? mark : Number(rows[rows.length - 1]?.grpctap_mark);
      return { flows: rows.map(asFlow), mark: last };
    },
    async lastMark() {
      const rows = await connection.all('SELECT MAX(id) AS mark FROM events');
      return Number(rows[0]?.mark ?? 0);
    },
    async findFlow(prefix) {
      const pattern = `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      const rows = await connection.all(
        "SELECT * FROM flows WHERE id LIKE ? ESCAPE '\\' ORDER BY started_at LIMIT 2",
        [pattern],
      );
      if (rows.length === 0) throw new StoreError(`no flow ${JSON.stringify(prefix)} in ${shown}`);
      if (rows.length > 1) {
        throw new StoreError(
          `${JSON.stringify(prefix)} is the start of several flows in ${shown}; give more of the id`,
        );
      }
      return asFlow(rows[0] as SqlRow);
    },
    async eventsOf(flowId) {
      return (await connection.all(
        'SELECT e.*, f.content_type AS content_type FROM events e LEFT JOIN flows f ON f.id = e.flow_id WHERE e.flow_id = ? ORDER BY e.id',
        [flowId],
      )) as unknown as EventRow[];
    },
    async *exportEvents(filter, pageSize = 500) {
      const { where: clause, params } = where(filter);
      const flowless = filter.kind === 'all' ? ' OR e.flow_id IS NULL' : '';
      let after = 0;
      for (;;) {
        const rows = (await connection.all(
          `SELECT e.*, c.content_type AS content_type FROM events e LEFT JOIN flows c ON c.id = e.flow_id WHERE e.id > ? AND (e.flow_id IN (SELECT f.id FROM flows f WHERE ${clause})${flowless}) ORDER BY e.id LIMIT ${pageSize}`,
          [after, ...params],
        )) as unknown as EventRow[];
        for (const row of rows) yield row;
        if (rows.length < pageSize) return;
        after = Number(rows[rows.length - 1]?.id);
      }
    },
    async *iterateFlows(filter, pageSize = 500) {
      const { where: clause, params } = where(filter);
      let afterTime = Number.MIN_SAFE_INTEGER;
      let afterId = '';
      for (;;) {
        const rows = (
          await connection.all(
            `SELECT f.* FROM flows f WHERE (f.started_at > ? OR (f.started_at = ? AND f.id > ?)) AND ${clause} ORDER BY f.started_at, f.id LIMIT ${pageSize}`,
            [afterTime, afterTime, afterId, ...params],
          )
        ).map(asFlow);
        for (const row of rows) yield row;
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < pageSize) return;
        afterTime = last.started_at;
        afterId = last.id;
      }
    },
    async countGaps() {
      const rows = await connection.all("SELECT COUNT(*) AS n FROM events WHERE kind = 'gap'");
      return Number(rows[0]?.n ?? 0);
    },
    close: () => connection.close(),
  };
}
