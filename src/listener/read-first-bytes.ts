import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseClientHello } from './parse-client-hello.js';
import { sniffProtocol } from './sniff-protocol.js';

export type FirstBytes =
  | {
      readonly kind: 'tls';
      readonly serverName: string | null;
      readonly alpnProtocols: readonly string[];
    }
  | { readonly kind: 'h2c' }
  | { readonly kind: 'http1' }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface ReadFirstBytesOptions {
  /** Give up on a peer that has not sent enough to classify within this time (ms). */
  readonly timeoutMs: number;
  /** Most bytes held while classifying (a ClientHello is a few KiB; 64 KiB is generous). */
  readonly maxBytes: number;
}

/**
 * Reads from a fresh connection until its first bytes tell what it speaks (TLS ClientHello, the
 * h2c preface, an HTTP/1 request line), then puts every byte read back with `unshift` so the
 * protocol handler sees the stream from its start. The socket is left paused.
 */
export function readFirstBytes(
  socket: Duplex,
  options: ReadFirstBytesOptions,
): Promise<FirstBytes> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (result: FirstBytes): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
      resolve(result);
    };
    const onEnd = (): void =>
      finish({ kind: 'unknown', reason: 'connection closed before a request' });
    const timer = setTimeout(
      () =>
        finish({ kind: 'unknown', reason: `nothing recognisable within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const sniffed = sniffProtocol(buffered);
      switch (sniffed.kind) {
        case 'needMore':
          break;
        case 'h2c':
        case 'http1':
          finish({ kind: sniffed.kind });
          return;
        case 'unknown':
          finish({ kind: 'unknown', reason: 'not TLS, HTTP/1.1 or HTTP/2' });
          return;
        case 'tls': {
          const hello = parseClientHello(buffered, { maxBytes: options.maxBytes });
          if (hello.kind === 'complete') {
            finish({
              kind: 'tls',
              serverName: hello.serverName,
              alpnProtocols: hello.alpnProtocols,
            });
            return;
          }
          if (hello.kind === 'malformed') {
            finish({ kind: 'unknown', reason: `malformed TLS ClientHello: ${hello.reason}` });
            return;
          }
          break;
        }
      }
      if (buffered.length > options.maxBytes) {
        finish({ kind: 'unknown', reason: `no recognisable start in ${options.maxBytes} bytes` });
      }
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    (socket as Socket).resume?.();
  });
}
