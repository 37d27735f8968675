/**
 * The few messages of gRPC server reflection that grpctap uses, written and read with the
 * `@bufbuild/protobuf` wire writer and reader, plus gRPC message framing for that one stream.
 *
 * Field numbers are those of `grpc/reflection/v1/reflection.proto`, identical in `v1alpha`:
 * https://github.com/grpc/grpc/blob/master/src/proto/grpc/reflection/v1/reflection.proto
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export type ReflectionRequest =
  | { readonly kind: 'fileContainingSymbol'; readonly symbol: string }
  | { readonly kind: 'fileByFilename'; readonly filename: string };

export type ReflectionResponse =
  /** `file_descriptor_response`: serialized FileDescriptorProtos. */
  | { readonly kind: 'files'; readonly files: readonly Uint8Array[] }
  /** `error_response`: a gRPC status code and message. */
  | { readonly kind: 'error'; readonly code: number; readonly message: string }
  /** Any other answer, or none of the above set. */
  | { readonly kind: 'other' };

const REQUEST_HOST = 1;
const REQUEST_FILE_BY_FILENAME = 3;
const REQUEST_FILE_CONTAINING_SYMBOL = 4;
const RESPONSE_FILE_DESCRIPTOR = 4;
const RESPONSE_ERROR = 7;
const FILE_DESCRIPTOR_PROTO = 1;
const ERROR_CODE = 1;
const ERROR_MESSAGE = 2;

/** Serializes a `ServerReflectionRequest`; `host` is left out when empty. */
export function encodeReflectionRequest(request: ReflectionRequest, host = ''): Uint8Array {
  const writer = new BinaryWriter();
  if (host !== '') writer.tag(REQUEST_HOST, WireType.LengthDelimited).string(host);
  switch (request.kind) {
    case 'fileByFilename':
      writer.tag(REQUEST_FILE_BY_FILENAME, WireType.LengthDelimited).string(request.filename);
      break;
    case 'fileContainingSymbol':
      writer.tag(REQUEST_FILE_CONTAINING_SYMBOL, WireType.LengthDelimited).string(request.symbol);
      break;
  }
  return writer.finish();
}

/** Parses a `ServerReflectionResponse`; a string describing the problem when malformed. */
export function decodeReflectionResponse(bytes: Uint8Array): ReflectionResponse | string {
  try {
    let response: ReflectionResponse = { kind: 'other' };
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo === RESPONSE_FILE_DESCRIPTOR && wireType === WireType.LengthDelimited) {
        response = {
          kind: 'files',
          files: readRepeatedBytes(reader.bytes(), FILE_DESCRIPTOR_PROTO),
        };
      } else if (fieldNo === RESPONSE_ERROR && wireType === WireType.LengthDelimited) {
        response = readError(reader.bytes());
      } else {
        reader.skip(wireType, fieldNo);
      }
    }
    return response;
  } catch (error) {
    return `malformed ServerReflectionResponse: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function readRepeatedBytes(bytes: Uint8Array, wanted: number): Uint8Array[] {
  const values: Uint8Array[] = [];
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === wanted && wireType === WireType.LengthDelimited) values.push(reader.bytes());
    else reader.skip(wireType, fieldNo);
  }
  return values;
}

function readError(bytes: Uint8Array): ReflectionResponse {
  let code = 0;
  let message = '';
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === ERROR_CODE && wireType === WireType.Varint) code = reader.int32();
    else if (fieldNo === ERROR_MESSAGE && wireType === WireType.LengthDelimited) {
      message = reader.string();
    } else reader.skip(wireType, fieldNo);
  }
  return { kind: 'error', code, message };
}

/** A gRPC length-prefixed message: flag byte 0 (not compressed), 4-byte big-endian length. */
export function encodeGrpcFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}

export type GrpcFrameResult =
  | { readonly kind: 'message'; readonly message: Uint8Array }
  | { readonly kind: 'error'; readonly reason: string };

/**
 * Reassembles gRPC messages from chunks that may split or join them anywhere, copying each byte
 * once. Messages longer than `maxMessageBytes`, and compressed ones, are errors (the request asks
 * for identity). After an error the reader returns nothing more.
 */
export function createGrpcFrameReader(maxMessageBytes: number): {
  push(chunk: Uint8Array): GrpcFrameResult[];
  /** Bytes received but not yet part of a complete message. */
  readonly pending: number;
} {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let failed = false;
  /** Removes and returns the first `count` buffered bytes (`count` <= `total`). */
  const take = (count: number): Uint8Array => {
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const head = chunks[0] as Uint8Array;
      const used = Math.min(head.length, count - filled);
      out.set(head.subarray(0, used), filled);
      filled += used;
      if (used === head.length) chunks.shift();
      else chunks[0] = head.subarray(used);
    }
    total -= count;
    return out;
  };
  const peekHeader = (): Uint8Array => {
    const header = take(5);
    chunks.unshift(header);
    total += 5;
    return header;
  };
  return {
    get pending() {
      return total;
    },
    push(chunk) {
      if (failed) return [];
      chunks.push(chunk);
      total += chunk.length;
      const results: GrpcFrameResult[] = [];
      while (total >= 5) {
        const header = peekHeader();
        const length = new DataView(header.buffer, header.byteOffset, 5).getUint32(1);
        const reason =
          header[0] !== 0
            ? 'compressed message'
            : length > maxMessageBytes
              ? `message of ${length} bytes exceeds ${maxMessageBytes}`
              : null;
        if (reason !== null) {
          failed = true;
          results.push({ kind: 'error', reason });
          break;
        }
        if (total < 5 + length) break;
        take(5);
        results.push({ kind: 'message', message: take(length) });
      }
      return results;
    },
  };
}
