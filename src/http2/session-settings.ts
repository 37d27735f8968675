import type { Settings } from 'node:http2';

/**
 * Flow-control and memory settings for both sides. Node defaults to 64 KiB windows (stream and
 * connection), which caps one stream at 64 KiB per round trip; 1 MiB per stream keeps a single
 * stream fast while bounding what one stream can make the proxy hold, and a 16 MiB connection
 * window lets many streams run at once. Back-pressure still holds: bytes are read from one side
 * only as fast as the other side accepts them.
 */
export const STREAM_WINDOW_BYTES = 1 << 20;
export const CONNECTION_WINDOW_BYTES = 16 << 20;

/** nghttp2 session memory cap in MiB (Node default 10), per session. */
export const MAX_SESSION_MEMORY_MIB = 64;

export const HTTP2_SETTINGS: Settings = {
  initialWindowSize: STREAM_WINDOW_BYTES,
  maxConcurrentStreams: 1000,
  maxHeaderListSize: 256 * 1024,
  enablePush: false,
};
