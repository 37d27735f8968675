import { checkFrameHeader, checkFramePayload, type FrameSender } from './check-frame.js';
import { type CodecError, codecError } from './codec-error.js';
import type { Frame, FrameHeader } from './frame.js';
import {
  CONNECTION_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_BYTES,
  FrameFlag,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
  nameFrameType,
} from './frame-constants.js';

export interface FrameParserOptions {
  /** Which peer writes the bytes this parser reads. */
  readonly sender: FrameSender;
  /**
   * Check the connection preface (RFC 9113 §3.4), default true: from a client, the 24-byte
   * `PRI * HTTP/2.0...` magic followed by a SETTINGS frame; from a server, a SETTINGS frame
   * first. False starts mid-connection, at a frame boundary.
   */
  readonly preface?: boolean;
  /**
   * The receiver's SETTINGS_MAX_FRAME_SIZE in bytes (default 16384, RFC 9113 §4.2): frames above it
   * are refused before any of their payload is buffered.
   */
  readonly maxFrameSize?: number;
}

/**
 * What one `push` found. `frames` are complete, checked frames in wire order; when `error` is set,
 * the frames before the offending one are still returned, and the parser has stopped.
 */
export interface FrameParseResult {
  readonly frames: readonly Frame[];
  readonly error: CodecError | null;
}

/**
 * An incremental, sans-I/O HTTP/2 frame parser for one direction of one connection.
 *
 * Bounded: it holds at most 8 bytes of an incomplete frame header, or one incomplete frame of
 * 9 + `length` bytes, where `length` passed `maxFrameSize` when its header arrived. Frames that
 * arrive whole inside a chunk are views of that chunk (no copy); only a frame that spans chunks is
 * copied, once, into a buffer of its exact size.
 *
 * Every frame returned passed `checkFrameHeader` and `checkFramePayload`, so the decode helpers
 * accept it as is. Protocol errors are values; after one, the parser is unusable (they are all
 * connection errors, RFC 9113 §5.4.1).
 */
export interface FrameParser {
  push(chunk: Uint8Array): FrameParseResult;
  /**
   * The end of the byte stream: an error (`truncatedFrame`) when bytes of an incomplete preface or
   * frame are held, so loss is named rather than silent; null at a frame boundary.
   */
  end(): CodecError | null;
  /** Applies a new receiver SETTINGS_MAX_FRAME_SIZE (16384 ... 2^24-1) to frames not yet begun. */
  setMaxFrameSize(bytes: number): void;
  readonly maxFrameSize: number;
  /** The header of the frame being assembled, once its 9 header bytes are in; else null. */
  readonly pending: FrameHeader | null;
  /** Bytes held from earlier chunks (an incomplete frame header or frame). */
  readonly bufferedBytes: number;
  /** Bytes pushed so far: the stream offset of the next byte. */
  readonly consumed: number;
  /** The error that stopped the parser, returned again by every later `push`. */
  readonly error: CodecError | null;
}

const NO_FRAMES: readonly Frame[] = Object.freeze([]);

export function createFrameParser(options: FrameParserOptions): FrameParser {
  return new IncrementalFrameParser(options);
}

class IncrementalFrameParser implements FrameParser {
  maxFrameSize: number;
  error: CodecError | null = null;
  consumed = 0;
  pending: FrameHeader | null = null;
  private readonly sender: FrameSender;
  private prefaceLeft: number;
  private settingsFirst: boolean;
  private readonly head = new Uint8Array(FRAME_HEADER_BYTES);
  private headFill = 0;
  private partial: Uint8Array | null = null;
  private partialFill = 0;

