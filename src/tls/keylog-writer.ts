import { createWriteStream } from 'node:fs';
import type { TLSSocket } from 'node:tls';

export interface KeylogWriter {
  /**
   * Appends every TLS secret `socket` reports to the key log file. Call before the handshake
   * starts (right after `tls.connect` / `new TLSSocket`) so no secret is missed.
   */
  attach(socket: TLSSocket): void;
  /** Stops writing and resolves once buffered lines are flushed and the file is closed. */
  close(): Promise<void>;
}

export interface KeylogWriterOptions {
  /** Called once, for the first write or open error; later lines are dropped. */
  readonly onError?: (error: Error) => void;
}

/**
 * Creates a writer for an NSS key log file (the `SSLKEYLOGFILE` format Wireshark reads, specified
 * in draft-ietf-tls-keylogfile), shared by the client-facing and upstream TLS sockets.
 *
 * The file is opened once in append mode with mode 0600 when created, since it holds every session
 * secret. Node's `'keylog'` event already delivers whole lines ending in `\n`. Failures never
 * reach the sockets: they are reported once through `onError`.
 */
export function createKeylogWriter(
  filePath: string,
  options: KeylogWriterOptions = {},
): KeylogWriter {
  const stream = createWriteStream(filePath, { flags: 'a', mode: 0o600 });
  let failed = false;
  let closed = false;
  stream.on('error', (error) => {
    if (!failed) {
      failed = true;
      options.onError?.(error);
    }
  });
  const writeLine = (line: Buffer): void => {
    if (!failed && !closed) {
      stream.write(line);
    }
  };
  return {
    attach(socket: TLSSocket): void {
      socket.on('keylog', writeLine);
    },
    close(): Promise<void> {
      if (closed) {
        return Promise.resolve();
      }
      closed = true;
      return new Promise((resolve) => {
        if (stream.closed) {
          resolve();
          return;
        }
        stream.once('close', () => resolve());
        stream.end();
      });
    },
  };
}
