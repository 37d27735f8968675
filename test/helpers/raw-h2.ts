/**
 * A raw HTTP/2 frame writer and reader for adversarial peers in tests. `node:http2` validates
 * everything it sends, so it cannot produce floods, malformed frames or non-UTF-8 `:path` values;
 * this writes the bytes of RFC 9113 §4-6 frames directly and parses what comes back.
 *
 * Header blocks are HPACK "literal header field without indexing, new name" representations
 * (RFC 7541 §6.2.2) without Huffman coding: valid, stateless (the dynamic table is never touched),
 * and able to carry any bytes; `encodeIndexingLiteral` and `encodeIndexedField` add the two
 * representations needed to repeat one large field cheaply (a header list amplification). Received header blocks are not decoded; tests read the frame types,
 * flags and error codes, and the proxy's records for the rest.
 */
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../../src/h2/error-code.js';
import {
  CONNECTION_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  FrameFlag,
  FrameType,
  SettingId,
} from '../../src/h2/frame-constants.js';

export { DEFAULT_MAX_FRAME_SIZE, ErrorCode, FrameFlag, FrameType, SettingId };

/** The client connection preface (RFC 9113 §3.4). */
export const CLIENT_PREFACE = Buffer.from(CONNECTION_PREFACE);

const FRAME_HEADER_LENGTH = 9;
const EMPTY: Buffer = Buffer.alloc(0);
/** The reader refuses frames above this (the largest SETTINGS_MAX_FRAME_SIZE, RFC 9113 §4.2). */
const MAX_READ_FRAME_SIZE = (1 << 24) - 1;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** Encodes one frame; the length field is the payload's length (no check against any maximum). */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = EMPTY,
): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_LENGTH);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** HPACK integer with an `prefixBits`-bit prefix (RFC 7541 §5.1); `first` holds the high bits. */
function encodeInteger(value: number, prefixBits: number, first: number): Buffer {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) return Buffer.from([first | value]);
  const bytes = [first | limit];
  let rest = value - limit;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function encodeString(value: string | Uint8Array): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  return Buffer.concat([encodeInteger(bytes.length, 7, 0x00), bytes]);
}

/** A header field for {@link encodeHeaderBlock}; strings are taken as Latin-1 bytes. */
export type RawHeader = readonly [name: string | Uint8Array, value: string | Uint8Array];

/** An HPACK header block of literal fields without indexing (no Huffman, no table state). */
export function encodeHeaderBlock(headers: readonly RawHeader[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    parts.push(Buffer.from([0x00]), encodeString(name), encodeString(value));
  }
  return Buffer.concat(parts);
}

/**
 * HPACK "literal header field with incremental indexing, new name" (RFC 7541 §6.2.1): the field
 * also enters the peer's dynamic table, as entry 62 (the newest entry always has index 62).
 */
export function encodeIndexingLiteral(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40]), encodeString(name), encodeString(value)]);
}

/** HPACK "indexed header field" (RFC 7541 §6.1): static table 1-61, dynamic table from 62. */
export function encodeIndexedField(index: number): Buffer {
  return encodeInteger(index, 7, 0x80);
}

export interface HeadersFrameOptions {
  readonly endStream?: boolean;
  /** Default true; false leaves the block open for CONTINUATION frames. */
  readonly endHeaders?: boolean;
}

export function encodeHeaders(
  streamId: number,
  block: Buffer,
  options: HeadersFrameOptions = {},
): Buffer {
  const flags =
    (options.endStream ? FrameFlag.END_STREAM : 0) |
    (options.endHeaders === false ? 0 : FrameFlag.END_HEADERS);
  return encodeFrame(FrameType.HEADERS, flags, streamId, block);
}

/**
 * A header block as one HEADERS frame plus as many CONTINUATION frames as `maxFrameSize` requires
 * (RFC 9113 §4.3), so a large header list stays within the peer's frame size limit.
 */
export function encodeHeaderFrames(
  streamId: number,
  block: Buffer,
  options: { readonly endStream?: boolean; readonly maxFrameSize?: number } = {},
): Buffer {
  const size = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  const frames = [
    encodeHeaders(streamId, block.subarray(0, size), {
      endStream: options.endStream ?? false,
      endHeaders: block.length <= size,
    }),
  ];
  for (let offset = size; offset < block.length; offset += size) {
    const last = offset + size >= block.length;
    frames.push(encodeContinuation(streamId, block.subarray(offset, offset + size), last));
  }
  return Buffer.concat(frames);
}

export function encodeContinuation(streamId: number, block: Buffer, endHeaders: boolean): Buffer {
  return encodeFrame(
    FrameType.CONTINUATION,
    endHeaders ? FrameFlag.END_HEADERS : 0,
    streamId,
    block,
  );
}

export function encodeData(streamId: number, data: Uint8Array, endStream = false): Buffer {
  return encodeFrame(
    FrameType.DATA,
    endStream ? FrameFlag.END_STREAM : 0,
    streamId,
    Buffer.from(data),
  );
}

export function encodeRstStream(streamId: number, errorCode: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(errorCode);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}

