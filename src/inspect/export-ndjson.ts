import { encodeGrpcRecordLine } from '../output/grpc-record.js';
import type { EventRow } from '../store/store-reader.js';
import { readView, toDataEnvelope } from './event-envelope.js';

/**
 * The NDJSON record line of one stored event (with its newline), byte for byte what `--record`
 * wrote for it; null for events that have no record of their own (plain HTTP bodies).
 */
export function exportEventLine(row: EventRow): string | Buffer | null {
  if (row.kind === 'body') return null;
  if (row.kind !== 'data') return row.line === null ? null : `${row.line}\n`;
  const envelope = toDataEnvelope(row);
  const view = readView(row);
  if (view === null) return encodeGrpcRecordLine(envelope);
  return encodeGrpcRecordLine(envelope, {
    decoded: view.decoded,
    decodedAs: view.decodedAs,
    anomalies: view.anomalies,
  });
}
