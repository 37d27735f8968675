import type { HeaderList } from '../http2/channel-event.js';
import { formatDuration, formatGrpcTimeout } from '../output/format-duration.js';
import { escapeControls, formatHeaderLines } from '../output/format-header-lines.js';
import type { EventRow, FlowRow } from '../store/store-reader.js';
import { readView, toDataEnvelope } from './event-envelope.js';
import { headersOf, toFlowJson } from './flow-json.js';
import { formatBytes, formatFlowName, formatOutcome } from './format-flow-table.js';

/** Longest decoded view `show` prints per message; `--json` has all of it. */
const MAX_VIEW_CHARS = 4000;

export interface DetailOptions {
  readonly showSecrets: boolean;
}

function section(title: string, headers: HeaderList | null, options: DetailOptions): string {
  if (headers === null || headers.length === 0) return `${title}: none\n`;
  return `${title}:\n${formatHeaderLines(headers, '  ', options)}`;
}

function describeConnection(row: FlowRow): string[] {
  if (row.connection === null) return [];
  const c = JSON.parse(row.connection) as {
    id: string;
    tunnel: string | null;
    sni: string | null;
    alpn: string | null;
    tlsVersion: string | null;
    upstream: {
      host: string;
      port: number;
      tls: boolean;
      address: string | null;
      addressPort: number | null;
      alpn: string | null;
      tlsVersion: string | null;
    } | null;
  };
  const client = [
    `connection ${c.id}`,
    c.tunnel === null ? null : `tunnel to ${c.tunnel}`,
    c.sni === null ? null : `SNI ${c.sni}`,
    c.alpn === null ? null : `ALPN ${c.alpn}`,
    c.tlsVersion ?? 'cleartext',
  ].filter((part) => part !== null);
  const lines = [
    `client     ${row.client_address ?? '?'}:${row.client_port ?? '?'} (${client.join(', ')})`,
  ];
  const up = c.upstream;
  if (up !== null) {
    const reached = up.address === null ? 'not connected' : `${up.address}:${up.addressPort ?? ''}`;
    const how = [up.alpn, up.tls ? (up.tlsVersion ?? 'TLS') : 'cleartext']
      .filter(Boolean)
      .join(', ');
    lines.push(`upstream   ${up.host}:${up.port} → ${reached} (${how})`);
  }
  return lines;
}

/** A message line: `#3 ← +12.5ms 1.2KiB compressed type` then its decoded view, indented. */
function formatMessage(event: EventRow, start: number): string {
  const arrow = event.direction === 'send' ? '→' : '←';
  const view = readView(event);
  const facts = [
    `#${event.sequence ?? '?'}`,
    arrow,
    `+${formatDuration(Math.max(0, event.time - start))}`,
    formatBytes(event.length ?? event.wire_length ?? 0),
    event.compressed === 1 ? 'compressed' : null,
    view?.typeName ?? (view?.decodedAs === 'schemaless' ? 'schemaless' : null),
  ].filter((part) => part !== null);
  let text: string;
  if (view !== null) text = JSON.stringify(view.decoded);
  else if (event.payload === null) text = '(not decodable: see the raw bytes with --json)';
  else
    text = `(${event.payload.byteLength} bytes, no decoded view) ${Buffer.from(event.payload.subarray(0, 48)).toString('hex')}`;
  if (text.length > MAX_VIEW_CHARS)
    text = `${text.slice(0, MAX_VIEW_CHARS)}… (${text.length} characters; --json has all)`;
  return `  ${facts.join(' ')}\n    ${escapeControls(text)}\n`;
}

function formatBody(event: EventRow): string {
  const direction = event.direction === 'send' ? 'request body' : 'response body';
  const bytes = event.payload === null ? new Uint8Array(0) : new Uint8Array(event.payload);
  const size = event.length ?? bytes.byteLength;
  const kept = bytes.byteLength < size ? `, first ${formatBytes(bytes.byteLength)} kept` : '';
  const text = new TextDecoder().decode(bytes.subarray(0, MAX_VIEW_CHARS));
  return `${direction} (${formatBytes(size)}${kept}):\n  ${escapeControls(text)}\n`;
}

