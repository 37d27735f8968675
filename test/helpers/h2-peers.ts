import http2 from 'node:http2';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';

/** A node:http2 server (TLS when `pki` is given, else h2c) driven by a per-stream handler. */
export interface H2Server {
  readonly port: number;
  readonly server: http2.Http2Server | http2.Http2SecureServer;
  close(): Promise<void>;
}

export async function startH2Server(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  pki: { certPem: string; keyPem: string } | null = null,
): Promise<H2Server> {
  const server = pki
    ? http2.createSecureServer({ cert: pki.certPem, key: pki.keyPem })
    : http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    onStream(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    close: () =>
      new Promise((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

const rawSockets = new WeakMap<http2.ClientHttp2Session, Socket>();

/** The TCP socket under a session from `connectThroughProxy` (to drop it abruptly). */
export function rawSocketOf(session: http2.ClientHttp2Session): Socket {
  const socket = rawSockets.get(session);
  if (!socket) throw new Error('not a session from connectThroughProxy');
  return socket;
}

/**
 * An HTTP/2 client session to `authority` through the proxy's CONNECT tunnel, trusting `caPem`.
 */
export async function connectThroughProxy(
  proxyPort: number,
  authority: string,
  caPem: string | null,
): Promise<http2.ClientHttp2Session> {
  const socket = net.connect(proxyPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`);
    });
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!/^HTTP\/1\.1 200/.test(head)) reject(new Error(`CONNECT failed: ${head}`));
      else resolve();
    };
    socket.on('data', onData);
  });
  const host = authority.replace(/:\d+$/, '');
  const session =
    caPem === null
      ? http2.connect(`http://${authority}`, { createConnection: () => socket })
      : http2.connect(`https://${authority}`, {
          createConnection: () =>
            tls.connect({ socket, servername: host, ca: caPem, ALPNProtocols: ['h2'] }),
        });
  session.on('error', () => {});
  rawSockets.set(session, socket);
  return session;
}

/**
 * Sends a request on `session` and collects the response. With `body`, the request is ended with
 * it (an empty body is an empty DATA frame carrying END_STREAM), `endAfterMs` after the headers
 * when given; without, END_STREAM comes on the HEADERS frame.
 */
export function request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
  options: { readonly endAfterMs?: number } = {},
): Promise<{
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders;
  rstCode: number | undefined;
}> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      responseHeaders = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => {});
    stream.on('close', () =>
      resolve({
        headers: responseHeaders,
        body: Buffer.concat(chunks),
        trailers,
        rstCode: stream.rstCode,
      }),
    );
    if (body === undefined) return;
    if (options.endAfterMs === undefined) stream.end(body);
    else setTimeout(() => stream.end(body), options.endAfterMs);
  });
}
