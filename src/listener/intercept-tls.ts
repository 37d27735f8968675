import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface InterceptTlsOptions {
  readonly secureContext: tls.SecureContext;
  /** The one ALPN id to accept (`h2` or `http/1.1`), or null when the client offered none. */
  readonly alpn: string | null;
  /** The whole `--handshake-timeout` (ms), for the error message. */
  readonly handshakeTimeoutMs: number;
  /** What is left of it for the TLS handshake (ms); default the whole of it. */
  readonly remainingMs?: number;
  readonly onTlsSocket?: ((socket: tls.TLSSocket) => void) | undefined;
}

/**
 * Terminates the client's TLS with a minted leaf and resolves with the decrypted socket once the
 * handshake completes. The ClientHello must still be unread on `socket` (see `readFirstBytes`).
 */
export function interceptTls(socket: Duplex, options: InterceptTlsOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: options.secureContext,
      ...(options.alpn ? { ALPNProtocols: [options.alpn] } : {}),
    });
    options.onTlsSocket?.(tlsSocket);
    const timer = setTimeout(() => {
      tlsSocket.destroy();
      reject(new Error(`TLS handshake not finished within ${options.handshakeTimeoutMs} ms`));
    }, options.remainingMs ?? options.handshakeTimeoutMs);
    const onError = (error: Error): void => {
      clearTimeout(timer);
      tlsSocket.destroy();
      reject(error);
    };
    const onClose = (): void =>
      onError(
        new Error(
          'the client closed the connection during the handshake (does it trust the grpctap CA? see "grpctap ca")',
        ),
      );
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    tlsSocket.once('secure', () => {
      clearTimeout(timer);
      tlsSocket.off('close', onClose);
      tlsSocket.off('error', onError);
      // A TLSSocket built outside tls.Server keeps `secureConnecting` true after the handshake,
      // and node:http2 would then wait for a 'secureConnect' that server sockets never emit.
      (tlsSocket as tls.TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
      resolve(tlsSocket);
    });
  });
}
