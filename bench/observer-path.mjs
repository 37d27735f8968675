#!/usr/bin/env node
/**
 * The observing half of grpctap alone, without sockets: channel events for unary calls or one
 * server stream go through the observer pipeline (dispatch, the gRPC layer, the flow assembler,
 * schemaless decoding, the tail and record sinks), and the JSON lines are written to two files as
 * `--output json --record FILE` writes them. It prints CPU per call (unary) or per GB (stream) and the process's RSS at the end.
 *
 * What this isolates: the cost that observing adds to forwarding, with far less noise than the
 * end-to-end run (`bench/run.mjs`), whose numbers also hold TLS, nghttp2 and the load generator.
 * Pin it to one CPU to compare builds (`taskset -c 1`).
 *
 * Usage:
 *   node bench/observer-path.mjs unary [CALLS]              (default 200000 calls of 100 B)
 *   node bench/observer-path.mjs stream [MESSAGE_BYTES] [MIB]  (default 16384 B, 256 MiB)
 *   --binary        messages carry bytes (shown as base64) instead of text
 *   --grpctap DIR   the compiled `src` to load (default dist/src); --out DIR   where the two
 *   files go (default /dev/shm, else the temporary directory); they are deleted at the end.
 */
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeMessage } from './lib/lpm.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    grpctap: { type: 'string', default: path.join(here, '..', 'dist', 'src') },
    out: { type: 'string', default: existsSync('/dev/shm') ? '/dev/shm' : tmpdir() },
    binary: { type: 'boolean', default: false },
  },
});

/**
 * One message of `size` bytes: field 1 holding text (`a`-`z`), or with `--binary` holding bytes
 * that are neither text nor a nested message (they start with a zero tag).
 */
function createMessage(size) {
  const frame = encodeMessage(size);
  if (!values.binary || size < 3) return frame;
  // encodeMessage writes the prefix, the tag (byte 5), the length (a varint), then text up to the
  // end of the frame.
  let start = 6;
  while ((frame[start] & 0x80) !== 0) start += 1;
  start += 1;
  for (let i = start; i < frame.length; i++) frame[i] = (i - start) % 251;
  return frame;
}
const [mode = 'unary', first, second] = positionals;
if (mode !== 'unary' && mode !== 'stream') {
  console.error('usage: node bench/observer-path.mjs unary [CALLS] | stream [BYTES] [MIB]');
  process.exit(2);
}

const load = (file) => import(pathToFileURL(path.join(values.grpctap, file)).href);
const { createObserverHub } = await load('flow/observer-hub.js');
const { createFlowPipeline } = await load('flow/flow-pipeline.js');
const { createTailSink } = await load('output/tail-sink.js');
const { createRecordSink } = await load('output/record-sink.js');
const { createMessageDecoder } = await load('schema/create-message-decoder.js');

const files = ['tail', 'record'].map((name) =>
  path.join(values.out, `grpctap-observer-path-${process.pid}-${name}.ndjson`),
);
const writerOptions = {
  maxQueuedBytes: Number.POSITIVE_INFINITY,
  onError: (error) => console.error(error.message),
  onDrop: () => {},
};
const [tailFile, recordFile] = files;
const pipeline = createFlowPipeline({
  sinks: [
    createTailSink({
      stream: createWriteStream(tailFile),
      format: 'json',
      color: false,
      ...writerOptions,
    }),
    createRecordSink({ stream: createWriteStream(recordFile), ...writerOptions }),
  ],
  decoder: createMessageDecoder({ registry: null }),
  maxBodyBytes: 0,
  warn: (line) => console.error(line),
});
const { observe } = createObserverHub({
  maxMessageSize: 4 * 1024 * 1024 + 5,
  pipeline,
  warn: (line) => console.error(line),
});

const REQUEST_HEADERS = [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':path', '/bench.Bench/Call'],
  [':authority', 'bench.local'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
  ['user-agent', 'h2load nghttp2/1.52.0'],
];
const RESPONSE_HEADERS = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
const TRAILERS = [
  ['grpc-status', '0'],
  ['grpc-message', ''],
];
const control = {
  reset(_code, reason) {
    throw new Error(`the gRPC layer reset a bench stream: ${reason}`);
  },
};

