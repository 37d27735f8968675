#!/usr/bin/env node
/**
 * The benchmark's gRPC backend: Node core `http2`, cheap enough that the proxy, not the backend,
 * is what a proxied measurement shows.
 *
 * - `/bench.Echo/Unary`: echoes the one request message, then trailers `grpc-status: 0`.
 * - `/bench.Echo/Stream`: `x-msg-count` messages of `x-msg-size` bytes, written in ~1 MiB batches
 *   (the wire bytes do not depend on how they are batched), or one message every
 *   `x-msg-interval-ms` when that is set.
 * - anything else: trailers-only `UNIMPLEMENTED`.
 *
 * Serves TLS (ALPN h2) and h2c (prior knowledge). Prints one JSON line with the bound ports once
 * listening. Under `fork()`, answers `{ type: 'stats' }` messages with its counters; a request
 * whose body is not exactly one valid message counts in `malformed` (and gets INVALID_ARGUMENT).
 *
 * Usage: node backend.mjs --cert FILE --key FILE [--tls-port 0] [--h2c-port 0]
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { parseArgs } from 'node:util';
import { encodeMessage, encodeMessages, isSingleMessage, PREFIX_BYTES } from './lib/lpm.mjs';

const { values } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    'tls-port': { type: 'string', default: '0' },
    'h2c-port': { type: 'string', default: '0' },
  },
});

const MAX_MESSAGE_BYTES = 64 << 20;
const BATCH_BYTES = 1 << 20;
const MAX_PACED_MESSAGES = 1000;
const OK_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };
const OK_TRAILERS = { 'grpc-status': '0' };

const stats = { unary: 0, streams: 0, streamMessages: 0, malformed: 0, resets: 0, sessions: 0 };
const batches = new Map();

/** A batch of `count` messages of `size` bytes, cached: the same bytes are written again. */
function cachedBatch(size, count) {
  const key = `${size}x${count}`;
  let batch = batches.get(key);
  if (batch === undefined) {
    batch = encodeMessages(size, count);
    if (batches.size < 64) batches.set(key, batch);
  }
  return batch;
}

function respondTrailersOnly(stream, code, message) {
  if (stream.destroyed) return;
  stream.respond(
    { ...OK_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) },
    { endStream: true },
  );
}

function readBody(stream, onBody) {
  const chunks = [];
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('end', () => onBody(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
}

function respondOk(stream) {
  stream.respond(OK_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
}

function serveUnary(stream, body) {
  stats.unary += 1;
  respondOk(stream);
  stream.end(body);
}

function serveStream(stream, headers) {
  const count = Number(headers['x-msg-count'] ?? 1);
  const size = Number(headers['x-msg-size'] ?? 16384);
  const interval = Number(headers['x-msg-interval-ms'] ?? 0);
  const valid =
    Number.isInteger(count) && count >= 0 && count <= 1e8 && Number.isInteger(size) && size >= 0;
  if (!valid || size > MAX_MESSAGE_BYTES || (interval > 0 && count > MAX_PACED_MESSAGES)) {
    stats.malformed += 1;
    respondTrailersOnly(stream, 3, 'bad x-msg-count, x-msg-size or x-msg-interval-ms');
    return;
  }
  stats.streams += 1;
  respondOk(stream);
  if (interval > 0) {
    servePaced(stream, count, size, interval);
    return;
  }
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (PREFIX_BYTES + size)));
  let left = count;
  const pump = () => {
    while (left > 0) {
      if (stream.destroyed) return;
      const take = Math.min(perBatch, left);
      left -= take;
      stats.streamMessages += take;
      if (!stream.write(cachedBatch(size, take))) {
        stream.once('drain', pump);
        return;
      }
    }
    stream.end();
  };
  pump();
}

/** One message per interval, so a proxy that holds messages back shows it. */
function servePaced(stream, count, size, interval) {
  const message = encodeMessage(size);
  let left = count;
  let timer = null;
  stream.on('close', () => clearTimeout(timer));
  const tick = () => {
    if (stream.destroyed) return;
    if (left === 0) {
      stream.end();
      return;
    }
    left -= 1;
    stats.streamMessages += 1;
    stream.write(message);
    timer = setTimeout(tick, left === 0 ? 0 : interval);
  };
  tick();
}

function onStream(stream, headers) {
  stream.on('error', () => {
    stats.resets += 1;
  });
  const path = headers[':path'];
  if (path !== '/bench.Echo/Unary' && path !== '/bench.Echo/Stream') {
    respondTrailersOnly(stream, 12, `unknown method ${path}`);
    stream.resume();
    return;
  }
  readBody(stream, (body) => {
    if (stream.destroyed) return;
    if (!isSingleMessage(body)) {
      stats.malformed += 1;
      respondTrailersOnly(stream, 3, `request body is not one message (${body.length} bytes)`);
    } else if (path === '/bench.Echo/Unary') serveUnary(stream, body);
    else serveStream(stream, headers);
  });
}

const serverOptions = {
  maxSessionMemory: 256,
  settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 },
};

function listen(server, port) {
  server.on('stream', onStream);
  server.on('session', (session) => {
    stats.sessions += 1;
    session.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), '127.0.0.1', () => resolve(server.address().port));
  });
}

const tlsServer = http2.createSecureServer({
  ...serverOptions,
  cert: readFileSync(values.cert),
  key: readFileSync(values.key),
});
const h2cServer = http2.createServer(serverOptions);
const [tls, h2c] = await Promise.all([
  listen(tlsServer, values['tls-port']),
  listen(h2cServer, values['h2c-port']),
]);
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, tls, h2c })}\n`);

process.on('message', (message) => {
  if (message?.type === 'stats') process.send?.({ type: 'stats', id: message.id, stats });
});
process.on('disconnect', () => process.exit(0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
