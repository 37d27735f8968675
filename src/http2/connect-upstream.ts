import net, { isIP } from 'node:net';
import tls from 'node:tls';
import type { UpstreamSocketGuard } from '../listener/forwarding-loop-guard.js';
import { ProxyFailure } from './map-error.js';
import {
  formatEndpoint,
  type UpstreamEndpoint,
  type UpstreamTlsOptions,
} from './upstream-endpoint.js';

export interface ConnectOptions {
  readonly tls: UpstreamTlsOptions;
  /** ALPN protocols offered upstream (TLS only). */
  readonly alpn: readonly string[];
  readonly timeoutMs: number;
  readonly onTlsSocket?: ((socket: tls.TLSSocket) => void) | undefined;
  /** Refuses targets that are the proxy itself and watches the socket for self-connections. */
  readonly guard?: UpstreamSocketGuard | undefined;
}

/**
 * Opens a TCP (and, for TLS endpoints, TLS) connection and resolves once it is ready: connected,
 * or handshaken and verified. Rejects with Node's error, whose `code` `classifyUpstreamError` maps,
 * or with a `FORWARDING_LOOP` `ProxyFailure` when the endpoint is the proxy itself.
 */
export function connectUpstream(
  endpoint: UpstreamEndpoint,
  options: ConnectOptions,
): Promise<net.Socket | tls.TLSSocket> {
  const { guard } = options;
  const loop = guard?.checkTarget(endpoint.host, endpoint.port);
  if (loop) return Promise.reject(new ProxyFailure(loop.code, loop.side, loop.reason));
  const lookup = guard ? { lookup: guard.lookupFor(endpoint.port) } : {};
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(
        Object.assign(new Error(`connect timeout after ${options.timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, options.timeoutMs);
    const ready = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      clearTimeout(timer);
      fail(error);
    };
    if (endpoint.tls) {
      const servername = endpoint.servername ?? endpoint.host;
      const tlsSocket = tls.connect({
        host: endpoint.host,
        port: endpoint.port,
        ...lookup,
        ...(isIP(servername) === 0 ? { servername } : {}),
        ALPNProtocols: [...options.alpn],
        rejectUnauthorized: options.tls.rejectUnauthorized,
        ...(options.tls.ca ? { ca: [...options.tls.ca] } : {}),
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
      });
      options.onTlsSocket?.(tlsSocket);
      socket = tlsSocket;
      tlsSocket.once('secureConnect', ready);
    } else {
      socket = net.connect({ host: endpoint.host, port: endpoint.port, ...lookup });
      socket.once('connect', ready);
    }
    guard?.watch(socket, formatEndpoint(endpoint));
    socket.on('error', onError);
  });
}
