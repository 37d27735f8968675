/**
 * The event channel: what one HTTP/2 (or HTTP/1.1) stream looks like to observers.
 *
 * Events are plain readonly data, produced at the I/O edge after the bytes they describe have been
 * forwarded, and consumed by the pure protocol layers (`src/grpc`, the plain-HTTP summary). See
 * `docs/channel.md`.
 */

/** Which way the bytes travel: `send` = client to server, `receive` = server to client. */
export type Direction = 'send' | 'receive';

/** Who started an error or a reset. */
export type Side = 'client' | 'upstream' | 'proxy';

/** One header field in wire order. HTTP/2 names are lowercase; pseudo-headers start with `:`. */
export type HeaderPair = readonly [name: string, value: string];

/** An ordered header list; duplicates are kept as separate pairs. */
export type HeaderList = readonly HeaderPair[];

interface EventBase {
  /** Unique in this process for the lifetime of the stream; doubles as the flow id. */
  readonly streamId: string;
  readonly direction: Direction;
  /** Milliseconds since the epoch when the edge observed the event. */
  readonly time: number;
}

/**
 * The initial HEADERS of a direction: request headers (`send`) or the final response headers
 * (`receive`). `endStream` is true when END_STREAM came with them (e.g. a trailers-only response).
 */
export interface HeadersReceived extends EventBase {
  readonly kind: 'headersReceived';
  readonly headers: HeaderList;
  readonly endStream: boolean;
}

/** A 1xx response (RFC 9110 §15.2), `receive` only; zero or more precede the final headers. */
export interface InformationalReceived extends EventBase {
  readonly kind: 'informationalReceived';
  readonly headers: HeaderList;
}

/** A 1xx response as summaries keep it: its status and its header fields in wire order. */
export interface InformationalResponse {
  readonly status: number;
  /** Without pseudo-headers (the status is `status`). */
  readonly headers: HeaderList;
}

/**
 * A chunk of body bytes as Node delivered it. Chunk boundaries carry no meaning: they need not
 * match DATA frames or gRPC messages. The bytes are owned by the event; observers must copy what
 * they keep past the call.
 */
export interface DataReceived extends EventBase {
  readonly kind: 'dataReceived';
  readonly data: Uint8Array;
}

/** Trailing HEADERS; they end their direction (no `endReceived` follows). */
export interface TrailersReceived extends EventBase {
  readonly kind: 'trailersReceived';
  readonly headers: HeaderList;
}

/**
 * END_STREAM without trailers, after body data (or none). A HEADERS frame carrying END_STREAM is
 * reported by `headersReceived.endStream` instead, and no `endReceived` follows it.
 */
export interface EndReceived extends EventBase {
  readonly kind: 'endReceived';
}

/**
 * The stream ended abnormally: RST_STREAM from a peer, a failure to reach or talk to the upstream,
 * or the proxy resetting it. Terminal for both directions. `direction` is `send` when the client
 * side started it, `receive` otherwise.
 */
export interface StreamReset extends EventBase {
  readonly kind: 'streamReset';
  /**
   * Stable code: the RFC 9113 §7 name of the HTTP/2 error code for resets (`CANCEL`,
   * `REFUSED_STREAM`, ...), or a grpctap failure code (`UPSTREAM_UNREACHABLE`,
   * `UPSTREAM_TLS_FAILED`, `MESSAGE_TOO_LARGE`, ...).
   */
  readonly code: string;
  /** The HTTP/2 error code number when this was (or caused) an RST_STREAM; null otherwise. */
  readonly http2Code: number | null;
  /** Human-readable cause. */
  readonly reason: string;
  readonly side: Side;
}

export type ChannelEvent =
  | HeadersReceived
  | InformationalReceived
  | DataReceived
  | TrailersReceived
  | EndReceived
  | StreamReset;

/** Compile-time exhaustiveness guard for `switch` statements over discriminated unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}

/**
 * One client connection as the listener accepted it: the same for every stream on it. Plain data,
 * independent of the HTTP/2 engine. A CONNECT tunnel is a connection of its own whose client is
 * the CONNECT socket's peer.
 */
export interface ConnectionInfo {
  /** Unique in this process. */
  readonly id: string;
  /** The client's IP address and port (the TCP peer; for a tunnel, the CONNECT socket's). */
  readonly clientAddress: string;
  readonly clientPort: number;
  /** The CONNECT target `host:port`; null when the client spoke to the proxy directly. */
  readonly tunnel: string | null;
  /** The server name from the client's TLS ClientHello; null without TLS or without SNI. */
  readonly sni: string | null;
  /** The ALPN protocol agreed with the client (`h2`, `http/1.1`); null without TLS or ALPN. */
  readonly alpn: string | null;
  /** The client leg's TLS version (`TLSv1.3`); null for cleartext. */
  readonly tlsVersion: string | null;
}

/**
 * Where a stream went upstream. `host`, `port` and `tls` are the destination grpctap was given
 * (the CONNECT target, the `--reverse` upstream, or a direct request's authority); the rest
 * describes the connection actually made and is null until it is made (or when it failed).
 */
export interface UpstreamInfo {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** The IP address and port connected to. */
  readonly address: string | null;
  readonly addressPort: number | null;
  /** The server name sent upstream (TLS only). */
  readonly sni: string | null;
  /** The ALPN protocol the upstream chose (`h2`, `http/1.1`); `h2c` for cleartext HTTP/2. */
  readonly alpn: string | null;
  /** The upstream leg's TLS version; null for cleartext or before the handshake. */
  readonly tlsVersion: string | null;
}
