import type { HeaderList } from '../http2/channel-event.js';
import type { FlowRow } from '../store/store-reader.js';

function parseJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

/**
 * A stored flow as `grpctap flows --json` prints it (one object per line, docs/store.md): the
 * summary in record-style names, times in ISO 8601.
 */
export function toFlowJson(row: FlowRow): Record<string, unknown> {
  return {
    flowId: row.id,
    protocol: row.protocol,
    state: row.state,
    flowType: row.flow_type,
    time: new Date(row.started_at).toISOString(),
    endTime: row.ended_at === null ? null : new Date(row.ended_at).toISOString(),
    durationMs: row.duration_ms,
    service: row.service,
    method: row.method,
    path: row.path,
    authority: row.authority,
    httpVersion: row.http_version,
    status: row.status,
    statusName: row.status_name,
    message: row.status_message,
    requestMessages: row.request_messages,
    responseMessages: row.response_messages,
    requestBytes: row.request_bytes,
    responseBytes: row.response_bytes,
    lostEvents: row.lost_events,
    client: row.client_address === null ? null : `${row.client_address}:${row.client_port ?? ''}`,
    origin: row.origin,
    error: parseJson<unknown>(row.error, null),
    connection: parseJson<unknown>(row.connection, null),
  };
}

/** The header lists of a stored flow. */
export function headersOf(row: FlowRow): {
  request: HeaderList;
  response: HeaderList | null;
  trailers: HeaderList;
} {
  return {
    request: parseJson<HeaderList>(row.request_headers, []),
    response: parseJson<HeaderList | null>(row.response_headers, null),
    trailers: parseJson<HeaderList>(row.trailers, []),
  };
}
