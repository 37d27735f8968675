/** The shapes of the rows the SQL writer inserts, and their sizes (`stored_bytes`). */
import type { SqlValue } from './sql-connection.js';

export const EVENT_COLUMNS =
  'flow_id, kind, sequence, direction, time, line, compressed, wire_length, length, payload, raw, anomalies, view, text';
export const EVENT_WIDTH = 14;
/** Rows per multi-row INSERT: a round trip per 64 messages on PostgreSQL instead of one each. */
export const ROWS_PER_INSERT = 64;

export const FLOW_COLUMNS =
  'id, protocol, state, flow_type, service, method, path, authority, http_version, content_type, timeout, status, status_name, status_message, started_at, ended_at, duration_ms, request_messages, response_messages, request_bytes, response_bytes, client_address, client_port, origin, connection, request_headers, response_headers, trailers, error, stored_bytes';
export const FLOW_WIDTH = 30;
export const FLOW_INDEX: ReadonlyMap<string, number> = new Map(
  FLOW_COLUMNS.split(', ').map((name, index) => [name, index]),
);
/** Flow rows per multi-row INSERT. */
export const FLOWS_PER_INSERT = 32;

/** One `events` row; what is left out is NULL. */
export interface EventValues {
  readonly flowId: string | null;
  readonly kind: string;
  readonly time: number;
  readonly sequence?: number | null;
  readonly direction?: string | null;
  readonly line?: string | null;
  readonly compressed?: number | null;
  readonly wireLength?: number | null;
  readonly length?: number | null;
  readonly payload?: Uint8Array | null;
  readonly raw?: Uint8Array | null;
  readonly anomalies?: string | null;
  readonly view?: string | null;
  readonly text?: string | null;
}

/** What a row costs beyond its values, roughly (row header, index entries). */
export const ROW_OVERHEAD = 48;

export function sizeOfRow(row: readonly SqlValue[], from: number, to: number): number {
  let bytes = ROW_OVERHEAD;
  for (let i = from; i < to; i++) {
    const value = row[i];
    if (typeof value === 'string') bytes += value.length;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (value !== null && value !== undefined) bytes += 8;
  }
  return bytes;
}

export function placeholders(rows: number, width: number): string {
  const row = `(${new Array<string>(width).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(row).join(', ');
}
