import { escapeControls } from '../output/format-header-lines.js';
import { formatDuration } from '../output/format-duration.js';
import type { FlowRow } from '../store/store-reader.js';

/** `1.2KiB`-style sizes for the table. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

/** What the table's status column says: the gRPC status name, the HTTP status, or the state. */
export function formatOutcome(row: FlowRow): string {
  if (row.state === 'active') return 'active';
  if (row.protocol === 'grpc') {
    if (row.status_name !== null) return row.status_name;
    if (row.status !== null) return String(row.status);
  } else if (row.status !== null) {
    return String(row.status);
  }
  if (row.error !== null) {
    const { code } = JSON.parse(row.error) as { code?: string };
    return code ?? 'error';
  }
  return row.state;
}

/** The call's name: `service/method`, or `METHOD authority/path` for plain HTTP. */
export function formatFlowName(row: FlowRow): string {
  if (row.protocol === 'http') return `${row.method} ${row.authority}${row.path}`;
  return row.service === '' ? row.path : `${row.service}/${row.method}`;
}

const HEADINGS = ['TIME', 'FLOW', 'CALL', 'STATUS', 'DURATION', 'MSGS →/←', 'BYTES →/←'];

/**
 * The `grpctap flows` table: one row per flow (time, short id, call, status, duration, messages
 * and bytes each way), columns padded to their widest cell. Newest last, as given.
 */
export function formatFlowTable(rows: readonly FlowRow[], withHeading = true): string {
  const cells = rows.map((row) => [
    new Date(row.started_at).toISOString().replace('T', ' ').slice(0, 23),
    row.id.slice(0, 8),
    escapeControls(formatFlowName(row)),
    formatOutcome(row),
    row.duration_ms === null ? '-' : formatDuration(row.duration_ms),
    row.protocol === 'grpc' ? `${row.request_messages}/${row.response_messages}` : '-',
    `${formatBytes(row.request_bytes)}/${formatBytes(row.response_bytes)}`,
  ]);
  const table = withHeading ? [HEADINGS, ...cells] : cells;
  const widths = HEADINGS.map((_, column) =>
    Math.max(...table.map((line) => (line[column] ?? '').length)),
  );
  return table
    .map((line) =>
      line
        .map((cell, column) =>
          column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
        )
        .join('  '),
    )
    .map((line) => `${line}\n`)
    .join('');
}
