/**
 * Encoders for the frames the proxy emits itself (RFC 9113 §6). Each returns one Buffer holding
 * whole frames, ready to write. Arguments come from the proxy, not from a peer, so values out of
 * range are our bug and throw.
 */
import type { PriorityFields, Setting } from './decode-frame.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_BYTES,
  FrameFlag,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
} from './frame-constants.js';

function writeFrameHeader(
  target: Buffer,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  target[at] = length >>> 16;
  target[at + 1] = (length >>> 8) & 0xff;
  target[at + 2] = length & 0xff;
  target[at + 3] = type;
  target[at + 4] = flags;
  target.writeUInt32BE(streamId, at + 5);
}

function frameWith(type: number, flags: number, streamId: number, payloadLength: number): Buffer {
  checkStreamId(streamId);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLength);
  writeFrameHeader(frame, 0, payloadLength, type, flags, streamId);
  return frame;
}

/** RST_STREAM (§6.4) with any 32-bit error code. */
export function encodeRstStreamFrame(streamId: number, errorCode: number): Buffer {
  const frame = frameWith(FrameType.RST_STREAM, 0, streamId, 4);
  frame.writeUInt32BE(errorCode >>> 0, FRAME_HEADER_BYTES);
  return frame;
}

/** GOAWAY (§6.8); `debugData` as bytes, or text sent as UTF-8. */
export function encodeGoawayFrame(
  lastStreamId: number,
  errorCode: number,
  debugData: Uint8Array | string = '',
): Buffer {
  checkStreamId(lastStreamId);
  const debug = typeof debugData === 'string' ? Buffer.from(debugData, 'utf8') : debugData;
  const frame = frameWith(FrameType.GOAWAY, 0, 0, 8 + debug.length);
  frame.writeUInt32BE(lastStreamId, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(errorCode >>> 0, FRAME_HEADER_BYTES + 4);
  frame.set(debug, FRAME_HEADER_BYTES + 8);
  return frame;
}

/** WINDOW_UPDATE (§6.9); `increment` 1 ... 2^31-1 bytes, on a stream or (0) the connection. */
export function encodeWindowUpdateFrame(streamId: number, increment: number): Buffer {
  if (!Number.isInteger(increment) || increment < 1 || increment > 0x7fffffff) {
    throw new RangeError(`WINDOW_UPDATE increment out of range: ${increment}`);
  }
  const frame = frameWith(FrameType.WINDOW_UPDATE, 0, streamId, 4);
  frame.writeUInt32BE(increment, FRAME_HEADER_BYTES);
  return frame;
}

/** SETTINGS (§6.5) with the parameters in the given order. */
export function encodeSettingsFrame(settings: readonly Setting[]): Buffer {
  const frame = frameWith(FrameType.SETTINGS, 0, 0, settings.length * 6);
  settings.forEach(({ id, value }, index) => {
    frame.writeUInt16BE(id, FRAME_HEADER_BYTES + index * 6);
    frame.writeUInt32BE(value >>> 0, FRAME_HEADER_BYTES + index * 6 + 2);
  });
  return frame;
}

/** SETTINGS with ACK and no payload (§6.5.3). */
export function encodeSettingsAckFrame(): Buffer {
  return frameWith(FrameType.SETTINGS, FrameFlag.ACK, 0, 0);
}

/** PING (§6.7) with 8 opaque bytes; an answer sets `ack` and echoes the request's bytes. */
export function encodePingFrame(data: Uint8Array, ack: boolean): Buffer {
  if (data.length !== 8) throw new RangeError(`PING data must be 8 bytes, got ${data.length}`);
  const frame = frameWith(FrameType.PING, ack ? FrameFlag.ACK : 0, 0, 8);
  frame.set(data, FRAME_HEADER_BYTES);
  return frame;
}

export interface HeadersFrameOptions {
  readonly endStream?: boolean;
  /** The receiver's SETTINGS_MAX_FRAME_SIZE (default 16384): no frame payload exceeds it. */
  readonly maxFrameSize?: number;
  /** Stream dependency fields to carry (the PRIORITY flag, §6.2); none by default. */
  readonly priority?: PriorityFields;
}

/**
 * A complete header block as HEADERS followed by as many CONTINUATION frames as the receiver's
 * frame size requires (§4.3, §6.10); END_HEADERS on the last one, END_STREAM on the HEADERS.
 */
export function encodeHeadersFrames(
  streamId: number,
  block: Uint8Array,
  options: HeadersFrameOptions = {},
): Buffer {
  const maxFrameSize = checkMaxFrameSize(options.maxFrameSize);
  if (streamId === 0) throw new RangeError('HEADERS on stream 0');
  const prefix = options.priority ? 5 : 0;
  const first = Math.min(block.length, maxFrameSize - prefix);
  const rest = block.length - first;
  const continuations = Math.ceil(rest / maxFrameSize);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES * (1 + continuations) + prefix + block.length);
  const flags =
    (options.endStream ? FrameFlag.END_STREAM : 0) |
    (continuations === 0 ? FrameFlag.END_HEADERS : 0) |
    (options.priority ? FrameFlag.PRIORITY : 0);
  writeFrameHeader(out, 0, prefix + first, FrameType.HEADERS, flags, streamId);
  let at = FRAME_HEADER_BYTES;
  if (options.priority) {
    const { exclusive, streamDependency, weight } = options.priority;
    checkStreamId(streamDependency);
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) {
      throw new RangeError(`priority weight out of range: ${weight}`);
    }
    out.writeUInt32BE((streamDependency | (exclusive ? 0x80000000 : 0)) >>> 0, at);
    out[at + 4] = weight - 1;
    at += 5;
  }
  out.set(block.subarray(0, first), at);
  at += first;
  for (let from = first; from < block.length; from += maxFrameSize) {
    const size = Math.min(maxFrameSize, block.length - from);
    const last = from + size === block.length;
    writeFrameHeader(
      out,
      at,
      size,
      FrameType.CONTINUATION,
      last ? FrameFlag.END_HEADERS : 0,
      streamId,
    );
    out.set(block.subarray(from, from + size), at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + size;
  }
  return out;
}

