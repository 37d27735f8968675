import http from 'node:http';
import net from 'node:net';
import type stream from 'node:stream';
import type tls from 'node:tls';
import { chooseClientErrorResponse } from './classify-http1-failure.js';
import type { ConnectionInfo } from '../http2/channel-event.js';
import { describeClientConnection } from '../http2/describe-connection.js';
import type { Http1ExchangeSummary } from './exchange-summary.js';
import { forwardExchange } from './forward-exchange.js';
import type { ForwardingLoopGuard } from '../listener/forwarding-loop-guard.js';
import { LOOP_DETECTED_STATUS } from '../listener/detect-forwarding-loop.js';
import { findRawHeader, findRawHeaders } from './hop-by-hop-headers.js';
import { formatPlainResponse } from './raw-http-message.js';
import { relayUpgrade, type TunnelContext } from './relay-upgrade.js';
import { type RequestRoute, routeRequest } from './route-request.js';
import { createUpstreamConnector, type UpstreamTlsSettings } from './upstream-connector.js';
import type { UpstreamTarget } from './upstream-target.js';

export type { Http1ExchangeError, Http1ExchangeSummary } from './exchange-summary.js';
export type { UpstreamTlsSettings } from './upstream-connector.js';
export type { UpstreamTarget } from './upstream-target.js';

export interface Http1ForwarderOptions {
  /** Upstream TLS verification: `ca` is the complete trust list (absent: Node's roots). */
  readonly upstreamTls: UpstreamTlsSettings;
  /**
   * Takes over CONNECT requests arriving on sockets attached with target null (forward-proxy
   * mode). The socket and any bytes after the request head (`head`) are the callee's from then on.
   * Without it, CONNECT is answered 405.
   */
  readonly onConnect?: (request: http.IncomingMessage, socket: stream.Duplex, head: Buffer) => void;
  /** One call per completed or failed exchange, after it is over; never awaited. */
  readonly onExchange?: (summary: Http1ExchangeSummary) => void;
  /** Receives stderr log lines (no trailing newline). */
  readonly log: (line: string) => void;
  /** Called once for every new upstream TLS socket, before its handshake (SSLKEYLOGFILE). */
  readonly onUpstreamTlsSocket?: (socket: tls.TLSSocket) => void;
  /**
   * Checks `Proxy-Authorization` on forward-proxy sockets (target null); requests without valid
   * credentials get 407. Absent: no authentication. CONNECT is the `onConnect` callee's to check.
   */
  readonly authorize?: ((header: string | undefined) => boolean) | undefined;
  /**
   * Time a client has for every request head after the first, from its first byte (ms; the
   * proxy's `--handshake-timeout`); the first one is bounded by `attach`'s deadline. Default 60 s.
   */
  readonly requestHeadTimeoutMs?: number;
  /**
   * Idle time between requests before a keep-alive client connection is closed, announced in
   * `Keep-Alive: timeout=` (ms; the proxy's `--idle-timeout`; 0 never closes). Default 60 s.
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Body bytes each exchange summary keeps per direction, the true size counted beyond
   * (`--store-max-body` when a sink stores bodies); default 0, none.
   */
  readonly maxBodyBytes?: number;
  /**
   * Refuses requests that would loop back into the proxy (508), adds its `Via` entry to every
   * forwarded request and guards the upstream sockets (see `createForwardingLoopGuard`).
   */
  readonly loopGuard?: ForwardingLoopGuard | undefined;
}

/** Bounds the first request head on a socket: see `attach`. */
export interface FirstHeadDeadline {
  /** Time left for a complete first request head (ms). */
  readonly withinMs: number;
  /** The whole limit it is part of (ms), for the log line. */
  readonly totalMs: number;
  /** Who the client is, for the log line. */
  readonly client: string;
}

export interface Http1Forwarder {
  /**
   * Serves HTTP/1.1 on `socket` (a `net.Socket` or `tls.TLSSocket`: Node's HTTP server needs their
   * timer and no-delay methods). Target null is forward-proxy mode (absolute-form `http:` URLs and
   * CONNECT); otherwise every request goes to `target` (inside a tunnel, or reverse mode). Bytes
   * already read from the socket (sniffing) must be `unshift`ed back before attaching; a paused
   * socket is resumed. `connection` describes the client connection (default: the socket's own
   * peer, cleartext, no tunnel). With `firstHead`, a socket that has not sent a complete request
   * head within `firstHead.withinMs` gets `408` and is closed, so a slow or silent client cannot
   * hold its connection slot past `--handshake-timeout`.
   */
  attach(
    socket: stream.Duplex,
    target: UpstreamTarget | null,
    connection?: ConnectionInfo,
    firstHead?: FirstHeadDeadline,
  ): void;
  /** Destroys attached sockets, tunnels and pooled upstream connections; resolves once closed. */
  close(): Promise<void>;
}

