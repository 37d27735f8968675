import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamTlsOptions } from '../http2/upstream-endpoint.js';
import type { UpstreamSocketGuard } from '../listener/forwarding-loop-guard.js';
import { formatAuthority, type UpstreamTarget } from './upstream-target.js';

/** Upstream TLS verification (shared with the HTTP/2 side). */
export type UpstreamTlsSettings = UpstreamTlsOptions;

export interface UpstreamConnectorOptions {
  readonly tls: UpstreamTlsSettings;
  /** Called once per new upstream TLS socket, before its handshake completes (SSLKEYLOGFILE). */
  readonly onTlsSocket?: ((socket: tls.TLSSocket) => void) | undefined;
  /** Limit for TCP connect plus TLS handshake; the request fails with `ETIMEDOUT` after it. */
  readonly connectTimeoutMs: number;
  /**
   * Resolves names through the loop check and watches every new socket for self-connections
   * (literal targets are refused earlier, by the forwarder's routing).
   */
  readonly guard?: UpstreamSocketGuard | undefined;
}

export interface UpstreamRequestInit {
  readonly method: string;
  readonly path: string;
  /** Flat raw header array, sent in this order and case; Node adds only `Connection`. */
  readonly headers: readonly string[];
}

/** The upstream side of the HTTP/1.1 forwarder: pooled requests and dedicated tunnel sockets. */
export interface UpstreamConnector {
  /**
   * Starts a request on a keep-alive pooled connection (one agent per scheme). Throws Node's
   * synchronous validation errors (`ERR_INVALID_CHAR`, `ERR_UNESCAPED_CHARACTERS`, ...).
   */
  request(destination: UpstreamTarget, init: UpstreamRequestInit): http.ClientRequest;
  /**
   * Opens a connection of its own (for an upgrade tunnel) and calls `onReady` once it is connected
   * (and, for TLS, verified). Failures arrive as the socket's `'error'` event.
   */
  connect(destination: UpstreamTarget, onReady: () => void): net.Socket;
  /** Destroys pooled sockets, in use or idle. */
  destroy(): void;
}

export function createUpstreamConnector(options: UpstreamConnectorOptions): UpstreamConnector {
  const ca = options.tls.ca && options.tls.ca.length > 0 ? [...options.tls.ca] : undefined;
  const tlsSettings = { rejectUnauthorized: options.tls.rejectUnauthorized, ...(ca ? { ca } : {}) };
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true, ...tlsSettings });
  const seenTlsSockets = new WeakSet<tls.TLSSocket>();

  const { guard } = options;
  const prepareSocket = (
    socket: net.Socket,
    destination: UpstreamTarget,
    fail: (error: Error) => void,
  ): void => {
    socket.setNoDelay(true);
    guard?.watch(socket, formatAuthority(destination));
    if (socket instanceof tls.TLSSocket && !seenTlsSockets.has(socket)) {
      seenTlsSockets.add(socket);
      options.onTlsSocket?.(socket);
    }
    if (!socket.connecting) return;
    const timer = setTimeout(() => {
      fail(
        Object.assign(new Error(`no connection after ${options.connectTimeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, options.connectTimeoutMs);
    const clear = (): void => clearTimeout(timer);
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', clear);
    socket.once('close', clear);
  };

  return {
    request(destination, init) {
      const common = {
        host: destination.host,
        port: destination.port,
        method: init.method,
        path: init.path,
        headers: [...init.headers],
        ...(guard ? { lookup: guard.lookupFor(destination.port) } : {}),
      };
      const request = destination.tls
        ? https.request({ ...common, ...identify(destination), agent: httpsAgent })
        : http.request({ ...common, agent: httpAgent });
      request.once('socket', (socket) =>
        prepareSocket(socket, destination, (error) => request.destroy(error)),
      );
      return request;
    },
    connect(destination, onReady) {
      const endpoint = {
        host: destination.host,
        port: destination.port,
        ...(guard ? { lookup: guard.lookupFor(destination.port) } : {}),
      };
      const socket = destination.tls
        ? tls.connect(
            { ...endpoint, ...tlsSettings, ...identify(destination), ALPNProtocols: ['http/1.1'] },
            onReady,
          )
        : net.connect(endpoint, onReady);
      prepareSocket(socket, destination, (error) => socket.destroy(error));
      return socket;
    },
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/**
 * SNI and the name the certificate must match. SNI cannot carry an IP address (RFC 6066 §3), so an
 * IP name is only checked against the certificate's IP SANs.
 */
function identify(destination: UpstreamTarget): {
  servername?: string;
  checkServerIdentity: (host: string, cert: tls.PeerCertificate) => Error | undefined;
} {
  const name = destination.servername ?? destination.host;
  return {
    ...(net.isIP(name) === 0 ? { servername: name } : {}),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
  };
}
