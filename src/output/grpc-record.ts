/**
 * gRPC records: the JSON objects of `--output json` and `--record FILE`, one per envelope. The
 * field names are the public contract (ARCHITECTURE §4, `docs/records.md`,
 * `docs/record.schema.json`).
 */
import type { Anomaly, GrpcData, GrpcEnvelope, GrpcError } from '../grpc/grpc-envelope.js';
import { assertNever, type Direction, type HeaderList } from '../http2/channel-event.js';
import { encodeBase64 } from './encode-base64.js';
import { appendJson, LineBuilder } from './line-builder.js';

interface RecordBase {
  readonly protocol: 'grpc';
  /** ISO 8601, UTC, millisecond precision. */
  readonly time: string;
  readonly flowId: string;
}

interface SequencedRecordBase extends RecordBase {
  readonly sequence: number;
  readonly direction: Direction;
}

export interface GrpcStartRecord extends SequencedRecordBase {
  readonly event: 'start';
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly contentType: string;
  readonly encoding: string | null;
  readonly acceptEncoding: string | null;
  readonly timeout: string | null;
  readonly metadata: HeaderList;
  readonly headers: HeaderList;
}

export interface GrpcDataRecord extends SequencedRecordBase {
  readonly event: 'data';
  readonly compressed: boolean;
  readonly wireLength: number;
  readonly length: number | null;
  /** Base64 of the decompressed message; null when it could not be decoded. */
  readonly payload: string | null;
  /** Base64 of the wire bytes (prefix included). */
  readonly raw: string;
  /** Present only when non-empty. */
  readonly anomalies?: readonly Anomaly[];
  /** Present (true) only when an output cap cut `payload` or `raw`. */
  readonly payloadTruncated?: true;
  /** Fields added by later stages (e.g. `decoded`, `decodedAs` from schema decoding). */
  readonly [extra: string]: unknown;
}

export interface GrpcEndRecord extends SequencedRecordBase {
  readonly event: 'end';
  readonly status: number | null;
  readonly statusName: string | null;
  readonly message: string;
  /** Base64 of `grpc-status-details-bin`. */
  readonly statusDetails: string | null;
  readonly trailers: HeaderList;
  readonly synthetic: boolean;
  readonly raw: HeaderList | null;
  readonly error: GrpcError | null;
}

export interface GrpcFlowRecord extends RecordBase {
  readonly event: 'flow';
  readonly flowType: 'unary' | 'stream' | 'bidirectional';
  readonly state: 'complete' | 'error';
  readonly service: string;
  readonly method: string;
  readonly status: number | null;
  readonly requestMessages: number;
  readonly responseMessages: number;
  readonly durationMs: number;
}

export type GrpcRecord = GrpcStartRecord | GrpcDataRecord | GrpcEndRecord | GrpcFlowRecord;

export interface GrpcRecordOptions {
  /**
   * Cut `payload` and `raw` to at most this many bytes (before base64) and mark the record
   * `payloadTruncated: true`. Unset: full bytes (what `--record` files always get).
   */
  readonly maxPayloadBytes?: number;
}

let lastTime = Number.NaN;
let lastIso = '';

/**
 * ISO 8601 of a millisecond time. The records of one call usually share their millisecond, so
 * the last result is kept.
 */
function formatTime(time: number): string {
  if (time !== lastTime) {
    lastIso = new Date(time).toISOString();
    lastTime = time;
  }
  return lastIso;
}

/**
 * The fields of a data record in their JSON order, with `payload` and `raw` still as bytes (cut
 * to the cap): `toGrpcRecord` turns them into base64 strings, `encodeGrpcRecordLine` writes their
 * base64 straight into the line.
 */
function buildDataFields(
  envelope: GrpcData,
  extra: Readonly<Record<string, unknown>> | undefined,
  maxPayloadBytes: number,
): Record<string, unknown> {
  const { payload, raw } = envelope;
  const cutPayload = payload !== null && payload.length > maxPayloadBytes;
  const cutRaw = raw.length > maxPayloadBytes;
  const record: Record<string, unknown> = {
    protocol: 'grpc',
    event: 'data',
    time: formatTime(envelope.time),
    flowId: envelope.flowId,
    sequence: envelope.sequence,
    direction: envelope.direction,
    compressed: envelope.compressed,
    wireLength: envelope.wireLength,
    length: envelope.length,
    payload: payload === null ? null : cutPayload ? payload.subarray(0, maxPayloadBytes) : payload,
    raw: cutRaw ? raw.subarray(0, maxPayloadBytes) : raw,
  };
  const extraAnomalies = extra?.anomalies;
  const anomalies = Array.isArray(extraAnomalies)
    ? [...envelope.anomalies, ...(extraAnomalies as Anomaly[])]
    : envelope.anomalies;
  if (anomalies.length > 0) record.anomalies = anomalies;
  if (cutPayload || cutRaw) record.payloadTruncated = true;
  if (extra !== undefined) {
    // The contract fields win: a later stage may add fields but never change these.
    for (const [key, value] of Object.entries(extra)) {
      if (!(key in record) && key !== 'anomalies') record[key] = value;
    }
  }
  return record;
}

