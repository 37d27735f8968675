import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ServerHttp2Session } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { FirstHeadDeadline } from '../http1/http1-forwarder.js';
import type { ConnectionInfo, HeaderList } from '../http2/channel-event.js';
import { describeClientConnection } from '../http2/describe-connection.js';
import { findHeader } from '../http2/header-list.js';
import { type ClassifiedFailure, classifyUpstreamError } from '../http2/map-error.js';
import { isEndpoint, serveHttp2 } from '../http2/serve-http2.js';
import type { Http2Limits } from '../http2/session-settings.js';
import type { OpenStreamObserver } from '../http2/stream-observer.js';
import { formatEndpoint, type UpstreamEndpoint } from '../http2/upstream-endpoint.js';
import type { UpstreamPool } from '../http2/upstream-pool.js';
import { PROXY_AUTH_REQUIRED } from './check-proxy-auth.js';
import type { ConnectionEnds, ForwardingLoopGuard } from './forwarding-loop-guard.js';
import { describeClientTlsFailure } from './describe-client-tls-failure.js';
import { interceptTls } from './intercept-tls.js';
import { parseAuthority } from './parse-authority.js';
import type { ProxyMode } from './proxy-mode.js';
import { createHandshakeBudget, type HandshakeBudget } from './handshake-budget.js';
import { readFirstBytes } from './read-first-bytes.js';

/** What the HTTP/1.1 side must offer the listener (see `src/http1`). */
export interface Http1Attach {
  attach(
    socket: Duplex,
    target: UpstreamEndpoint | null,
    connection: ConnectionInfo,
    handshake?: FirstHeadDeadline,
  ): void;
}

export interface ProxyListenerOptions {
  readonly mode: ProxyMode;
  readonly pool: UpstreamPool;
  /** HTTP/2 window and stream limits for client connections. */
  readonly limits: Http2Limits;
  readonly http1: Http1Attach;
  readonly leafContexts: { get(host: string): Promise<tls.SecureContext> };
  readonly observe: OpenStreamObserver;
  readonly log: (line: string) => void;
  readonly onTlsSocket?: ((socket: tls.TLSSocket) => void) | undefined;
  /**
   * Time a new connection, or a tunnel from its `200`, has to show its first bytes, finish TLS and
   * (HTTP/1.1) send a complete first request head, all together; also the time an HTTP/2 client
   * has to answer a PING after falling silent for as long (ms).
   */
  readonly handshakeTimeoutMs: number;
  /** An HTTP/2 connection with no open stream for this long is closed (ms). */
  readonly idleTimeoutMs: number;
  /** Most client connections at once; more are refused. */
  readonly maxConnections: number;
  /** Reported for every HTTP/2 stream routed upstream (see `ServeHttp2Options.onRouted`). */
  readonly onRouted?: ((authority: string, endpoint: UpstreamEndpoint) => void) | undefined;
  /** Checks `Proxy-Authorization` in forward mode; absent means no authentication. */
  readonly authorize?: ((header: string | undefined) => boolean) | undefined;
  /**
   * Refuses every request whose route leads back into this proxy, and connections the proxy
   * opened to itself; `listen` registers its address with it. Absent: no loop checks.
   */
  readonly loopGuard?: ForwardingLoopGuard | undefined;
}

