import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ConnectionInfo, UpstreamInfo } from './channel-event.js';
import type { UpstreamEndpoint } from './upstream-endpoint.js';

/** What sockets (plain, TLS, or HTTP/2's socket proxy) may tell about themselves. */
interface SocketLike {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly alpnProtocol?: string | false | null | undefined;
  readonly encrypted?: boolean;
  getProtocol?(): string | null;
}

function tlsVersionOf(socket: SocketLike): string | null {
  if (socket.encrypted !== true || typeof socket.getProtocol !== 'function') return null;
  return socket.getProtocol() ?? null;
}

function alpnOf(socket: SocketLike): string | null {
  return typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null;
}

export interface ClientConnectionFacts {
  /** The TCP socket the client connected with (for a tunnel, the CONNECT socket). */
  readonly socket: Duplex;
  /** The CONNECT target `host:port`, or null. */
  readonly tunnel: string | null;
  /** The TLS socket grpctap terminated, or null for cleartext. */
  readonly tls: TLSSocket | null;
  /** SNI from the ClientHello. */
  readonly sni: string | null;
}

/** The `ConnectionInfo` of a client connection (a new id each call). */
export function describeClientConnection(facts: ClientConnectionFacts): ConnectionInfo {
  const socket = facts.socket as SocketLike;
  const tls = facts.tls as SocketLike | null;
  return {
    id: randomUUID(),
    clientAddress: socket.remoteAddress ?? '',
    clientPort: socket.remotePort ?? 0,
    tunnel: facts.tunnel,
    sni: tls === null ? null : facts.sni,
    alpn: tls === null ? null : alpnOf(tls),
    tlsVersion: tls === null ? null : tlsVersionOf(tls),
  };
}

/** Where the destination says to go, before any connection is made. */
export function describeUpstreamTarget(endpoint: UpstreamEndpoint): UpstreamInfo {
  const name = endpoint.servername ?? endpoint.host;
  return {
    host: endpoint.host,
    port: endpoint.port,
    tls: endpoint.tls,
    address: null,
    addressPort: null,
    sni: endpoint.tls && isIP(name) === 0 ? name : null,
    alpn: null,
    tlsVersion: null,
  };
}

/**
 * The destination together with the connection made to it (`socket`: a TCP or TLS socket, or an
 * HTTP/2 session's socket). `alpn` overrides what the socket says (an h2c session has none).
 */
export function describeUpstreamConnection(
  target: UpstreamInfo,
  socket: SocketLike | null | undefined,
  alpn?: string | null,
): UpstreamInfo {
  if (socket === null || socket === undefined) return target;
  return {
    ...target,
    address: socket.remoteAddress ?? null,
    addressPort: socket.remotePort ?? null,
    alpn: alpn ?? alpnOf(socket),
    tlsVersion: tlsVersionOf(socket),
  };
}