export interface DataFrameOptions {
  readonly endStream?: boolean;
  /** The receiver's SETTINGS_MAX_FRAME_SIZE (default 16384): no frame payload exceeds it. */
  readonly maxFrameSize?: number;
}

/**
 * `data` as DATA frames of at most `maxFrameSize` bytes (§6.1), END_STREAM on the last one; empty
 * data gives one empty frame (to carry END_STREAM). Flow control is the caller's: these bytes
 * count against the receiver's windows.
 */
export function encodeDataFrames(
  streamId: number,
  data: Uint8Array,
  options: DataFrameOptions = {},
): Buffer {
  const maxFrameSize = checkMaxFrameSize(options.maxFrameSize);
  if (streamId === 0) throw new RangeError('DATA on stream 0');
  checkStreamId(streamId);
  const frames = Math.max(1, Math.ceil(data.length / maxFrameSize));
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES * frames + data.length);
  let at = 0;
  for (let index = 0; index < frames; index++) {
    const from = index * maxFrameSize;
    const size = Math.min(maxFrameSize, data.length - from);
    const flags = index === frames - 1 && options.endStream ? FrameFlag.END_STREAM : 0;
    writeFrameHeader(out, at, size, FrameType.DATA, flags, streamId);
    out.set(data.subarray(from, from + size), at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + size;
  }
  return out;
}

function checkStreamId(streamId: number): void {
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > 0x7fffffff) {
    throw new RangeError(`stream id out of range: ${streamId}`);
  }
}

function checkMaxFrameSize(size: number = DEFAULT_MAX_FRAME_SIZE): number {
  if (!Number.isInteger(size) || size < DEFAULT_MAX_FRAME_SIZE || size > MAX_FRAME_SIZE_LIMIT) {
    throw new RangeError(`max frame size out of range: ${size}`);
  }
  return size;
}