/** Default time a client may take to send one request head (slow-loris guard). */
const HEADERS_TIMEOUT_MS = 60_000;
/** Default idle time before a keep-alive client connection is closed. */
const KEEP_ALIVE_TIMEOUT_MS = 60_000;
/** Time a client closed for a slow head has to read the `408` before its socket is destroyed. */
const LINGER_MS = 1000;
/** Limit for reaching the upstream: TCP connect plus TLS handshake. */
const UPSTREAM_CONNECT_TIMEOUT_MS = 30_000;

/**
 * Creates the HTTP/1.1 forwarder: one Node HTTP server that never listens and is fed sockets by
 * the listener, plus keep-alive upstream agents. See docs/http1.md for what crosses it and how.
 */
export function createHttp1Forwarder(options: Http1ForwarderOptions): Http1Forwarder {
  const { log } = options;
  const connector = createUpstreamConnector({
    tls: options.upstreamTls,
    onTlsSocket: options.onUpstreamTlsSocket,
    connectTimeoutMs: UPSTREAM_CONNECT_TIMEOUT_MS,
    guard: options.loopGuard,
  });
  const targets = new WeakMap<stream.Duplex, UpstreamTarget | null>();
  const sockets = new Set<stream.Duplex>();
  /** Responses in progress per client socket: a parse error there cannot be answered in-band. */
  const activeResponses = new WeakMap<stream.Duplex, number>();
  /** Timers of sockets whose first request head has not arrived yet. */
  const firstHeadTimers = new Map<stream.Duplex, NodeJS.Timeout>();
  const clients = new WeakMap<stream.Duplex, string>();
  let closed = false;
  const headTimeoutMs = options.requestHeadTimeoutMs ?? HEADERS_TIMEOUT_MS;

  const track = (socket: stream.Duplex): void => {
    if (sockets.has(socket)) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const report = (summary: Http1ExchangeSummary): void => {
    try {
      options.onExchange?.(summary);
    } catch (error) {
      log(`http1: onExchange failed: ${(error as Error).message}`);
    }
  };
  const connections = new WeakMap<stream.Duplex, ConnectionInfo>();
  const connectionOf = (socket: stream.Duplex): ConnectionInfo => {
    let connection = connections.get(socket);
    if (connection === undefined) {
      connection = describeClientConnection({ socket, tunnel: null, tls: null, sni: null });
      connections.set(socket, connection);
    }
    return connection;
  };
  const { loopGuard } = options;
  const context: TunnelContext = {
    connector,
    log,
    report,
    track,
    connectionOf,
    maxBodyBytes: options.maxBodyBytes ?? 0,
    viaEntry: loopGuard?.viaEntry ?? null,
    shuttingDown: () => closed,
  };
  const routeOf = (req: http.IncomingMessage, socket: stream.Duplex): RequestRoute => {
    const route = routeRequest(
      req.url ?? '',
      targets.get(socket) ?? null,
      findRawHeader(req.rawHeaders, 'host'),
    );
    if (!loopGuard) return route;
    // The hop marker first: a request that came back through another proxy is a loop even when
    // it arrives in a form the proxy would otherwise refuse (origin-form in forward mode).
    const loop =
      loopGuard.checkHopMarker(findRawHeaders(req.rawHeaders, 'via')) ??
      (route.kind === 'forward'
        ? loopGuard.checkTarget(route.destination.host, route.destination.port)
        : null);
    return loop === null
      ? route
      : { kind: 'reject', status: LOOP_DETECTED_STATUS, code: loop.code, reason: loop.reason };
  };

  const authorized = (req: http.IncomingMessage, socket: stream.Duplex): boolean => {
    if (!options.authorize || targets.get(socket) !== null) return true;
    if (options.authorize(req.headers['proxy-authorization'])) return true;
    log(`http1: ${req.method ?? ''} ${req.url ?? ''}: missing or wrong proxy credentials`);
    return false;
  };

  const headArrived = (socket: stream.Duplex): void => {
    const timer = firstHeadTimers.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    firstHeadTimers.delete(socket);
  };
  const describeClient = (socket: stream.Duplex): string => {
    const remote = socket as net.Socket;
    return clients.get(socket) ?? `${remote.remoteAddress ?? '?'}:${remote.remotePort ?? '?'}`;
  };
  /** Answers `408` (no response is under way: no head was complete) and closes. */
  const closeForSlowHead = (socket: stream.Duplex, line: string): void => {
    log(line);
    if (!socket.writable || (activeResponses.get(socket) ?? 0) > 0) {
      socket.destroy();
      return;
    }
    socket.once('finish', () => socket.destroy());
    socket.end(
      formatPlainResponse(408, 'Request Timeout', `grpctap: no complete request head in time\n`),
    );
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };

  // No request timeout: an agent may hold a request open for minutes. Node checks the head
  // timeout of later requests every quarter of it (at most every second, so 10 s become 11).
  const server = http.createServer({
    requestTimeout: 0,
    headersTimeout: headTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.ceil(headTimeoutMs / 4))),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
  });
  // Node enforces headersTimeout from a timer it starts on 'listening'; this server never listens.
  server.emit('listening');

  const handleRequest = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    expectsContinue: boolean,
  ): void => {
    const socket = req.socket;
    headArrived(socket);
    if (!authorized(req, socket)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="grpctap"', 'content-length': 0 });
      res.end();
      return;
    }
    activeResponses.set(socket, (activeResponses.get(socket) ?? 0) + 1);
    res.once('close', () => activeResponses.set(socket, (activeResponses.get(socket) ?? 1) - 1));
    forwardExchange(context, req, res, routeOf(req, socket), expectsContinue);
  };
  server.on('request', (req, res) => handleRequest(req, res, false));
  // With these listeners Node neither answers 100 itself nor rejects other expectations with 417.
  server.on('checkContinue', (req, res) => handleRequest(req, res, true));
  server.on('checkExpectation', (req, res) => handleRequest(req, res, false));

  server.on('upgrade', (req: http.IncomingMessage, socket: stream.Duplex, head: Buffer) => {
    headArrived(socket);
    if (!authorized(req, socket)) {
      socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="grpctap"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
      );
      return;
    }
    relayUpgrade(context, req, socket, head, routeOf(req, socket));
  });

  server.on('connect', (req: http.IncomingMessage, socket: stream.Duplex, head: Buffer) => {
    headArrived(socket);
    const onConnect = options.onConnect;
    if (targets.get(socket) === null && onConnect !== undefined) {
      sockets.delete(socket);
      targets.delete(socket);
      try {
        onConnect(req, socket, head);
      } catch (error) {
        log(`http1: CONNECT ${req.url}: handler failed: ${(error as Error).message}`);
        socket.destroy();
      }
      return;
    }
    const why = onConnect === undefined ? 'this proxy does not tunnel' : 'already inside a tunnel';
    log(`http1: CONNECT ${req.url}: refused, ${why}`);
    socket.on('error', () => {});
    socket.end(
      formatPlainResponse(405, 'Method Not Allowed', `grpctap: CONNECT refused: ${why}\n`, [
        'Allow',
        'GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH',
      ]),
    );
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: stream.Duplex) => {
    const code = error.code ?? 'no code';
    const response = chooseClientErrorResponse(error.code);
    if (response === null) {
      if (code !== 'ECONNRESET' && code !== 'EPIPE') {
        log(`http1: client connection failed: ${error.message} (${code})`);
      }
      socket.destroy();
      return;
    }
    headArrived(socket);
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      closeForSlowHead(
        socket,
        `http1: client ${describeClient(socket)}: no complete request head within ${headTimeoutMs} ms of its first byte (--handshake-timeout); closing`,
      );
      return;
    }
    log(`http1: malformed request from client: ${error.message} (${code})`);
    if (!socket.writable || (activeResponses.get(socket) ?? 0) > 0) {
      socket.destroy();
      return;
    }
    socket.once('finish', () => socket.destroy());
    socket.end(
      formatPlainResponse(response.status, response.reason, `grpctap: ${error.message}\n`),
    );
  });

  return {
    attach(socket, target, connection, firstHead) {
      if (closed) {
        socket.destroy();
        return;
      }
      targets.set(socket, target);
      if (connection !== undefined) connections.set(socket, connection);
      track(socket);
      if (firstHead) {
        clients.set(socket, firstHead.client);
        const timer = setTimeout(() => {
          firstHeadTimers.delete(socket);
          closeForSlowHead(
            socket,
            `http1: client ${firstHead.client}: no complete request head within ${firstHead.totalMs} ms (--handshake-timeout); closing`,
          );
        }, firstHead.withinMs);
        firstHeadTimers.set(socket, timer);
        socket.once('close', () => headArrived(socket));
      }
      if (socket instanceof net.Socket) socket.setNoDelay(true);
      server.emit('connection', socket);
      // Node's parser reads the socket's handle directly; bytes unshifted back after sniffing
      // reach it only through 'data' events, which a socket paused for sniffing never emits.
      if (socket.readableFlowing === false) socket.resume();
    },
    async close() {
      closed = true;
      for (const timer of firstHeadTimers.values()) clearTimeout(timer);
      firstHeadTimers.clear();
      const open = [...sockets];
      for (const socket of open) socket.destroy();
      connector.destroy();
      server.close();
      await Promise.all(
        open.map((socket) =>
          socket.closed
            ? Promise.resolve()
            : new Promise((resolve) => socket.once('close', resolve)),
        ),
      );
    },
  };
}
