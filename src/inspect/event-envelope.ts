import type { GrpcData } from '../grpc/grpc-envelope.js';
import { deriveView } from '../store/derived-view.js';
import type { EventRow } from '../store/store-reader.js';

/** The 5-byte gRPC prefix of an uncompressed message of `length` bytes, then the message. */
function plainFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(payload.byteLength + 5);
  new DataView(frame.buffer).setUint32(1, payload.byteLength);
  frame.set(payload, 5);
  return frame;
}

/** A stored message as the envelope it was (raw bytes rebuilt where the store left them out). */
export function toDataEnvelope(row: EventRow): GrpcData {
  const payload = row.payload === null ? null : new Uint8Array(row.payload);
  const raw = row.raw !== null ? new Uint8Array(row.raw) : plainFrame(payload ?? new Uint8Array(0));
  return {
    kind: 'data',
    flowId: row.flow_id ?? '',
    time: row.time,
    sequence: row.sequence ?? 0,
    direction: row.direction ?? 'send',
    compressed: row.compressed === 1,
    wireLength: row.wire_length ?? 0,
    length: row.length,
    payload,
    raw,
    anomalies: row.anomalies === null ? [] : (JSON.parse(row.anomalies) as GrpcData['anomalies']),
  };
}

/** A stored decoded view: `decoded`, `decodedAs`, `anomalies` and `typeName` when known. */
export interface StoredView {
  readonly decoded: unknown;
  readonly decodedAs: 'schema' | 'schemaless';
  readonly anomalies: readonly { code: string; message: string }[];
  readonly typeName?: string;
}

/** The view stored with a message, or its schemaless view made again (`deriveView`). */
export function readView(row: EventRow): StoredView | null {
  if (row.view !== null) return JSON.parse(row.view) as StoredView;
  if (row.kind !== 'data') return null;
  const view = deriveView(
    row.payload === null ? null : new Uint8Array(row.payload),
    row.content_type,
  );
  return view === null
    ? null
    : { decoded: view.decoded, decodedAs: view.decodedAs, anomalies: view.anomalies };
}
