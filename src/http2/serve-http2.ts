import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo, HeaderList, UpstreamInfo } from './channel-event.js';
import { describeUpstreamTarget } from './describe-connection.js';
import { forwardStream } from './forward-stream.js';
import { findHeader, toHeaderList } from './header-list.js';
import { type ClassifiedFailure, ProxyFailure } from './map-error.js';
import {
  connectionWindowBytes,
  createHttp2Settings,
  type Http2Limits,
  MAX_SEND_HEADER_BLOCK_BYTES,
  MAX_SESSION_MEMORY_MIB,
} from './session-settings.js';
import type { OpenStreamObserver } from './stream-observer.js';
import { superviseClientSession } from './supervise-client-session.js';
import { formatEndpoint, type UpstreamEndpoint } from './upstream-endpoint.js';
import type { UpstreamPool } from './upstream-pool.js';

const END_STREAM_FLAG = 0x1;

export interface ServeHttp2Options {
  readonly pool: UpstreamPool;
  /**
   * `address:port` of the client for log lines, read when its connection was accepted (a socket
   * inside a tunnel, or one already closed, may no longer know it). Default: read from `socket`.
   */
  readonly client?: string | undefined;
  /** Client-side window and stream limits (`--stream-window`, `--max-streams`). */
  readonly limits: Http2Limits;
  /**
   * Where a stream goes: a fixed endpoint (tunnel or reverse mode), or one derived from the
   * request headers (h2c straight to the proxy); a failure answers the stream with an error.
   */
  readonly route: (headers: HeaderList) => UpstreamEndpoint | ClassifiedFailure;
  readonly observe: OpenStreamObserver;
  /** The client connection this session runs on. */
  readonly connection: ConnectionInfo;
  readonly nextStreamId: () => string;
  readonly log: (line: string) => void;
  /** True once the proxy is shutting down (see `ForwardStreamOptions.shuttingDown`). */
  readonly shuttingDown: () => boolean;
  /** Closes the session after this long without any open stream (ms); 0 disables. */
  readonly idleTimeoutMs: number;
  /**
   * A session silent this long is sent a PING and closed when it is not answered within as long
   * again (ms); 0 disables. See `superviseClientSession`.
   */
  readonly pingTimeoutMs: number;
  /** Called with each stream's upstream, keyed by its `:authority` (for server reflection). */
  readonly onRouted?: ((authority: string, endpoint: UpstreamEndpoint) => void) | undefined;
  /** Called with every session so the caller can close them on shutdown. */
  readonly onSession?: (session: http2.ServerHttp2Session) => void;
}

/** Tells a route's endpoint from its failure. */
export function isEndpoint(value: UpstreamEndpoint | ClassifiedFailure): value is UpstreamEndpoint {
  return 'host' in value;
}

/**
 * Serves HTTP/2 to a client on an already-established socket (a decrypted TLS socket or a
 * cleartext one carrying the h2c preface) and forwards every stream upstream.
 */
export function serveHttp2(socket: Duplex, options: ServeHttp2Options): http2.ServerHttp2Session {
  const session = http2.performServerHandshake(socket, {
    settings: createHttp2Settings(options.limits),
    maxSessionMemory: MAX_SESSION_MEMORY_MIB,
    maxSendHeaderBlockLength: MAX_SEND_HEADER_BLOCK_BYTES,
  });
  options.onSession?.(session);
  const remote = socket as Partial<Socket>;
  const label = options.client ?? `${remote.remoteAddress ?? '?'}:${remote.remotePort ?? '?'}`;
  session.on('error', (error: Error) =>
    options.log(`client ${label}: HTTP/2 session error: ${error.message}`),
  );
  superviseClientSession(session, {
    idleTimeoutMs: options.idleTimeoutMs,
    pingTimeoutMs: options.pingTimeoutMs,
    label,
    log: options.log,
  });
  const targets = new WeakMap<UpstreamEndpoint, UpstreamInfo>();
  const describeTarget = (endpoint: UpstreamEndpoint): UpstreamInfo => {
    let target = targets.get(endpoint);
    if (target === undefined) {
      target = describeUpstreamTarget(endpoint);
      targets.set(endpoint, target);
    }
    return target;
  };
  try {
    session.setLocalWindowSize(connectionWindowBytes(options.limits));
  } catch {
    // A session torn down during the handshake has no window to raise.
  }
  session.on(
    'stream',
    (
      clientStream: http2.ServerHttp2Stream,
      _headers: http2.IncomingHttpHeaders,
      flags: number,
      rawHeaders: string[],
    ) => {
      const headers = toHeaderList(rawHeaders);
      const target = options.route(headers);
      const endpoint = isEndpoint(target) ? target : null;
      const authority = findHeader(headers, ':authority');
      if (endpoint && authority !== undefined) options.onRouted?.(authority, endpoint);
      forwardStream({
        streamId: options.nextStreamId(),
        clientStream,
        headers,
        endStream: (flags & END_STREAM_FLAG) !== 0,
        acquire: endpoint
          ? () => options.pool.acquire(endpoint)
          : () => {
              const failure = target as ClassifiedFailure;
              return Promise.reject(new ProxyFailure(failure.code, failure.side, failure.reason));
            },
        upstreamLabel: endpoint
          ? formatEndpoint(endpoint)
          : (findHeader(headers, ':authority') ?? '?'),
        observe: options.observe,
        connection: options.connection,
        upstream: endpoint ? describeTarget(endpoint) : null,
        log: options.log,
        shuttingDown: options.shuttingDown,
      });
    },
  );
  return session;
}
