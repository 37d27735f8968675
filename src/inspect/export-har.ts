import type { HeaderList } from '../http2/channel-event.js';
import type { EventRow, FlowRow } from '../store/store-reader.js';
import { readView, toDataEnvelope } from './event-envelope.js';
import { headersOf } from './flow-json.js';

/** HAR's `{ name, value }` header list, pseudo-headers left out (they are the request line). */
function harHeaders(list: HeaderList | null): { name: string; value: string }[] {
  return (list ?? [])
    .filter(([name]) => !name.startsWith(':'))
    .map(([name, value]) => ({ name, value }));
}

function find(list: HeaderList | null, name: string): string | undefined {
  return list?.find(([key]) => key.toLowerCase() === name)?.[1];
}

function urlOf(row: FlowRow, request: HeaderList): string {
  const scheme =
    find(request, ':scheme') ??
    (row.connection !== null &&
    (JSON.parse(row.connection) as { upstream: { tls: boolean } | null }).upstream?.tls === false
      ? 'http'
      : 'https');
  const path = row.path.startsWith('/') ? row.path : `/${row.path}`;
  return `${scheme}://${row.authority}${path}`;
}

/** The HAR `creator` and the opening of the document, up to the entries array. */
export function harPrologue(version: string): string {
  return `{"log":{"version":"1.2","creator":{"name":"grpctap","version":${JSON.stringify(version)}},"entries":[\n`;
}

export const HAR_EPILOGUE = '\n]}}\n';

/**
 * One HAR 1.2 entry. The request and response bodies are the bytes on the wire (for gRPC the
 * length-prefixed messages), base64; gRPC details are in extension fields (docs/store.md):
 * `_grpc` on the entry (service, method, status, status message, trailers and every message
 * with its direction, time offset, compression and decoded view), `_flowId`, `_state`.
 */
export function toHarEntry(row: FlowRow, events: readonly EventRow[]): Record<string, unknown> {
  const headers = headersOf(row);
  const messages = events.filter((event) => event.kind === 'data');
  const bodyOf = (direction: 'send' | 'receive'): Buffer => {
    if (row.protocol === 'http') {
      const body = events.find((event) => event.kind === 'body' && event.direction === direction);
      return body?.payload ? Buffer.from(body.payload) : Buffer.alloc(0);
    }
    return Buffer.concat(
      messages
        .filter((event) => event.direction === direction)
        .map((event) => toDataEnvelope(event).raw),
    );
  };
  const request = bodyOf('send');
  const response = bodyOf('receive');
  const httpVersion = row.protocol === 'grpc' ? 'HTTP/2' : `HTTP/${row.http_version ?? '1.1'}`;
  const status =
    row.protocol === 'grpc' ? Number(find(headers.response, ':status') ?? 0) : (row.status ?? 0);
  const entry: Record<string, unknown> = {
    startedDateTime: new Date(row.started_at).toISOString(),
    time: row.duration_ms ?? 0,
    request: {
      method: find(headers.request, ':method') ?? (row.protocol === 'http' ? row.method : 'POST'),
      url: urlOf(row, headers.request),
      httpVersion,
      cookies: [],
      headers: harHeaders(headers.request),
      queryString: [],
      postData: {
        mimeType: find(headers.request, 'content-type') ?? '',
        text: request.toString('base64'),
        _encoding: 'base64',
      },
      headersSize: -1,
      bodySize: row.request_bytes,
    },
    response: {
      status,
      statusText: '',
      httpVersion,
      cookies: [],
      headers: harHeaders(headers.response),
      content: {
        size: row.response_bytes,
        mimeType: find(headers.response, 'content-type') ?? '',
        text: response.toString('base64'),
        encoding: 'base64',
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: row.response_bytes,
    },
    cache: {},
    timings: { send: 0, wait: row.duration_ms ?? 0, receive: 0 },
    _flowId: row.id,
    _state: row.state,
  };
  if (row.connection !== null) {
    const connection = JSON.parse(row.connection) as {
      id: string;
      upstream: { address: string | null } | null;
    };
    entry.connection = connection.id;
    if (connection.upstream?.address) entry.serverIPAddress = connection.upstream.address;
  }
  if (row.protocol === 'grpc') {
    entry._grpc = {
      service: row.service,
      method: row.method,
      status: row.status,
      statusName: row.status_name,
      message: row.status_message,
      trailers: harHeaders(headers.trailers),
      error: row.error === null ? null : (JSON.parse(row.error) as unknown),
      messages: messages.map((event) => {
        const view = readView(event);
        return {
          sequence: event.sequence,
          direction: event.direction,
          offsetMs: event.time - row.started_at,
          compressed: event.compressed === 1,
          length: event.length,
          payload: event.payload === null ? null : Buffer.from(event.payload).toString('base64'),
          decoded: view?.decoded ?? null,
          decodedAs: view?.decodedAs ?? null,
          typeName: view?.typeName ?? null,
        };
      }),
    };
  }
  return entry;
}
