import type { HttpExchange } from '../flow/http-exchange.js';
import type { FlowSink } from '../flow/observer-hub.js';
import type { Anomaly, GrpcEnvelope } from '../grpc/grpc-envelope.js';
import type { Direction } from '../http2/channel-event.js';
import { formatGrpcLine } from './format-grpc-line.js';
import { encodeGrpcRecordLine, serializeRecord, toGrpcRecord } from './grpc-record.js';
import { formatHttpLine, toHttpRecord } from './http-record.js';
import type { LineWriter } from './line-writer.js';

/** A readable view of a message (see `src/schema`). */
export interface DecodedView {
  readonly decoded: unknown;
  readonly decodedAs: 'schema' | 'schemaless';
  readonly anomalies: readonly Anomaly[];
  /** One line for the text tail. */
  readonly preview: string;
  /** Long strings of `decoded` that JSON holds without escapes, written without a scan. */
  readonly plainStrings?: readonly string[];
}

/** What the sink needs from message decoding; absent means payloads stay bytes. */
export interface PayloadDecoder {
  decodeMessage(
    path: string,
    authority: string,
    direction: Direction,
    payload: Uint8Array,
  ): DecodedView;
  decodeStatusDetails(bytes: Uint8Array, path: string, authority: string): DecodedView;
}

export interface OutputSinkOptions {
  readonly format: 'text' | 'json';
  /** stdout. */
  readonly tail: LineWriter;
  /** `--record FILE`, or null. */
  readonly record: LineWriter | null;
  readonly color: boolean;
  readonly decoder: PayloadDecoder | null;
}

interface OpenCall {
  readonly name: string;
  /** Protobuf payloads only: `application/grpc+json` messages are not protobuf. */
  readonly protobuf: boolean;
  readonly path: string;
  readonly authority: string;
}

/**
 * Writes every observation to the tail (text lines or NDJSON) and the record file (NDJSON with
 * full payloads). A record is encoded once, as UTF-8 bytes, and shared when both want JSON.
 */
export function createOutputSink(options: OutputSinkOptions): FlowSink {
  const { tail, record, format, color, decoder } = options;
  const calls = new Map<string, OpenCall>();
  const wantJson = format === 'json' || record !== null;

  return {
    grpc(envelope: GrpcEnvelope) {
      if (envelope.kind === 'start' && envelope.direction === 'send') {
        const name =
          envelope.service === '' ? envelope.path : `${envelope.service}/${envelope.method}`;
        const subtype =
          /^application\/grpc(?:\+([^;\s]*))?/i.exec(envelope.contentType)?.[1] ?? 'proto';
        calls.set(envelope.flowId, {
          name,
          protobuf: subtype.toLowerCase() === 'proto',
          path: envelope.path,
          authority: envelope.authority,
        });
      }
      const call = calls.get(envelope.flowId);
      if (envelope.kind === 'flow') calls.delete(envelope.flowId);

      let view: DecodedView | null = null;
      let extra: Record<string, unknown> | undefined;
      if (decoder && call) {
        if (envelope.kind === 'data' && envelope.payload && call.protobuf) {
          view = decoder.decodeMessage(
            call.path,
            call.authority,
            envelope.direction,
            envelope.payload,
          );
          extra = { decoded: view.decoded, decodedAs: view.decodedAs, anomalies: view.anomalies };
        } else if (envelope.kind === 'end' && envelope.statusDetails) {
          // grpc-status-details-bin is a protobuf google.rpc.Status whatever the call's codec.
          view = decoder.decodeStatusDetails(envelope.statusDetails, call.path, call.authority);
        }
      }
      if (wantJson) {
        let line: Buffer;
        if (envelope.kind === 'end' && view) {
          const json = toGrpcRecord(envelope) as unknown as Record<string, unknown>;
          json.statusDetailsDecoded = view.decoded;
          line = Buffer.from(serializeRecord(json), 'utf8');
        } else {
          line = encodeGrpcRecordLine(envelope, extra, view?.plainStrings);
        }
        record?.write(line);
        if (format === 'json') tail.write(line);
      }
      if (format === 'text') {
        const text = formatGrpcLine(envelope, {
          color,
          ...(call ? { call: call.name } : {}),
          ...(view && envelope.kind === 'data' ? { decodedPreview: view.preview } : {}),
        });
        tail.write(`${text}\n`);
      }
    },
    http(exchange: HttpExchange) {
      if (wantJson) {
        const line = Buffer.from(serializeRecord(toHttpRecord(exchange)), 'utf8');
        record?.write(line);
        if (format === 'json') tail.write(line);
      }
      if (format === 'text') tail.write(`${formatHttpLine(exchange, color)}\n`);
    },
  };
}