/** One client connection for every call, as a busy client's calls share one. */
const CONNECTION = {
  id: 'bench-connection',
  clientAddress: '127.0.0.1',
  clientPort: 40000,
  tunnel: 'bench.local:443',
  sni: 'bench.local',
  alpn: 'h2',
  tlsVersion: 'TLSv1.3',
};
const UPSTREAM = {
  host: 'bench.local',
  port: 443,
  tls: true,
  address: '127.0.0.1',
  addressPort: 50051,
  sni: 'bench.local',
  alpn: 'h2',
  tlsVersion: 'TLSv1.3',
};

let streams = 0;
/** Opens one observed stream and sends its request (one message) and response headers. */
function openCall(request) {
  const streamId = `bench-${++streams}`;
  const observer = observe(streamId, REQUEST_HEADERS, control, CONNECTION, UPSTREAM);
  observer.onUpstream(UPSTREAM);
  const emit = (direction, event) =>
    observer.onEvent({ streamId, direction, time: Date.now(), ...event });
  emit('send', { kind: 'headersReceived', headers: REQUEST_HEADERS, endStream: false });
  emit('send', { kind: 'dataReceived', data: Buffer.from(request) });
  emit('send', { kind: 'endReceived' });
  emit('receive', { kind: 'headersReceived', headers: RESPONSE_HEADERS, endStream: false });
  return emit;
}

/** Runs `step` once per event-loop turn (so the writers get their turns) until it returns false. */
function loop(step) {
  return new Promise((resolve) => {
    const turn = () => (step() ? setImmediate(turn) : resolve());
    turn();
  });
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
let summary;
if (mode === 'unary') {
  const calls = Number(first ?? 200_000);
  const message = createMessage(100);
  let done = 0;
  await loop(() => {
    for (let i = 0; i < 100 && done < calls; i++, done++) {
      const emit = openCall(message);
      emit('receive', { kind: 'dataReceived', data: Buffer.from(message) });
      emit('receive', { kind: 'trailersReceived', headers: TRAILERS });
    }
    return done < calls;
  });
  summary = (cpu, wall) =>
    `unary${values.binary ? ' (binary)' : ''}: ${calls} calls, ${(cpu / calls).toFixed(1)} µs CPU per call, ` +
    `${(wall / calls).toFixed(1)} µs wall per call`;
} else {
  const size = Number(first ?? 16_384);
  const total = Number(second ?? 256) * 1024 * 1024;
  const one = createMessage(size);
  // Chunks of about 64 KiB, as Node delivers DATA; a message may span chunks.
  const perChunk = Math.max(1, Math.floor(65_536 / one.length));
  const chunk = Buffer.concat(Array.from({ length: perChunk }, () => one));
  const emit = openCall(encodeMessage(0));
  let sent = 0;
  await loop(() => {
    for (let i = 0; i < 16 && sent < total; i++, sent += chunk.length) {
      emit('receive', { kind: 'dataReceived', data: Buffer.from(chunk) });
    }
    return sent < total;
  });
  emit('receive', { kind: 'trailersReceived', headers: TRAILERS });
  summary = (cpu, wall) =>
    `stream${values.binary ? ' (binary)' : ''}: ${size} B messages, ${(sent / 1e6).toFixed(0)} MB, ` +
    `${(cpu / 1e6 / (sent / 1e9)).toFixed(2)} CPU-s per GB, ` +
    `${(sent / wall).toFixed(0)} MB/s`;
}
await pipeline.close();
const cpu = process.cpuUsage(cpuBefore);
const wall = (performance.now() - started) * 1000;
for (const file of files) rmSync(file, { force: true });
const rss = (process.memoryUsage().rss / 1024 / 1024).toFixed(0);
console.log(`${summary(cpu.user + cpu.system, wall)}; RSS at the end ${rss} MiB`);
