/**
 * A small gRPC client on Node core `http2` for the probes: it checks framing, message counts and
 * `grpc-status`, and times the first message. Certificates are never verified (every target
 * presents its own or a freshly minted one).
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { createMessageCounter, encodeMessage } from './lpm.mjs';

/** The host name clients send as SNI and `:authority`, so an intercepting proxy mints for a name. */
export const BENCH_HOST = 'bench.local';

/**
 * Opens a session to `127.0.0.1:port` and resolves once it is connected (TLS done).
 * @param {{ port: number, tls: boolean, servername?: string, windowBytes?: number }} options
 *   `windowBytes` sets the stream and connection receive windows (default: Node's 64 KiB).
 */
export function connectSession({ port, tls: useTls, servername = BENCH_HOST, windowBytes }) {
  const createConnection = () =>
    useTls
      ? tls.connect({
          host: '127.0.0.1',
          port,
          servername,
          ALPNProtocols: ['h2'],
          rejectUnauthorized: false,
        })
      : net.connect({ host: '127.0.0.1', port });
  const settings = { enablePush: false };
  if (windowBytes !== undefined) settings.initialWindowSize = windowBytes;
  const authority = `${useTls ? 'https' : 'http'}://${servername}:${port}`;
  const session = http2.connect(authority, { createConnection, settings, maxSessionMemory: 256 });
  return new Promise((resolve, reject) => {
    session.once('error', reject);
    session.once('connect', () => {
      session.removeListener('error', reject);
      session.on('error', () => {});
      if (windowBytes !== undefined) session.setLocalWindowSize(windowBytes);
      resolve(session);
    });
  });
}

/**
 * Makes one call and resolves with what arrived.
 * @param {import('node:http2').ClientHttp2Session} session
 * @param {{ method: 'Unary' | 'Stream', payload?: number, count?: number, size?: number,
 *   intervalMs?: number, timeoutMs?: number, onStream?: (stream) => void }} call
 *   `onStream` gets the request stream before any data is read (the slow reader throttles it).
 * @returns {Promise<{ ok: boolean, error: string | null, grpcStatus: string | null,
 *   messages: number, bytes: number, elapsedMs: number, firstMessageMs: number | null }>}
 */
export function callOnce(session, call) {
  const { method, payload = 100, count = 1, size = 16384, intervalMs = 0 } = call;
  const headers = {
    ':method': 'POST',
    ':path': `/bench.Echo/${method}`,
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  if (method === 'Stream') {
    headers['x-msg-count'] = String(count);
    headers['x-msg-size'] = String(size);
    if (intervalMs > 0) headers['x-msg-interval-ms'] = String(intervalMs);
  }
  const expected = method === 'Stream' ? count : 1;
  const start = performance.now();
  let firstMessageMs = null;
  const counter = createMessageCounter(() => {
    firstMessageMs ??= performance.now() - start;
  });
  return new Promise((resolve) => {
    const stream = session.request(headers);
    let grpcStatus = null;
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      counter.finish();
      let problem = error;
      if (!problem && grpcStatus !== '0') problem = `grpc-status ${grpcStatus}`;
      if (!problem && counter.malformed) problem = 'malformed message framing';
      if (!problem && counter.messages !== expected) {
        problem = `${counter.messages} of ${expected} messages`;
      }
      resolve({
        ok: !problem,
        error: problem ?? null,
        grpcStatus,
        messages: counter.messages,
        bytes: counter.bytes,
        elapsedMs: performance.now() - start,
        firstMessageMs,
      });
    };
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      finish('timeout');
    }, call.timeoutMs ?? 30_000);
    stream.on('response', (response) => {
      if (response['grpc-status'] !== undefined) grpcStatus = String(response['grpc-status']);
    });
    stream.on('trailers', (trailers) => {
      grpcStatus = trailers['grpc-status'] === undefined ? null : String(trailers['grpc-status']);
    });
    stream.on('data', (chunk) => counter.push(chunk));
    stream.on('end', () => finish(null));
    stream.on('error', (error) => finish(error.message));
    stream.on('close', () => finish(stream.rstCode ? `stream reset ${stream.rstCode}` : null));
    call.onStream?.(stream);
    stream.end(encodeMessage(method === 'Unary' ? payload : 0));
  });
}
