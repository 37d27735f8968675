import type { FlowItem } from '../flow/flow-sink.js';
import type { GrpcFlowItem } from '../flow/grpc-flow-item.js';
import type { DecodedView } from '../flow/payload-decoder.js';
import { assertNever } from '../http2/channel-event.js';
import { stringifyConnection } from '../output/connection-record.js';
import { encodeEarlyResetsLine } from '../output/early-resets-record.js';
import { encodeGrpcItemLine, encodeHttpExchangeLine } from '../output/record-line.js';
import { mustKeepView } from './derived-view.js';
import type { StoreOp } from './store-op.js';

/** A decoded view as the store keeps it (and the live tail's `msg` searches it). */
export function stringifyView(view: DecodedView): string {
  return JSON.stringify({
    decoded: view.decoded,
    decodedAs: view.decodedAs,
    anomalies: view.anomalies,
    ...(view.typeName === undefined ? {} : { typeName: view.typeName }),
  });
}

/** The record line of an item without its newline. */
function lineOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength - 1).toString('utf8');
}

/** True when `raw` is exactly the 5-byte uncompressed prefix followed by `payload`. */
export function isPlainFrame(
  raw: Uint8Array,
  payload: Uint8Array | null,
  compressed: boolean,
): boolean {
  if (compressed || payload === null || raw.byteLength !== payload.byteLength + 5 || raw[0] !== 0) {
    return false;
  }
  const length =
    ((raw[1] ?? 0) << 24) | ((raw[2] ?? 0) << 16) | ((raw[3] ?? 0) << 8) | (raw[4] ?? 0);
  if (length >>> 0 !== payload.byteLength) return false;
  if (payload.buffer === raw.buffer && payload.byteOffset === raw.byteOffset + 5) return true;
  return Buffer.compare(raw.subarray(5), payload) === 0;
}

function grpcOp(item: GrpcFlowItem, keepAllViews: boolean): StoreOp {
  const { envelope, call } = item;
  switch (envelope.kind) {
    case 'start':
      if (envelope.direction === 'receive') {
        return {
          op: 'grpcResponseStart',
          flowId: envelope.flowId,
          time: envelope.time,
          sequence: envelope.sequence,
          headers: envelope.headers,
          line: lineOf(encodeGrpcItemLine(item)),
        };
      }
      return {
        op: 'grpcStart',
        flowId: envelope.flowId,
        time: envelope.time,
        service: envelope.service,
        method: envelope.method,
        path: envelope.path,
        authority: envelope.authority,
        contentType: envelope.contentType,
        timeout: envelope.timeout,
        clientAddress: call.connection.clientAddress,
        clientPort: call.connection.clientPort,
        connection: stringifyConnection(call.connection, call.upstream),
        headers: envelope.headers,
        line: lineOf(encodeGrpcItemLine(item)),
      };
    case 'data': {
      const view = item.decodedView();
      const plain = isPlainFrame(envelope.raw, envelope.payload, envelope.compressed);
      return {
        op: 'grpcData',
        flowId: envelope.flowId,
        time: envelope.time,
        sequence: envelope.sequence,
        direction: envelope.direction,
        compressed: envelope.compressed,
        wireLength: envelope.wireLength,
        length: envelope.length,
        payload: envelope.payload === null ? null : envelope.payload,
        raw: plain ? null : envelope.raw,
        anomalies: envelope.anomalies.length === 0 ? null : JSON.stringify(envelope.anomalies),
        view: view !== null && (keepAllViews || mustKeepView(view)) ? stringifyView(view) : null,
        protobuf: call.protobuf,
      };
    }
    case 'end':
      return {
        op: 'grpcEnd',
        flowId: envelope.flowId,
        time: envelope.time,
        sequence: envelope.sequence,
        direction: envelope.direction,
        status: envelope.status,
        statusName: envelope.statusName,
        message: envelope.message,
        trailers: envelope.trailers,
        error: envelope.error === null ? null : JSON.stringify(envelope.error),
        line: lineOf(encodeGrpcItemLine(item)),
      };
    case 'flow':
      return {
        op: 'grpcFlow',
        flowId: envelope.flowId,
        time: envelope.time,
        flowType: envelope.flowType,
        state: envelope.state,
        status: envelope.status,
        requestMessages: envelope.requestMessages,
        responseMessages: envelope.responseMessages,
        durationMs: envelope.durationMs,
        connection: stringifyConnection(call.connection, call.upstream),
        line: lineOf(encodeGrpcItemLine(item)),
      };
    default:
      return assertNever(envelope);
  }
}

/**
 * The store op of one pipeline item. `keepAllViews` keeps every decoded view, also those the
 * store could make again (PostgreSQL, which cannot decode when it is queried).
 */
export function toStoreOp(item: FlowItem, keepAllViews = false): StoreOp {
  switch (item.kind) {
    case 'grpc':
      return grpcOp(item, keepAllViews);
    case 'http': {
      const exchange = item.exchange;
      return {
        op: 'http',
        flowId: exchange.flowId,
        time: exchange.time,
        httpVersion: exchange.httpVersion,
        method: exchange.method,
        path: exchange.path,
        authority: exchange.authority,
        status: exchange.status,
        state: exchange.error === null ? 'complete' : 'error',
        durationMs: exchange.durationMs,
        requestBytes: exchange.requestBytes,
        responseBytes: exchange.responseBytes,
        clientAddress: exchange.connection?.clientAddress ?? null,
        clientPort: exchange.connection?.clientPort ?? null,
        connection:
          exchange.connection === null
            ? null
            : stringifyConnection(exchange.connection, exchange.upstream),
        requestHeaders: exchange.requestHeaders,
        responseHeaders: exchange.responseHeaders,
        trailers: [...exchange.requestTrailers, ...exchange.responseTrailers],
        error: exchange.error === null ? null : JSON.stringify(exchange.error),
        requestBody: exchange.requestBody === null ? null : exchange.requestBody.bytes,
        requestBodySize: exchange.requestBody?.size ?? exchange.requestBytes,
        responseBody: exchange.responseBody === null ? null : exchange.responseBody.bytes,
        responseBodySize: exchange.responseBody?.size ?? exchange.responseBytes,
        line: lineOf(encodeHttpExchangeLine(exchange)),
      };
    }
    case 'earlyResets':
      return {
        op: 'record',
        kind: 'earlyResets',
        time: item.summary.until,
        line: lineOf(encodeEarlyResetsLine(item.summary)),
      };
    default:
      return assertNever(item);
  }
}

/** Roughly what an op holds, in bytes: what the sink's queue cap counts. */
export function opSize(op: StoreOp): number {
  switch (op.op) {
    case 'grpcData':
      return (
        128 + (op.payload?.byteLength ?? 0) + (op.raw?.byteLength ?? 0) + (op.view?.length ?? 0)
      );
    case 'http':
      return (
        256 +
        op.line.length +
        (op.requestBody?.byteLength ?? 0) +
        (op.responseBody?.byteLength ?? 0)
      );
    case 'lost':
      return 64;
    default:
      return 128 + op.line.length;
  }
}
