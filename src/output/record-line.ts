/**
 * The NDJSON line of each pipeline item, as UTF-8 bytes: what `--output json` and `--record FILE`
 * write. A gRPC item's line is encoded once and shared by every sink that writes it.
 */
import type { GapNotice } from '../flow/gap-tracker.js';
import type { GrpcFlowItem } from '../flow/grpc-flow-item.js';
import type { HttpExchange } from '../flow/http-exchange.js';
import { stringifyConnection } from './connection-record.js';
import { encodeGrpcRecordLine, serializeRecord, toGrpcRecord } from './grpc-record.js';
import { toHttpRecord } from './http-record.js';

/**
 * The line of a gRPC item: with its decoded view when there is one (`decoded`,
 * `statusDetailsDecoded`), and with `connection` on the request's `start` and on `flow`.
 */
export function encodeGrpcItemLine(item: GrpcFlowItem): Uint8Array {
  if (item.recordLine !== null) return item.recordLine;
  const { envelope } = item;
  const view = item.decodedView();
  let line: Buffer;
  if (envelope.kind === 'flow' || (envelope.kind === 'start' && envelope.direction === 'send')) {
    // The record's own fields, then `connection` as the last member.
    const text = serializeRecord(toGrpcRecord(envelope));
    const connection = stringifyConnection(item.call.connection, item.call.upstream);
    line = Buffer.from(`${text.slice(0, -2)},"connection":${connection}}\n`, 'utf8');
  } else if (view === null) {
    line = encodeGrpcRecordLine(envelope);
  } else if (envelope.kind === 'end') {
    const json = toGrpcRecord(envelope) as unknown as Record<string, unknown>;
    json.statusDetailsDecoded = view.decoded;
    line = Buffer.from(serializeRecord(json), 'utf8');
  } else {
    const extra = { decoded: view.decoded, decodedAs: view.decodedAs, anomalies: view.anomalies };
    line = encodeGrpcRecordLine(envelope, extra, view.plainStrings);
  }
  item.recordLine = line;
  return line;
}

/** The line of a plain HTTP exchange. */
export function encodeHttpExchangeLine(exchange: HttpExchange): Buffer {
  return Buffer.from(serializeRecord(toHttpRecord(exchange)), 'utf8');
}

/** The `gap` record: records a sink lost while it could not keep up (docs/records.md). */
export function toGapRecord(notice: GapNotice): Record<string, unknown> {
  return {
    protocol: 'grpctap',
    event: 'gap',
    time: new Date(notice.time).toISOString(),
    sink: notice.sink,
    lostRecords: notice.lostRecords,
    lostBytes: notice.lostBytes,
    from: new Date(notice.from).toISOString(),
    until: new Date(notice.until).toISOString(),
  };
}

/** The `gap` record's line. */
export function encodeGapLine(notice: GapNotice): string {
  return serializeRecord(toGapRecord(notice));
}