  constructor(options: FrameParserOptions) {
    this.sender = options.sender;
    const preface = options.preface ?? true;
    this.prefaceLeft = preface && options.sender === 'client' ? CONNECTION_PREFACE.length : 0;
    this.settingsFirst = preface;
    this.maxFrameSize = checkedMaxFrameSize(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  }

  get bufferedBytes(): number {
    return this.partial !== null ? this.partialFill : this.headFill;
  }

  setMaxFrameSize(bytes: number): void {
    this.maxFrameSize = checkedMaxFrameSize(bytes);
  }

  end(): CodecError | null {
    if (this.error !== null) return this.error;
    const held = this.bufferedBytes;
    if (this.prefaceLeft > 0 && this.prefaceLeft < CONNECTION_PREFACE.length) {
      return this.fail(
        codecError(
          'PROTOCOL_ERROR',
          'truncatedFrame',
          'the stream ended inside the client preface (RFC 9113 §3.4)',
        ),
      );
    }
    if (held === 0) return null;
    const what = this.pending
      ? `a ${nameFrameType(this.pending.type)} frame after ${held} of its ${FRAME_HEADER_BYTES + this.pending.length} bytes`
      : `a frame header after ${held} of its 9 bytes`;
    return this.fail(
      codecError(
        'PROTOCOL_ERROR',
        'truncatedFrame',
        `the stream ended inside ${what} (RFC 9113 §4.1)`,
        this.pending?.streamId ?? 0,
      ),
    );
  }

  push(chunk: Uint8Array): FrameParseResult {
    if (this.error !== null) return { frames: NO_FRAMES, error: this.error };
    const length = chunk.length;
    const base = this.consumed;
    let frames: Frame[] | null = null;
    let at = 0;
    if (this.prefaceLeft > 0) {
      at = this.readPreface(chunk);
      if (this.error !== null) return this.result(frames, length, base);
    }
    while (at < length) {
      if (this.partial === null && (this.headFill > 0 || length - at < FRAME_HEADER_BYTES)) {
        at = this.fillHead(chunk, at, base);
        if (this.error !== null) return this.result(frames, at, base);
      }
      if (this.partial !== null) {
        at = this.fillPartial(chunk, at);
        if (this.partialFill < this.partial.length) break;
        const frame = this.completePartial();
        if (frame === null) return this.result(frames, at, base);
        (frames ??= []).push(frame);
        continue;
      }
      if (at >= length) break;
      const frameLength =
        ((chunk[at] as number) << 16) |
        ((chunk[at + 1] as number) << 8) |
        (chunk[at + 2] as number);
      const type = chunk[at + 3] as number;
      const flags = chunk[at + 4] as number;
      const streamId =
        (((chunk[at + 5] as number) << 24) |
          ((chunk[at + 6] as number) << 16) |
          ((chunk[at + 7] as number) << 8) |
          (chunk[at + 8] as number)) &
        0x7fffffff;
      if (!this.acceptHeader(type, flags, streamId, frameLength))
        return this.result(frames, at, base);
      const end = at + FRAME_HEADER_BYTES + frameLength;
      if (end > length) {
        this.startPartial(chunk.subarray(at), type, flags, streamId, frameLength, base + at);
        break;
      }
      const bytes = chunk.subarray(at, end);
      const frame: Frame = {
        type,
        flags,
        streamId,
        length: frameLength,
        offset: base + at,
        payload: bytes.subarray(FRAME_HEADER_BYTES),
        bytes,
      };
      if (!this.acceptPayload(frame)) return this.result(frames, at, base);
      (frames ??= []).push(frame);
      at = end;
    }
    return this.result(frames, length, base);
  }

  private result(frames: Frame[] | null, consumedTo: number, base: number): FrameParseResult {
    this.consumed = base + consumedTo;
    return { frames: frames ?? NO_FRAMES, error: this.error };
  }

  private fail(error: CodecError): CodecError {
    this.error = error;
    this.partial = null;
    this.pending = null;
    this.headFill = 0;
    this.partialFill = 0;
    return error;
  }

  private readPreface(chunk: Uint8Array): number {
    const start = CONNECTION_PREFACE.length - this.prefaceLeft;
    const take = Math.min(this.prefaceLeft, chunk.length);
    for (let i = 0; i < take; i++) {
      if (chunk[i] !== CONNECTION_PREFACE[start + i]) {
        this.fail(
          codecError(
            'PROTOCOL_ERROR',
            'badPreface',
            `byte ${start + i} of the client preface is 0x${(chunk[i] as number).toString(16).padStart(2, '0')}, not the PRI * HTTP/2.0 magic (RFC 9113 §3.4)`,
          ),
        );
        return i;
      }
    }
    this.prefaceLeft -= take;
    return take;
  }

  /** Copies header bytes into `head`; once all nine are in, checks them and starts the frame. */
  private fillHead(chunk: Uint8Array, at: number, base: number): number {
    const take = Math.min(FRAME_HEADER_BYTES - this.headFill, chunk.length - at);
    this.head.set(chunk.subarray(at, at + take), this.headFill);
    this.headFill += take;
    at += take;
    if (this.headFill < FRAME_HEADER_BYTES) return at;
    const head = this.head;
    const frameLength =
      ((head[0] as number) << 16) | ((head[1] as number) << 8) | (head[2] as number);
    const type = head[3] as number;
    const flags = head[4] as number;
    const streamId =
      (((head[5] as number) << 24) |
        ((head[6] as number) << 16) |
        ((head[7] as number) << 8) |
        (head[8] as number)) &
      0x7fffffff;
    this.headFill = 0;
    if (!this.acceptHeader(type, flags, streamId, frameLength)) return at;
    this.startPartial(head, type, flags, streamId, frameLength, base + at - FRAME_HEADER_BYTES);
    return at;
  }

  /** Allocates the frame's own buffer (its size was just checked) and copies what is at hand. */
  private startPartial(
    start: Uint8Array,
    type: number,
    flags: number,
    streamId: number,
    length: number,
    offset: number,
  ): void {
    const buffer = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
    buffer.set(start);
    this.partial = buffer;
    this.partialFill = start.length;
    this.pending = { type, flags, streamId, length, offset };
  }

  private fillPartial(chunk: Uint8Array, at: number): number {
    const partial = this.partial as Uint8Array;
    const take = Math.min(partial.length - this.partialFill, chunk.length - at);
    partial.set(chunk.subarray(at, at + take), this.partialFill);
    this.partialFill += take;
    return at + take;
  }

  /** The frame in `partial` once it is complete (null when it fails its payload checks). */
  private completePartial(): Frame | null {
    const bytes = this.partial as Uint8Array;
    const header = this.pending as FrameHeader;
    this.partial = null;
    this.pending = null;
    this.partialFill = 0;
    const frame: Frame = { ...header, payload: bytes.subarray(FRAME_HEADER_BYTES), bytes };
    return this.acceptPayload(frame) ? frame : null;
  }

  private acceptHeader(type: number, flags: number, streamId: number, length: number): boolean {
    if (this.settingsFirst) {
      this.settingsFirst = false;
      if (type !== FrameType.SETTINGS || (flags & FrameFlag.ACK) !== 0) {
        this.fail(
          codecError(
            'PROTOCOL_ERROR',
            'unexpectedFrame',
            `the connection preface must continue with SETTINGS, got ${nameFrameType(type)}${type === FrameType.SETTINGS ? ' ACK' : ''} (RFC 9113 §3.4)`,
            streamId,
          ),
        );
        return false;
      }
    }
    const error = checkFrameHeader(type, flags, streamId, length, this.maxFrameSize, this.sender);
    if (error === null) return true;
    this.fail(error);
    return false;
  }

  private acceptPayload(frame: Frame): boolean {
    const error = checkFramePayload(frame, this.sender);
    if (error === null) return true;
    this.fail(error);
    return false;
  }
}

function checkedMaxFrameSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < DEFAULT_MAX_FRAME_SIZE || bytes > MAX_FRAME_SIZE_LIMIT) {
    throw new RangeError(`SETTINGS_MAX_FRAME_SIZE out of range: ${bytes}`);
  }
  return bytes;
}
