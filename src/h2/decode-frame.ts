/**
 * Payload decoders for each frame type (RFC 9113 §6). They take frames from the parser, which has
 * already checked lengths, stream ids and padding, so they never fail; given a frame of another
 * type they read garbage. Byte fields are views of the frame (no copy).
 */
import { type Frame, readStreamId, readUint32 } from './frame.js';
import { FrameFlag } from './frame-constants.js';

/** DATA (§6.1): the data with padding removed. */
export interface DataFields {
  readonly data: Uint8Array;
  /** Bytes of padding, not counting the Pad Length byte; 0 when not PADDED. */
  readonly padLength: number;
  readonly endStream: boolean;
}

export function decodeData(frame: Frame): DataFields {
  const { payload, flags } = frame;
  const endStream = (flags & FrameFlag.END_STREAM) !== 0;
  if (!(flags & FrameFlag.PADDED)) return { data: payload, padLength: 0, endStream };
  const padLength = payload[0] as number;
  return { data: payload.subarray(1, payload.length - padLength), padLength, endStream };
}

/** The stream dependency fields of PRIORITY (§6.3) and of HEADERS with the PRIORITY flag. */
export interface PriorityFields {
  readonly exclusive: boolean;
  readonly streamDependency: number;
  /** 1-256: the wire byte plus one (§6.3). */
  readonly weight: number;
}

function readPriority(bytes: Uint8Array, at: number): PriorityFields {
  return {
    exclusive: ((bytes[at] as number) & 0x80) !== 0,
    streamDependency: readStreamId(bytes, at),
    weight: (bytes[at + 4] as number) + 1,
  };
}

export function decodePriority(frame: Frame): PriorityFields {
  return readPriority(frame.payload, 0);
}

/** HEADERS (§6.2): the field block fragment with padding and priority fields removed. */
export interface HeadersFields {
  readonly fragment: Uint8Array;
  readonly padLength: number;
  readonly priority: PriorityFields | null;
  readonly endStream: boolean;
  readonly endHeaders: boolean;
}

export function decodeHeaders(frame: Frame): HeadersFields {
  const { payload, flags } = frame;
  const padded = (flags & FrameFlag.PADDED) !== 0;
  const padLength = padded ? (payload[0] as number) : 0;
  let start = padded ? 1 : 0;
  let priority: PriorityFields | null = null;
  if (flags & FrameFlag.PRIORITY) {
    priority = readPriority(payload, start);
    start += 5;
  }
  return {
    fragment:
      start === 0 && padLength === 0
        ? payload
        : payload.subarray(start, payload.length - padLength),
    padLength,
    priority,
    endStream: (flags & FrameFlag.END_STREAM) !== 0,
    endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
  };
}

/** PUSH_PROMISE (§6.6). */
export interface PushPromiseFields {
  readonly promisedStreamId: number;
  readonly fragment: Uint8Array;
  readonly padLength: number;
  readonly endHeaders: boolean;
}

export function decodePushPromise(frame: Frame): PushPromiseFields {
  const { payload, flags } = frame;
  const padded = (flags & FrameFlag.PADDED) !== 0;
  const padLength = padded ? (payload[0] as number) : 0;
  const start = padded ? 1 : 0;
  return {
    promisedStreamId: readStreamId(payload, start),
    fragment: payload.subarray(start + 4, payload.length - padLength),
    padLength,
    endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
  };
}

/** CONTINUATION (§6.10). */
export interface ContinuationFields {
  readonly fragment: Uint8Array;
  readonly endHeaders: boolean;
}

export function decodeContinuation(frame: Frame): ContinuationFields {
  return { fragment: frame.payload, endHeaders: (frame.flags & FrameFlag.END_HEADERS) !== 0 };
}

/** RST_STREAM (§6.4): the error code, any 32-bit value (see `nameErrorCode`). */
export function decodeRstStream(frame: Frame): number {
  return readUint32(frame.payload, 0);
}

/** One SETTINGS parameter (§6.5.1): a 16-bit identifier and a 32-bit value. */
export interface Setting {
  readonly id: number;
  readonly value: number;
}

/** SETTINGS (§6.5): parameters in wire order (a later one overrides an earlier one, §6.5.3). */
export interface SettingsFields {
  readonly ack: boolean;
  readonly settings: readonly Setting[];
}

export function decodeSettings(frame: Frame): SettingsFields {
  const { payload } = frame;
  const settings: Setting[] = [];
  for (let at = 0; at + 6 <= payload.length; at += 6) {
    settings.push({
      id: ((payload[at] as number) << 8) | (payload[at + 1] as number),
      value: readUint32(payload, at + 2),
    });
  }
  return { ack: (frame.flags & FrameFlag.ACK) !== 0, settings };
}

/** PING (§6.7). */
export interface PingFields {
  readonly ack: boolean;
  /** The 8 opaque bytes a PING ACK must echo. */
  readonly data: Uint8Array;
}

export function decodePing(frame: Frame): PingFields {
  return { ack: (frame.flags & FrameFlag.ACK) !== 0, data: frame.payload };
}

/** GOAWAY (§6.8). */
export interface GoawayFields {
  readonly lastStreamId: number;
  readonly errorCode: number;
  /** Opaque diagnostic bytes, often text. */
  readonly debugData: Uint8Array;
}

export function decodeGoaway(frame: Frame): GoawayFields {
  const { payload } = frame;
  return {
    lastStreamId: readStreamId(payload, 0),
    errorCode: readUint32(payload, 4),
    debugData: payload.subarray(8),
  };
}

/**
 * WINDOW_UPDATE (§6.9): the 31-bit increment. 0 is returned as is: it is a stream error on a
 * stream and a connection error on stream 0 (§6.9), for the receiving peer to enforce.
 */
export function decodeWindowUpdate(frame: Frame): number {
  return readStreamId(frame.payload, 0);
}