function buildDataRecord(
  envelope: GrpcData,
  extra: Readonly<Record<string, unknown>> | undefined,
  maxPayloadBytes: number,
): GrpcDataRecord {
  const record = buildDataFields(envelope, extra, maxPayloadBytes);
  record.raw = encodeBase64(record.raw as Uint8Array);
  if (record.payload !== null) record.payload = encodeBase64(record.payload as Uint8Array);
  return record as GrpcDataRecord;
}

/**
 * The record of one envelope.
 *
 * @param extra - fields merged into `data` records only (ignored for other events): keys the
 *   record already has are left alone, except `anomalies`, which is appended to the envelope's.
 */
export function toGrpcRecord(
  envelope: GrpcEnvelope,
  extra?: Readonly<Record<string, unknown>>,
  options?: GrpcRecordOptions,
): GrpcRecord {
  const time = formatTime(envelope.time);
  switch (envelope.kind) {
    case 'start':
      return {
        protocol: 'grpc',
        event: 'start',
        time,
        flowId: envelope.flowId,
        sequence: envelope.sequence,
        direction: envelope.direction,
        service: envelope.service,
        method: envelope.method,
        path: envelope.path,
        authority: envelope.authority,
        contentType: envelope.contentType,
        encoding: envelope.encoding,
        acceptEncoding: envelope.acceptEncoding,
        timeout: envelope.timeout,
        metadata: envelope.metadata,
        headers: envelope.headers,
      };
    case 'data':
      return buildDataRecord(envelope, extra, options?.maxPayloadBytes ?? Number.POSITIVE_INFINITY);
    case 'end':
      return {
        protocol: 'grpc',
        event: 'end',
        time,
        flowId: envelope.flowId,
        sequence: envelope.sequence,
        direction: envelope.direction,
        status: envelope.status,
        statusName: envelope.statusName,
        message: envelope.message,
        statusDetails:
          envelope.statusDetails === null ? null : encodeBase64(envelope.statusDetails),
        trailers: envelope.trailers,
        synthetic: envelope.synthetic,
        raw: envelope.raw,
        error: envelope.error,
      };
    case 'flow':
      return {
        protocol: 'grpc',
        event: 'flow',
        time,
        flowId: envelope.flowId,
        flowType: envelope.flowType,
        state: envelope.state,
        service: envelope.service,
        method: envelope.method,
        status: envelope.status,
        requestMessages: envelope.requestMessages,
        responseMessages: envelope.responseMessages,
        durationMs: envelope.durationMs,
      };
    default:
      return assertNever(envelope);
  }
}

/** One NDJSON line: the record as JSON followed by `\n`. */
export function serializeRecord(record: object): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Below this many wire bytes one `JSON.stringify` of the whole record is cheaper than writing the
 * base64 fields separately (measured at 100 bytes: 2.0 µs against 3.2 µs per line).
 */
const DIRECT_BASE64_MIN_BYTES = 1024;

/**
 * A data record's line as UTF-8. The base64 of `payload` and `raw` (most of a big record) is
 * copied into the line as is, and so are the long strings of the decoded view that need no
 * escaping (`plainStrings`). Skipping `JSON.stringify` and a second UTF-8 pass made the base64 of
 * a 16 KiB message about 3× cheaper to write, and a 16 KiB text of the view about 2.7× (24 → 9 µs
 * with the printable check that finds it plain).
 */
function encodeDataLine(
  fields: Readonly<Record<string, unknown>>,
  plainStrings: readonly string[],
): Buffer {
  const line = new LineBuilder();
  line.addText('{');
  let separator = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    const name = `${separator}${JSON.stringify(key)}:`;
    if ((key === 'payload' || key === 'raw') && value instanceof Uint8Array) {
      line.addText(`${name}"`);
      line.addAscii(encodeBase64(value));
      line.addText('"');
    } else if (!appendJson(line, name, value, key === 'decoded' ? plainStrings : [])) {
      // JSON.stringify leaves out keys whose value it cannot write (undefined, functions).
      continue;
    }
    separator = ',';
  }
  line.addText('}\n');
  return line.finish();
}

/**
 * The record of one envelope as an NDJSON line in UTF-8: byte for byte
 * `serializeRecord(toGrpcRecord(envelope, extra))`, built once as bytes so several outputs can
 * share it.
 *
 * @param plainStrings - strings of `extra.decoded` known to need no escaping in JSON (see
 *   `appendJson`); anything else in this list breaks the byte-for-byte promise.
 */
export function encodeGrpcRecordLine(
  envelope: GrpcEnvelope,
  extra?: Readonly<Record<string, unknown>>,
  plainStrings: readonly string[] = [],
): Buffer {
  if (envelope.kind === 'data' && envelope.raw.length >= DIRECT_BASE64_MIN_BYTES) {
    return encodeDataLine(buildDataFields(envelope, extra, Number.POSITIVE_INFINITY), plainStrings);
  }
  return Buffer.from(serializeRecord(toGrpcRecord(envelope, extra)), 'utf8');
}