export function encodeSettings(entries: readonly (readonly [number, number])[] = []): Buffer {
  const payload = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], index) => {
    payload.writeUInt16BE(id, index * 6);
    payload.writeUInt32BE(value, index * 6 + 2);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

export function encodeSettingsAck(): Buffer {
  return encodeFrame(FrameType.SETTINGS, FrameFlag.ACK, 0);
}

export function encodePing(data: Uint8Array = Buffer.alloc(8), ack = false): Buffer {
  return encodeFrame(FrameType.PING, ack ? FrameFlag.ACK : 0, 0, Buffer.from(data));
}

export function encodeWindowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment >>> 0);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

export function encodeGoaway(lastStreamId: number, errorCode: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastStreamId & 0x7fffffff);
  payload.writeUInt32BE(errorCode, 4);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

/** The fields of a GOAWAY payload (RFC 9113 §6.8). */
export function parseGoaway(frame: Frame): {
  lastStreamId: number;
  errorCode: number;
  debug: string;
} {
  return {
    lastStreamId: frame.payload.readUInt32BE(0) & 0x7fffffff,
    errorCode: frame.payload.readUInt32BE(4),
    debug: frame.payload.subarray(8).toString('latin1'),
  };
}

/** The error code of a RST_STREAM frame. */
export function parseRstStream(frame: Frame): number {
  return frame.payload.readUInt32BE(0);
}

/** Splits a byte stream into frames across any chunking; bounded by the 2^24-1 frame limit. */
export function createFrameReader(): { push(chunk: Uint8Array): Frame[] } {
  let pending: Buffer = EMPTY;
  return {
    push(chunk) {
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      const frames: Frame[] = [];
      while (pending.length >= FRAME_HEADER_LENGTH) {
        const length = pending.readUIntBE(0, 3);
        if (length > MAX_READ_FRAME_SIZE) throw new Error(`frame of ${length} bytes`);
        if (pending.length < FRAME_HEADER_LENGTH + length) break;
        frames.push({
          type: pending[3] as number,
          flags: pending[4] as number,
          streamId: pending.readUInt32BE(5) & 0x7fffffff,
          payload: pending.subarray(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH + length),
        });
        pending = pending.subarray(FRAME_HEADER_LENGTH + length);
      }
      return frames;
    },
  };
}

export interface RawH2Options {
  /** Send the client preface and an empty SETTINGS frame first (default true). */
  readonly preface?: boolean;
  /** Acknowledge the peer's SETTINGS and PING frames (default true), as a real client would. */
  readonly autoAck?: boolean;
}

/** A client end of an HTTP/2 connection that writes whatever bytes it is told to. */
export interface RawH2Connection {
  readonly socket: Duplex;
  /** Every frame received so far, in order. */
  readonly frames: readonly Frame[];
  /** Writes raw bytes (frames); returns the socket's `write` result. */
  write(bytes: Uint8Array): boolean;
  /**
   * Resolves with the first received frame matching, or rejects once the connection closes without
   * one or after `timeoutMs` (default 30 s: a deadline for a loaded machine, not a measurement).
   */
  waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** The first GOAWAY received, if any. */
  goaway(): Frame | undefined;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  /** True once the socket has closed. */
  readonly isClosed: boolean;
  destroy(): void;
}

/** Speaks raw HTTP/2 as a client over an open socket (TCP for h2c, or TLS with ALPN `h2`). */
export function openRawH2(socket: Duplex, options: RawH2Options = {}): RawH2Connection {
  const frames: Frame[] = [];
  const reader = createFrameReader();
  const waiters = new Set<() => void>();
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      for (const waiter of waiters) waiter();
      resolve();
    }),
  );
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    let received: Frame[];
    try {
      received = reader.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const frame of received) {
      frames.push(frame);
      if (options.autoAck !== false && !isClosed && (frame.flags & FrameFlag.ACK) === 0) {
        if (frame.type === FrameType.SETTINGS) socket.write(encodeSettingsAck());
        if (frame.type === FrameType.PING) socket.write(encodePing(frame.payload, true));
      }
    }
    if (received.length > 0) for (const waiter of waiters) waiter();
  });
  if (options.preface !== false) {
    socket.write(Buffer.concat([CLIENT_PREFACE, encodeSettings()]));
  }
  return {
    socket,
    frames,
    write: (bytes) => (isClosed ? false : socket.write(bytes)),
    waitForFrame(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = frames.find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (isClosed) {
            done();
            reject(
              new Error(`connection closed without a matching frame (${summarizeFrames(frames)})`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no matching frame within ${timeoutMs} ms (${summarizeFrames(frames)})`),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    goaway: () => frames.find((frame) => frame.type === FrameType.GOAWAY),
    closed,
    get isClosed() {
      return isClosed;
    },
    destroy: () => socket.destroy(),
  };
}

const TYPE_NAMES = Object.fromEntries(Object.entries(FrameType).map(([name, n]) => [n, name]));

/** A short summary of received frames for failure messages, e.g. `SETTINGS/0 GOAWAY/0`. */
export function summarizeFrames(frames: readonly Frame[]): string {
  const shown = frames.slice(-20).map((f) => `${TYPE_NAMES[f.type] ?? f.type}/${f.streamId}`);
  return `${frames.length} frames received${shown.length > 0 ? `, last: ${shown.join(' ')}` : ''}`;
}
