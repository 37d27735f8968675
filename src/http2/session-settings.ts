import type { Settings } from 'node:http2';

/**
 * Flow-control and memory settings for both sides. Node defaults to 64 KiB windows (stream and
 * connection), which caps one stream at 64 KiB per round trip; 1 MiB per stream keeps a single
 * stream fast while bounding what one stream can make the proxy hold, and a 16 MiB connection
 * window lets many streams run at once. Back-pressure still holds: bytes are read from one side
 * only as fast as the other side accepts them.
 */
export const DEFAULT_STREAM_WINDOW_BYTES = 1 << 20;
export const CONNECTION_WINDOW_BYTES = 16 << 20;

/** Streams one client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1000;

/** The per-proxy knobs of the HTTP/2 settings (`--stream-window`, `--max-streams`). */
export interface Http2Limits {
  /** Per-stream receive window in bytes: the most one stream can make the proxy buffer per side. */
  readonly streamWindowBytes: number;
  /** Concurrent streams a client may open on one connection. */
  readonly maxConcurrentStreams: number;
}

export const DEFAULT_HTTP2_LIMITS: Http2Limits = {
  streamWindowBytes: DEFAULT_STREAM_WINDOW_BYTES,
  maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS,
};

/** nghttp2 session memory cap in MiB (Node default 10), per session. */
export const MAX_SESSION_MEMORY_MIB = 64;

/**
 * Largest header list accepted from a peer and forwarded, as RFC 9113 §6.5.2 counts it (name +
 * value + 32 per field): advertised as SETTINGS_MAX_HEADER_LIST_SIZE and checked again before a
 * request is forwarded, since Node does not enforce its own setting and HPACK lets a client send
 * hundreds of KiB in a few bytes by repeating a table entry. 64 KiB is Node's default, near
 * Envoy's 60 KiB and far above gRPC metadata in practice (grpc-java accepts 8 KiB); it bounds
 * what one open stream can make the proxy hold for its headers.
 */
export const MAX_HEADER_LIST_BYTES = 64 * 1024;

/**
 * Largest compressed header block Node will send (`maxSendHeaderBlockLength`, default 64 KiB):
 * the nine 16 KiB frames nghttp2 (1.61 on) accepts before it closes the connection as a
 * CONTINUATION flood. Node answers a block over this by closing the session it was sent on.
 */
export const MAX_SEND_HEADER_BLOCK_BYTES = 9 * 16 * 1024;

/** SETTINGS for both sides' sessions. */
export function createHttp2Settings(limits: Http2Limits): Settings {
  return {
    initialWindowSize: limits.streamWindowBytes,
    maxConcurrentStreams: limits.maxConcurrentStreams,
    maxHeaderListSize: MAX_HEADER_LIST_BYTES,
    enablePush: false,
  };
}

/** The connection window: 16 MiB, or the stream window when that is larger. */
export function connectionWindowBytes(limits: Http2Limits): number {
  return Math.max(CONNECTION_WINDOW_BYTES, limits.streamWindowBytes);
}