/** `grpctap show FLOW`: everything stored about one flow, for people. Credentials masked. */
export function formatFlowDetail(
  row: FlowRow,
  events: readonly EventRow[],
  options: DetailOptions,
): string {
  const headers = headersOf(row);
  const out: string[] = [];
  const kind =
    row.protocol === 'grpc'
      ? `gRPC ${row.flow_type ?? ''}`.trim()
      : `HTTP/${row.http_version ?? '?'}`;
  out.push(`flow       ${row.id} (${kind}, ${row.state})\n`);
  out.push(`call       ${escapeControls(formatFlowName(row))}\n`);
  if (row.protocol === 'grpc') out.push(`authority  ${escapeControls(row.authority)}\n`);
  const outcome = formatOutcome(row);
  const code = row.protocol === 'grpc' && row.status !== null ? ` (${row.status})` : '';
  const message = row.status_message ? ` ${JSON.stringify(row.status_message)}` : '';
  out.push(`status     ${outcome}${code}${message}\n`);
  const duration = row.duration_ms === null ? 'still running' : formatDuration(row.duration_ms);
  out.push(`time       ${new Date(row.started_at).toISOString()} (${duration})\n`);
  if (row.timeout !== null) out.push(`timeout    ${formatGrpcTimeout(row.timeout)}\n`);
  for (const line of describeConnection(row)) out.push(`${line}\n`);
  out.push(`origin     ${row.origin}\n`);
  if (row.error !== null) {
    const error = JSON.parse(row.error) as { code: string; reason: string; side: string };
    out.push(`error      ${error.code} (${error.side}): ${escapeControls(error.reason)}\n`);
  }
  if (row.lost_events > 0) {
    out.push(
      `lost       ${row.lost_events} message(s) not stored: the store could not keep up (see the gap records)\n`,
    );
  }
  out.push(section('request headers', headers.request, options));
  out.push(section('response headers', headers.response, options));
  const messages = events.filter((event) => event.kind === 'data');
  if (row.protocol === 'grpc') {
    out.push(
      messages.length === 0
        ? 'messages: none\n'
        : `messages (${row.request_messages} →, ${row.response_messages} ←):\n`,
    );
    for (const event of messages) out.push(formatMessage(event, row.started_at));
  }
  for (const event of events) if (event.kind === 'body') out.push(formatBody(event));
  out.push(section('trailers', headers.trailers, options));
  return out.join('');
}

/** `grpctap show FLOW --json`: the flow, its header lists and every message with its bytes. */
export function toFlowDetailJson(
  row: FlowRow,
  events: readonly EventRow[],
): Record<string, unknown> {
  const headers = headersOf(row);
  const base64 = (bytes: Uint8Array | null): string | null =>
    bytes === null ? null : Buffer.from(bytes).toString('base64');
  return {
    ...toFlowJson(row),
    timeout: row.timeout,
    contentType: row.content_type,
    requestHeaders: headers.request,
    responseHeaders: headers.response,
    trailers: headers.trailers,
    messages: events
      .filter((event) => event.kind === 'data')
      .map((event) => {
        const view = readView(event);
        return {
          sequence: event.sequence,
          direction: event.direction,
          time: new Date(event.time).toISOString(),
          offsetMs: event.time - row.started_at,
          compressed: event.compressed === 1,
          wireLength: event.wire_length,
          length: event.length,
          payload: base64(event.payload),
          raw: base64(toDataEnvelope(event).raw),
          decoded: view?.decoded ?? null,
          decodedAs: view?.decodedAs ?? null,
          typeName: view?.typeName ?? null,
        };
      }),
    bodies: events
      .filter((event) => event.kind === 'body')
      .map((event) => ({
        direction: event.direction,
        size: event.length,
        kept: base64(event.payload),
      })),
  };
}
