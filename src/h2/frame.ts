/**
 * One HTTP/2 frame as the parser found it (RFC 9113 §4.1). The views share memory with the chunk
 * that was pushed (or, for a frame that spanned chunks, with a buffer the parser allocated for that
 * frame alone); callers must not write into pushed chunks while frames from them are in use.
 */
export interface FrameHeader {
  /** Any 8-bit type; see `FrameType` for the defined ones. Unknown types are kept as they are. */
  readonly type: number;
  /** The flags byte as sent, including flags the type does not define. */
  readonly flags: number;
  /** 31-bit stream identifier; the reserved bit is dropped (RFC 9113 §4.1). */
  readonly streamId: number;
  /** Payload length in bytes (the 24-bit length field). */
  readonly length: number;
  /**
   * Where the frame's first byte sits in this direction's byte stream: bytes pushed before it,
   * counting the client preface. Lets a caller cut its own chunk exactly at frame boundaries.
   */
  readonly offset: number;
}

export interface Frame extends FrameHeader {
  /** The `length` payload bytes, padding included (see the decode helpers to strip it). */
  readonly payload: Uint8Array;
  /** The whole frame as it came, 9-byte header plus payload: what a relay forwards unchanged. */
  readonly bytes: Uint8Array;
}

/** Big-endian unsigned 32-bit read; the caller guarantees four bytes at `at`. */
export function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** Big-endian 31-bit stream identifier read, reserved bit dropped (RFC 9113 §4.1, §6.3, §6.8). */
export function readStreamId(bytes: Uint8Array, at: number): number {
  return readUint32(bytes, at) & 0x7fffffff;
}