export interface ProxyListener {
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting and destroys every open connection. */
  close(): Promise<void>;
  /** Client connections accepted and not yet closed (a CONNECT tunnel is its connection). */
  readonly openConnections: number;
  /** Takes over a CONNECT request's socket (the HTTP/1.1 forwarder's `onConnect`). */
  handleConnect(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** The destination of a CONNECT tunnel. */
interface Tunnel {
  readonly host: string;
  readonly port: number;
}

/** Where a stream goes: an upstream, or a failure to answer it with. */
type StreamRoute = (headers: HeaderList) => UpstreamEndpoint | ClassifiedFailure;

/**
 * `address:port` of a connection's client, read when it is accepted: a socket that has been
 * destroyed (a failed handshake) no longer knows its peer.
 */
function describePeer(socket: Duplex): string {
  const remote = socket as Partial<net.Socket>;
  const address = remote.remoteAddress;
  if (address === undefined) return 'unknown client';
  return address.includes(':')
    ? `[${address}]:${remote.remotePort ?? '?'}`
    : `${address}:${remote.remotePort ?? '?'}`;
}

function findHeaders(headers: HeaderList, name: string): string[] {
  return headers.filter(([key]) => key === name).map(([, value]) => value);
}

const MAX_SNIFF_BYTES = 64 * 1024;

function describeTunnel(tunnel: Tunnel | null): string | null {
  return tunnel === null ? null : formatEndpoint(tunnel);
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

/** Time a refused client has to read our last answer before its socket is destroyed (ms). */
const LINGER_MS = 1000;

/**
 * Sends a final answer and closes. `end` alone only half-closes: a client that never closes its
 * side would keep the socket (and its file descriptor) forever.
 */
function answerAndClose(socket: Duplex, answer: string): void {
  socket.end(answer);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * One port for everything: CONNECT tunnels, absolute-form HTTP/1.1 and h2c in forward mode, or a
 * fixed upstream in reverse mode. Each connection (and each tunnel) is classified by its first
 * bytes: a TLS ClientHello is intercepted with a minted certificate, the h2c preface is served as
 * HTTP/2, anything that looks like an HTTP/1 request line goes to the HTTP/1.1 forwarder.
 */
export function createProxyListener(options: ProxyListenerOptions): ProxyListener {
  const sockets = new Set<Duplex>();
  const sessions = new Set<ServerHttp2Session>();
  const { log, mode } = options;
  let closing = false;

  const track = (socket: Duplex): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  let lastDropLog = 0;
  const accepted = new Set<Duplex>();
  const { loopGuard } = options;
  const server = net.createServer((socket) => {
    track(socket);
    accepted.add(socket);
    socket.once('close', () => accepted.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    const ends = { localAddress, localPort, remoteAddress, remotePort };
    void handle(socket, null, describePeer(socket), ends);
  });
  server.maxConnections = options.maxConnections;
  server.on('drop', () => {
    const now = Date.now();
    if (now - lastDropLog < 10_000) return;
    lastDropLog = now;
    log(`refusing connections: ${options.maxConnections} open (--max-connections)`);
  });

  function onConnect(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    track(socket);
    socket.on('error', () => {});
    const client = describePeer(request.socket);
    if (options.authorize && !options.authorize(request.headers['proxy-authorization'])) {
      log(`CONNECT ${request.url ?? ''} from ${client}: missing or wrong proxy credentials`);
      answerAndClose(socket, PROXY_AUTH_REQUIRED);
      return;
    }
    const target = parseAuthority(request.url ?? '', 443);
    if (!target) {
      log(`CONNECT ${request.url ?? ''} from ${client}: not a host:port`);
      answerAndClose(socket, BAD_REQUEST);
      return;
    }
    // A tunnel to the proxy itself is opened all the same: the requests inside it are refused one
    // by one (508, or gRPC UNAVAILABLE), which tells a gRPC client why instead of a CONNECT error.
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    void handle(socket, target, client, null);
  }

  /** Adds the loop checks to a route: the hop marker, then the target's address. */
  function guard(route: StreamRoute): StreamRoute {
    if (!loopGuard) return route;
    return (headers) => {
      const target = route(headers);
      if (!isEndpoint(target)) return target;
      return (
        loopGuard.checkHopMarker(findHeaders(headers, 'via')) ??
        loopGuard.checkTarget(target.host, target.port) ??
        target
      );
    };
  }

  function serve(
    socket: Duplex,
    route: StreamRoute,
    connection: ConnectionInfo,
    client: string,
  ): void {
    serveHttp2(socket, {
      connection,
      client,
      pool: options.pool,
      limits: options.limits,
      route: guard(route),
      observe: options.observe,
      nextStreamId: randomUUID,
      idleTimeoutMs: options.idleTimeoutMs,
      pingTimeoutMs: options.handshakeTimeoutMs,
      shuttingDown: () => closing,
      onRouted: options.onRouted,
      log,
      onSession: (session) => {
        sessions.add(session);
        session.once('close', () => sessions.delete(session));
      },
    });
  }

  /** Routes an h2c stream sent straight to the proxy (forward mode) by its `:authority`. */
  function routeByAuthority(headers: HeaderList): UpstreamEndpoint | ClassifiedFailure {
    if (options.authorize && !options.authorize(findHeader(headers, 'proxy-authorization'))) {
      return {
        code: 'PROXY_AUTH_REQUIRED',
        side: 'client',
        reason: 'missing or wrong proxy credentials',
      };
    }
    const scheme = findHeader(headers, ':scheme') ?? 'http';
    const authority = findHeader(headers, ':authority') ?? findHeader(headers, 'host') ?? '';
    const target = parseAuthority(authority, scheme === 'https' ? 443 : 80);
    if (!target) {
      return {
        code: 'BAD_AUTHORITY',
        side: 'client',
        reason: `no usable :authority (${authority})`,
      };
    }
    return {
      host: target.host,
      port: target.port,
      tls: scheme === 'https',
      servername: target.host,
    };
  }

  function describeClient(client: string, tunnel: Tunnel | null): string {
    return tunnel ? `${client} (tunnel to ${tunnel.host}:${tunnel.port})` : client;
  }

  function firstHead(client: string, tunnel: Tunnel | null, budget: HandshakeBudget) {
    return {
      withinMs: budget.remainingMs(),
      totalMs: budget.totalMs,
      client: describeClient(client, tunnel),
    };
  }

  /**
   * Serves a new connection (`ends` set) or a tunnel. A connection's four addresses are compared
   * with this process's upstream sockets once its first bytes are in: an upstream socket records
   * its ends when it connects, which is before it can send anything.
   */
  async function handle(
    socket: Duplex,
    tunnel: Tunnel | null,
    client: string,
    ends: ConnectionEnds | null,
  ): Promise<void> {
    const budget = createHandshakeBudget(options.handshakeTimeoutMs);
    const first = await readFirstBytes(socket, {
      timeoutMs: budget.remainingMs(),
      maxBytes: MAX_SNIFF_BYTES,
    });
    if (ends !== null && loopGuard?.claimSelfConnection(ends)) {
      socket.destroy();
      return;
    }
    const fixed: UpstreamEndpoint | null =
      mode.kind === 'reverse'
        ? mode.endpoint
        : tunnel
          ? { host: tunnel.host, port: tunnel.port, tls: false, servername: tunnel.host }
          : null;
    const describeCleartext = (): ConnectionInfo =>
      describeClientConnection({ socket, tunnel: describeTunnel(tunnel), tls: null, sni: null });
    switch (first.kind) {
      case 'unknown':
        log(
          `${tunnel ? `tunnel to ${tunnel.host}:${tunnel.port}` : 'connection'} from ${client}: ${first.reason}; closing`,
        );
        if (!tunnel && mode.kind === 'forward' && !socket.destroyed) {
          answerAndClose(socket, BAD_REQUEST);
        } else socket.destroy();
        return;
      case 'h2c':
        serve(socket, fixed ? () => fixed : routeByAuthority, describeCleartext(), client);
        return;
      case 'http1':
        options.http1.attach(socket, fixed, describeCleartext(), firstHead(client, tunnel, budget));
        // node:http consumes the socket's handle directly; the sniffed bytes put back with
        // `unshift` reach its parser only through a 'data' event, which needs a flowing socket.
        socket.resume();
        return;
      case 'tls':
        await intercept(socket, tunnel, client, first.serverName, first.alpnProtocols, budget);
        return;
    }
  }

  async function intercept(
    socket: Duplex,
    tunnel: Tunnel | null,
    client: string,
    serverName: string | null,
    offered: readonly string[],
    budget: HandshakeBudget,
  ): Promise<void> {
    let endpoint: UpstreamEndpoint;
    if (mode.kind === 'reverse') endpoint = mode.endpoint;
    else if (tunnel) {
      endpoint = {
        host: tunnel.host,
        port: tunnel.port,
        tls: true,
        servername: serverName ?? tunnel.host,
      };
    } else {
      log(`TLS from ${client} without CONNECT: use the proxy with CONNECT, or --reverse; closing`);
      socket.destroy();
      return;
    }
    const mintHost = serverName ?? tunnel?.host ?? endpoint.host;
    // Minting is CPU work and negotiating may wait on the network: start both at once.
    const leafContext = options.leafContexts.get(mintHost);
    leafContext.catch(() => {});
    let failure: ClassifiedFailure | null = null;
    let protocol: string;
    budget.pause();
    try {
      protocol = await options.pool.negotiate(endpoint, offered);
    } catch (error) {
      // Not logged here: each request on this connection is answered with it and logs it once.
      failure = classifyUpstreamError(error, formatEndpoint(endpoint));
      protocol = offered.includes('h2') ? 'h2' : 'http/1.1';
    }
    budget.resume();
    const alpn = offered.includes(protocol)
      ? protocol
      : offered.length > 0
        ? (offered[0] ?? null)
        : null;
    let tlsSocket: tls.TLSSocket;
    try {
      tlsSocket = await interceptTls(socket, {
        secureContext: await leafContext,
        alpn,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        remainingMs: budget.remainingMs(),
        onTlsSocket: options.onTlsSocket,
      });
    } catch (error) {
      log(describeClientTlsFailure({ client, serverName, mintedFor: mintHost }, error));
      socket.destroy();
      return;
    }
    track(tlsSocket);
    tlsSocket.on('error', () => {});
    const connection = describeClientConnection({
      socket,
      tunnel: describeTunnel(tunnel),
      tls: tlsSocket,
      sni: serverName,
    });
    if (tlsSocket.alpnProtocol === 'h2') {
      const known = failure;
      serve(tlsSocket, known ? () => known : () => endpoint, connection, client);
    } else options.http1.attach(tlsSocket, endpoint, connection, firstHead(client, tunnel, budget));
  }

  return {
    handleConnect: onConnect,
    get openConnections() {
      return accepted.size;
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          loopGuard?.addListener(address);
          resolve(address);
        });
      });
    },
    close() {
      closing = true;
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
