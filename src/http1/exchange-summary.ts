import type { ExchangeContent } from '../flow/capture-body.js';
import type {
  ConnectionInfo,
  InformationalResponse,
  Side,
  UpstreamInfo,
} from '../http2/channel-event.js';

export type { InformationalResponse } from '../http2/channel-event.js';

/** Why an exchange failed: a stable code, who started it, and a readable reason. */
export interface Http1ExchangeError {
  /** `UPSTREAM_REFUSED`, `UPSTREAM_TLS_VERIFY_FAILED`, `CLIENT_ABORTED`, ... (see docs/http1.md). */
  readonly code: string;
  readonly reason: string;
  readonly side: Side;
}

/**
 * One HTTP/1.1 exchange as seen by the proxy, reported once both directions are over. For an
 * upgraded connection (WebSocket, ...) it covers the whole tunnel, and its bodies are the raw
 * bytes each way. Bodies are captured up to the forwarder's `maxBodyBytes`.
 */
export interface Http1ExchangeSummary extends ExchangeContent {
  readonly method: string;
  /** `host[:port]`: the `Host` header, or the absolute URL's authority in forward-proxy mode. */
  readonly authority: string;
  /** The request-target as the client sent it (origin-form for forwarded absolute URLs). */
  readonly path: string;
  /** The final status the client received (including the proxy's own 4xx/502); null if none. */
  readonly status: number | null;
  /** Request body bytes read from the client (for a tunnel: raw bytes after the request head). */
  readonly requestBytes: number;
  /** Response body bytes read from the upstream (for a tunnel: every raw byte, 101 head included). */
  readonly responseBytes: number;
  /** The 1xx responses relayed to the client (100 Continue, 103 Early Hints, ...), in order. */
  readonly informational: readonly InformationalResponse[];
  /** Milliseconds from the request head to the end of both directions. */
  readonly durationMs: number;
  /** Null when the exchange completed; the first failure otherwise. */
  readonly error: Http1ExchangeError | null;
  /** Milliseconds since the epoch when the request head arrived. */
  readonly startTime: number;
  /** The client connection the request arrived on. */
  readonly connection: ConnectionInfo;
  /** Where it was sent, with the connection used once made; null when it was not forwarded. */
  readonly upstream: UpstreamInfo | null;
}
