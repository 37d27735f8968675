/**
 * The NDJSON line of each pipeline item, as UTF-8 bytes: what `--output json` and `--record FILE`
 * write. A gRPC item's line is encoded once and shared by every sink that writes it.
 */
import type { GrpcFlowItem } from '../flow/grpc-flow-item.js';
import type { HttpExchange } from '../flow/http-exchange.js';
import { encodeGrpcRecordLine, serializeRecord, toGrpcRecord } from './grpc-record.js';
import { toHttpRecord } from './http-record.js';

/** The line of a gRPC item, with its decoded view when there is one (`decoded`, `statusDetailsDecoded`). */
export function encodeGrpcItemLine(item: GrpcFlowItem): Uint8Array {
  if (item.recordLine !== null) return item.recordLine;
  const { envelope } = item;
  const view = item.decodedView();
  let line: Buffer;
  if (view === null) {
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
