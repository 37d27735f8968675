/**
 * A minimal gRPC server on `node:http2` that answers every call with one gzip-compressed message.
 * grpc-js servers never compress responses, so this is the peer for the `receive` direction of the
 * compression tests. Framing follows gRPC's PROTOCOL-HTTP2.md: response headers with
 * `grpc-encoding: gzip`, one Length-Prefixed-Message with the compressed flag, then trailers.
 */

import {
  createSecureServer,
  type Http2SecureServer,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface GzipUpstream {
  readonly port: number;
  /** The uncompressed message every call receives. */
  readonly replyPayload: Uint8Array;
  /** The compressed bytes sent on the wire (without the 5-byte prefix). */
  readonly replyWire: Uint8Array;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with the given `localhost` certificate. */
export async function startGzipUpstream(
  tls: { readonly certPem: string; readonly keyPem: string },
  replyPayload: Uint8Array,
): Promise<GzipUpstream> {
  const replyWire = gzipSync(replyPayload);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(1, 0);
  prefix.writeUInt32BE(replyWire.length, 1);
  const sessions = new Set<Http2Session>();
  const server: Http2SecureServer = createSecureServer({
    cert: tls.certPem,
    key: tls.keyPem,
    ALPNProtocols: ['h2'],
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-encoding': 'gzip',
          'grpc-accept-encoding': 'identity,gzip',
        },
        { waitForTrailers: true },
      );
      stream.once('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '0', 'x-trailer': 'gzip-upstream' }),
      );
      stream.end(Buffer.concat([prefix, replyWire]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    replyPayload,
    replyWire,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
